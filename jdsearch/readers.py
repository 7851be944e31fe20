"""Readers: one input file -> decoded document text (one ``RawDocument`` per JD).

Everything downstream (segmentation, normalisation, indexing) works on ``str`` with ``\\n`` line
breaks, so this module is the one place that knows about bytes, encodings and file formats.
Every failure is reported as ``UnreadableFile`` with a short one-line reason so ingestion can
skip the file and tell the user why, instead of aborting a whole run on one bad file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import charset_normalizer
import hanzidentifier
from bs4 import BeautifulSoup, NavigableString
from bs4.dammit import EncodingDetector

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".csv", ".tsv", ".jsonl"}
)

TEXT_COLUMN_NAMES: tuple[str, ...] = (
    "text",
    "description",
    "jd",
    "content",
    "job_description",
    "duties",
    "responsibilities",
    "task",
    "body",
    # Chinese exports (simplified, traditional)
    "职位描述",
    "岗位职责",
    "工作职责",
    "岗位描述",
    "工作内容",
    "職位描述",
    "崗位職責",
    "工作職責",
    "職務說明",
    "工作內容",
)

BULLET = "• "


class UnreadableFile(Exception):
    """Raised with a short, one-line human reason (e.g. 'binary file', 'empty file')."""


@dataclass
class RawDocument:
    text: str
    encoding: str | None
    row: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- text decoding

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Encodings we always try for non-UTF-8 bytes, in tie-break order. gb18030 is a superset of
# gb2312/gbk; cp950 and big5hkscs extend big5 (Windows, Hong Kong); BOM-less UTF-16 of pure
# CJK text may contain no NUL byte at all, so it competes here too (last: ties go to legacy).
_CJK_CANDIDATES: tuple[str, ...] = (
    "gb18030",
    "big5",
    "cp950",
    "big5hkscs",
    "utf-16-le",
    "utf-16-be",
)

# A candidate decode is trusted when at least this fraction of its non-ASCII characters are
# common Chinese characters/punctuation. Correct decodes of the corpus lines score >= 0.8;
# wrong gb18030<->big5 decodes have a median of 0.44 (measured, see tests).
_COMMON_THRESHOLD = 0.6
# BOM-less UTF-16 must be this text-like (printable ASCII, whitespace, common Chinese).
_TEXT_THRESHOLD = 0.8
# Non-ASCII characters of English / Western European text saved as Windows-1252 ("ANSI").
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŠšŽžŸ‘’‚“”„–—…•€™°©®«»¿¡·§"
)
# ... and at most this share of its non-space characters (Cyrillic in cp1251 is nearly all).
_WESTERN_SHARE = 0.35


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name), ``\\n`` line endings and no BOM. Raises UnreadableFile.

    Order: BOM, NUL check (binary vs BOM-less UTF-16), strict UTF-8, then Chinese legacy
    encodings scored by common-character fraction, then charset-normalizer's ranking.
    """
    if not data.strip():
        raise UnreadableFile("empty file")
    text, encoding = _decode(data)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UnreadableFile("empty file")
    return text, encoding


def _decode(data: bytes) -> tuple[str, str]:
    """Pick the codec; each step falls through on a failed strict decode."""
    for bom, encoding in _BOMS:
        if data.startswith(bom) and (text := _strict(data, encoding)) is not None:
            return text, encoding
    if b"\x00" in data:
        return _decode_nul_bytes(data)
    if (text := _strict(data, "utf-8")) is not None:
        return text, "utf-8"
    return _decode_legacy(data)


def _strict(data: bytes, encoding: str) -> str | None:
    """Strict decode, or None: a wrong guess must never crash or silently insert U+FFFD."""
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_nul_bytes(data: bytes) -> tuple[str, str]:
    """NULs mean binary unless the bytes are BOM-less UTF-16.

    Both byte orders are tried; only the right one decodes strictly *and* reads as text
    (the wrong one, like binary data, gives lone surrogates or rare characters).
    """
    if len(data) % 2 == 0:
        decodes = [
            (text, enc)
            for enc in ("utf-16-le", "utf-16-be")
            if (text := _strict(data, enc)) is not None and "\x00" not in text
        ]
        # Ties (short ASCII reads as U+XX00 Han too) go to little-endian, Windows' default.
        scored = [(_text_likeness(text), -i, text, enc) for i, (text, enc) in enumerate(decodes)]
        likeness, _, text, encoding = max(scored, default=(0.0, 0, "", ""))
        if likeness >= _TEXT_THRESHOLD:
            return text, encoding
    raise UnreadableFile("binary file")


def _text_likeness(text: str) -> float:
    """Fraction of characters that are printable ASCII, whitespace or common Chinese."""
    if not text:
        return 0.0
    common = _common_chars()
    good = sum((" " <= c <= "~") or c in "\t\n\r" or c in common for c in text)
    return good / len(text)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Non-UTF-8 bytes: trust a Chinese decode that reads like Chinese, else the detector.

    charset-normalizer alone mislabels short Chinese texts (cp949, johab, utf_16_be, ...), and
    its ranking restricted to gb18030/big5 still confuses them; scoring each strict decode by
    its fraction of common characters did not fail on any line of the corpus.
    """
    scored = [
        (_cjk_score(text), -i, text, enc)
        for i, enc in enumerate(_CJK_CANDIDATES)
        if (text := _strict(data, enc)) is not None
    ]
    best = max(scored, default=None)
    if best is not None and best[0][0] >= _COMMON_THRESHOLD:
        return best[2], best[3]
    if (text := _western(data)) is not None:
        return text, "cp1252"
    for match in charset_normalizer.from_bytes(data):
        encoding = codecs.lookup(match.encoding).name
        if (text := _strict(data, encoding)) is not None:
            return text, encoding
    if best is not None:
        return best[2], best[3]
    raise UnreadableFile("cannot decode text")


def _western(data: bytes) -> str | None:
    """Windows-1252 text that reads as English/Western European, else None.

    charset-normalizer labels short English with one curly quote cp1250, cp775 or big5hkscs.
    """
    text = _strict(data, "cp1252")
    if text is None:
        return None
    non_ascii = [c for c in text if ord(c) > 127]
    visible = sum(not c.isspace() for c in text)
    if len(non_ascii) > _WESTERN_SHARE * visible or not set(non_ascii) <= _WESTERN:
        return None
    return text


def _cjk_score(text: str) -> tuple[float, bool]:
    """(fraction of non-ASCII chars that are common Chinese, script is consistent).

    A wrong gb18030/big5 decode yields rare characters and a jumble of simplified and
    traditional forms; the second item breaks ties on very short texts.
    """
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 0.0, False
    common = _common_chars()
    fraction = sum(c in common for c in non_ascii) / len(non_ascii)
    return fraction, hanzidentifier.identify(text) != hanzidentifier.MIXED


@cache
def _common_chars() -> frozenset[str]:
    """GB2312 level 1 (3755 common simplified) + Big5 level 1 (5401 common traditional)
    characters and CJK / full-width punctuation, built from the codecs themselves."""
    chars: set[str] = set()
    chars.update(_decode_range("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)))
    big5_trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    chars.update(_decode_range("big5", range(0xA4, 0xC6), big5_trails))
    chars.update(_decode_range("big5", [0xC6], range(0x40, 0x7F)))
    chars.update(map(chr, range(0x3000, 0x3040)))  # CJK symbols and punctuation
    chars.update(map(chr, range(0xFF01, 0xFF5F)))  # full-width ASCII forms
    chars.update("—…‘’“”·•")
    return frozenset(chars)


def _decode_range(encoding: str, leads: Iterable[int], trails: Iterable[int]) -> Iterator[str]:
    """Every character a two-byte code table defines for these lead/trail bytes."""
    trails = list(trails)
    for lead in leads:
        for trail in trails:
            if (char := _strict(bytes((lead, trail)), encoding)) is not None:
                yield char


# --------------------------------------------------------------------------- entry point


def read_documents(path: Path, *, text_column: str | None = None) -> list[RawDocument]:
    """One RawDocument for txt/md/html/docx/pdf; one per row for csv/tsv/jsonl.

    Raises UnreadableFile (never another exception type for a bad file) so callers can skip.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise UnreadableFile("is a directory")
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported extension {suffix}" if suffix else "no file extension")
    data = _read_bytes(path)
    if suffix in (".csv", ".tsv", ".jsonl"):
        return _read_table(data, suffix, text_column)
    return [_READERS[suffix](data)]


def _read_bytes(path: Path) -> bytes:
    """File bytes; OS errors become a short reason rather than a traceback."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile("file not found") from None
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except IsADirectoryError:
        raise UnreadableFile("is a directory") from None
    except OSError as exc:
        raise UnreadableFile(exc.strerror or type(exc).__name__) from None


def _read_plain(data: bytes) -> RawDocument:
    """txt / md: the decoded text as is."""
    text, encoding = decode_bytes(data)
    return RawDocument(text=text, encoding=encoding)


def _short(exc: BaseException) -> str:
    """First line of an exception message, bounded, for a one-line reason."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else type(exc).__name__
    return message[:120]


# Lines that already carry their own list marker must not get a second one.
_LIST_MARKER = re.compile(
    r"^\s*(?:[•·●○◦■□◆◇▪▫►▶➢✓✔*\-–—]"
    r"|[（(]?(?:\d{1,3}|[一二三四五六七八九十]{1,3}|[a-zA-Z])[）)]"
    r"|(?:\d{1,3}|[一二三四五六七八九十]{1,3}|[a-zA-Z])[.．、:：]"
    r"|[①-⑳⑴-⒇⒈-⒛])"
)


def _as_item(text: str) -> str:
    """Prefix a list item with a bullet so downstream segmentation keeps it an item."""
    return text if _LIST_MARKER.match(text) else BULLET + text


# --------------------------------------------------------------------------- html

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "head",
    "title",
)
_BLOCK_TAGS = (
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "section",
    "article",
    "dt",
    "dd",
    "dl",
    "ul",
    "ol",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "caption",
    "blockquote",
    "pre",
    "main",
    "figure",
    "figcaption",
    "address",
    "hr",
    "details",
    "summary",
)
# Private-use sentinels: inserted around blocks so that source whitespace can be collapsed
# (it is insignificant in HTML) without losing the line structure we add.
_BREAK = "\ue000"
_ITEM = "\ue001"
# Declared labels whose real-world content is often the superset encoding (as WHATWG maps).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "cp950",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
}


def _read_html(data: bytes) -> RawDocument:
    """Visible text of an HTML page, blocks as lines, <li> as bullet items, title in metadata."""
    markup, encoding = _decode_html(data)
    soup = BeautifulSoup(markup, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    _drop_invisible(soup)
    _mark_blocks(soup)
    text = _html_lines(soup.get_text())
    if not text:
        raise UnreadableFile("html has no visible text")
    return RawDocument(text=text, encoding=encoding, metadata={"title": title} if title else {})


def _decode_html(data: bytes) -> tuple[str, str]:
    """BOM, then the declared <meta> charset (or its common superset), else detection.

    Pages re-saved as UTF-8 keep their old ``<meta charset="gbk">``: when the bytes are also
    valid UTF-8 and that reads as more common Chinese, UTF-8 wins over the declaration.
    """
    if not data.strip():
        raise UnreadableFile("empty file")
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return decode_bytes(data)
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            name = ""
        if name.startswith(("utf-16", "utf-32")):
            name = ""  # a declaration readable as ASCII cannot be UTF-16 (as WHATWG says)
        for encoding in filter(None, (name, _SUPERSETS.get(name))):
            if (text := _strict(data, encoding)) is not None:
                utf8 = _strict(data, "utf-8")
                if utf8 is not None and _cjk_score(utf8) > _cjk_score(text):
                    text, encoding = utf8, "utf-8"
                return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    return decode_bytes(data)


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _drop_invisible(soup: BeautifulSoup) -> None:
    """Remove chrome and hidden elements: they are not part of the job description."""
    doomed = soup.find_all(_DROP_TAGS)
    doomed += soup.find_all(attrs={"role": "navigation"})
    doomed += soup.find_all(attrs={"aria-hidden": "true"})
    doomed += soup.find_all(attrs={"hidden": True})
    doomed += soup.find_all(style=_HIDDEN_STYLE)
    for tag in doomed:
        if not tag.decomposed:
            tag.decompose()


def _mark_blocks(soup: BeautifulSoup) -> None:
    """Insert break sentinels around block elements, item sentinels into <li>."""
    for br in soup.find_all("br"):
        br.replace_with(_BREAK)
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" ")
    for pre in soup.find_all("pre"):
        for string in list(pre.find_all(string=True)):
            string.replace_with(NavigableString(string.replace("\n", _BREAK)))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before(_BREAK)
        tag.insert_after(_BREAK)
        if tag.name == "li":
            tag.insert(0, _ITEM)


def _html_lines(text: str) -> str:
    """Collapse source whitespace, split on the sentinels, bullet the items.

    An item marker whose chunk is empty (``<li><p>text</p></li>``) applies to the next line.
    """
    lines: list[str] = []
    pending_item = False
    for chunk in _CJK_SOURCE_BREAK.sub("", text).split(_BREAK):
        pending_item = pending_item or _ITEM in chunk
        line = " ".join(chunk.replace(_ITEM, " ").split())
        if line:
            lines.append(_as_item(line) if pending_item else line)
            pending_item = False
    return "\n".join(lines)


# A source line break between two CJK characters is not a space (CSS segment-break rules).
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SOURCE_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")


# --------------------------------------------------------------------------- docx


def _read_docx(data: bytes) -> RawDocument:
    """Body paragraphs and table cells in document order; list paragraphs as bullet items."""
    import docx  # imported lazily: python-docx is only needed for .docx files

    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_lines(document))
    except Exception as exc:  # untrusted zip/XML: parser failures come in many types
        raise UnreadableFile(f"corrupt docx: {_short(exc)}") from None
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile("empty file")
    return RawDocument(text=text, encoding=None)


def _docx_lines(container: Any) -> Iterator[str]:
    """Lines of a document or table cell, recursing into (nested) tables in order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table_lines(block)
        elif line := _docx_paragraph(block):
            yield line


def _docx_table_lines(table: Any) -> Iterator[str]:
    """Each cell's lines, row by row; a merged cell repeats in ``row.cells`` so skip repeats.

    The set holds the ``<w:tc>`` elements themselves: ``id()`` of lxml proxies that were
    garbage-collected gets reused, which silently dropped cells.
    """
    seen: set[Any] = set()
    for row in table.rows:
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                yield from _docx_lines(cell)


def _docx_paragraph(paragraph: Any) -> str:
    """Paragraph text (line breaks inside it normalised); list paragraphs as items."""
    text = paragraph.text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    p_pr = paragraph._p.pPr
    has_numbering = p_pr is not None and p_pr.numPr is not None
    style_name = paragraph.style.name if paragraph.style is not None else ""
    return _as_item(text) if has_numbering or "List" in (style_name or "") else text


# --------------------------------------------------------------------------- pdf


def _read_pdf(data: bytes) -> RawDocument:
    """Text layer of every page, pages joined with a newline."""
    from pypdf import PdfReader  # imported lazily: pypdf is only needed for .pdf files
    from pypdf.errors import DependencyError

    try:
        with warnings.catch_warnings(), _quiet_logger("pypdf"):
            # pypdf warns about every repairable defect in real-world PDFs; the text is what
            # we want, and a PDF that cannot be repaired raises and is reported below.
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            _unlock(reader)
            pages = [(page.extract_text() or "").strip("\r\n") for page in reader.pages]
    except UnreadableFile:
        raise
    except DependencyError as exc:  # AES encryption without the optional cryptography package
        raise UnreadableFile(f"encrypted pdf: {_short(exc)}") from None
    except Exception as exc:  # untrusted PDF: parser failures come in many types
        raise UnreadableFile(f"corrupt pdf: {_short(exc)}") from None
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UnreadableFile("pdf has no text layer")
    return RawDocument(text=text, encoding=None)


@contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Silence a library's log records (pypdf logs repairs and failures to stderr)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _unlock(reader: Any) -> None:
    """Open PDFs encrypted with an empty user password (common); others are unreadable."""
    if reader.is_encrypted and not reader.decrypt(""):
        raise UnreadableFile("encrypted pdf")


# --------------------------------------------------------------------------- csv / tsv / jsonl

Record = dict[str, Any]


def _read_table(data: bytes, suffix: str, text_column: str | None) -> list[RawDocument]:
    """One document per row: the text column is the JD, the other columns its metadata."""
    text, encoding = decode_bytes(data)
    if suffix == ".jsonl":
        rows = list(_jsonl_rows(text))
        columns = list(dict.fromkeys(key for _, record in rows for key in record))
    else:
        columns, rows = _csv_rows(text, "\t" if suffix == ".tsv" else ",")
    column = _text_column(columns, text_column)
    documents = []
    for row, record in rows:
        body = _cell_text(record.get(column))
        if body.strip():
            metadata = {k: _cell_text(v) for k, v in record.items() if k != column}
            documents.append(RawDocument(body, encoding, row=row, metadata=metadata))
    if not documents:
        raise UnreadableFile(f"no rows with text in column {column!r}")
    return documents


def _csv_rows(text: str, delimiter: str) -> tuple[list[str], list[tuple[int, Record]]]:
    """The header, and (0-based data-row number, {header: value}) for each non-blank row."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # JDs in one cell can exceed 128 KiB
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader, [])]
        rows = [
            (row, dict(zip(header, values, strict=False)))
            for row, values in enumerate(reader)
            if any(v.strip() for v in values)
        ]
    except csv.Error as exc:
        raise UnreadableFile(f"bad csv at line {reader.line_num}: {_short(exc)}") from None
    return header, rows


def _jsonl_rows(text: str) -> Iterator[tuple[int, Record]]:
    """(0-based line number, object) for each non-blank line; a bad line names its number."""
    for row, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableFile(f"invalid JSON on line {row + 1}: {exc.msg}") from None
        if not isinstance(record, dict):
            raise UnreadableFile(f"line {row + 1} is not a JSON object")
        yield row, record


def _text_column(columns: list[str], wanted: str | None) -> str:
    """The requested column (exact, then case-insensitive) or the first conventional name
    (case, spaces and hyphens ignored: "Job Description" is ``job_description``)."""
    by_lower = {c.lower(): c for c in reversed(columns)}  # reversed: first occurrence wins
    if wanted is not None:
        if wanted in columns:
            return wanted
        if wanted.lower() in by_lower:
            return by_lower[wanted.lower()]
        raise UnreadableFile(f"no column {wanted!r}")
    for column in columns:
        if re.sub(r"[\s_-]+", "_", column.strip().lower()) in TEXT_COLUMN_NAMES:
            return column
    raise UnreadableFile("no text column (use --text-column)")


def _cell_text(value: Any) -> str:
    """Any cell/JSON value as text: lists of strings become lines, other JSON stays JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    return json.dumps(value, ensure_ascii=False)  # numbers, true/false, objects: JSON spelling


_READERS: dict[str, Callable[[bytes], RawDocument]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}
