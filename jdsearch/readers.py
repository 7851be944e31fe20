"""Readers: one input file -> decoded document text (one ``RawDocument`` per JD).

Everything downstream (segmentation, normalisation, indexing) works on ``str`` with ``\\n`` line
breaks, so this module is the one place that knows about bytes, encodings and file formats.
Every failure is reported as ``UnreadableFile`` with a short one-line reason so ingestion can
skip the file and tell the user why, instead of aborting a whole run on one bad file; a bad row
of a table file skips that row only (``ReadResult.skipped``).

Files are untrusted: every reader works within a :class:`ReadBudget` (file size, decompressed
size, nesting depth, text length, time), so a hostile file is skipped with the limit it broke
instead of stalling an ingest or exhausting memory. Each check is cheap and cooperative; the
ingest's hard per-file timeout is only a last resort.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import itertools
import json
import logging
import os
import re
import stat
import struct
import sys
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import charset_normalizer
import hanzidentifier
from bs4.dammit import EncodingDetector
from lxml import etree

from jdsearch.store import JdsearchError

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".csv", ".tsv", ".jsonl"}
)
TABLE_SUFFIXES: frozenset[str] = frozenset({".csv", ".tsv", ".jsonl"})

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
MB = 1 << 20


class UnreadableFile(Exception):
    """Raised with a short, one-line human reason (e.g. 'binary file', 'empty file')."""


@dataclass
class RawDocument:
    text: str
    encoding: str | None
    row: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class ReadResult:
    """What one file gave: its documents, and the table rows skipped as (row, reason)."""

    documents: list[RawDocument]
    skipped: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ReadBudget:
    """Limits for reading one file; a file (or table row) over a limit is skipped, named.

    The defaults leave every real posting alone with a wide margin (the 20,000 zhaopin postings:
    longest 5,033 characters, longest line 2,012) while bounding what one file can cost: about
    30 s and a few hundred MB. Measured in ``bench/results/hostile.json``.
    """

    max_file_mb: float = 50.0  # bytes on disk (a 50 MB table of postings parses in ~370 MB)
    max_unzip_mb: float = 64.0  # docx: all zip members together, inflated
    max_stream_mb: float = 16.0  # pdf: one decoded stream (16 MB of text: ~13 s to extract)
    max_doc_chars: int = 500_000  # text of one posting: a document file or one table row
    max_line_chars: int = 10_000  # longer lines are cut (at a sentence end) into lines
    max_depth: int = 64  # JSON nesting of a table row
    max_seconds: float = 30.0  # reading and parsing one file's format
    max_zip_members: int = 10_000  # docx parts

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise JdsearchError(f"ReadBudget.{name} must be a positive number, not {value!r}")
        if self.max_line_chars < 80:
            raise JdsearchError("ReadBudget.max_line_chars must be at least 80")

    def file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    def unzip_bytes(self) -> int:
        return int(self.max_unzip_mb * MB)

    def stream_bytes(self) -> int:
        return int(self.max_stream_mb * MB)


DEFAULT_BUDGET = ReadBudget()


class _Clock:
    """A cooperative deadline: readers call ``check()`` between units of work (pages, rows,
    paragraphs, elements) so a slow file stops itself with a reason."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise UnreadableFile(
                f"reading took longer than {self.seconds:g} s (limit: --max-seconds)"
            )


def _mb(n: int) -> str:
    """A size for a reason: MB, or KB below a tenth of one (never "0.0 MB")."""
    return f"{n / MB:.1f} MB" if n >= MB // 10 else f"{n / 1024:.1f} KB"


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
# Scoring reads at most this many characters from each end of a long text: the verdict on a
# 50 MB file must not cost a Python loop over every character of six candidate decodes.
_SAMPLE = 100_000


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
    if (text := _utf8(data)) is not None:
        return text, "utf-8"
    return _decode_legacy(data)


def _utf8(data: bytes) -> str | None:
    """Strict UTF-8; a file cut inside its last character (a common copy/truncation defect)
    is read up to that character: the incomplete bytes were never a character."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data) > exc.start > 0:
            return _strict(data[: exc.start], "utf-8")
        return None


# Bytes that are UTF-8 but for a few bad bytes hold at least this many valid multi-byte
# characters per bad byte; legacy Chinese encodings form a valid UTF-8 sequence only now and then.
_NEAR_UTF8_RATIO = 10


def _near_utf8(data: bytes) -> str | None:
    """A reason when ``data`` is UTF-8 with a few bad bytes: any other decode of it would be
    mojibake (it came out as UTF-16 or Cyrillic garbage before), so it is skipped, named."""
    text = data[: 4 * _SAMPLE].decode("utf-8", "replace")
    bad = text.count("\ufffd")
    multibyte = sum(ord(c) > 127 for c in text) - bad
    if bad and multibyte >= _NEAR_UTF8_RATIO * bad:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"invalid UTF-8: bad byte at offset {exc.start:,} of otherwise UTF-8 text"
    return None


def _strict(data: bytes, encoding: str) -> str | None:
    """Strict decode, or None: a wrong guess must never crash or silently insert U+FFFD."""
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _sample(text: str) -> str:
    """The whole text, or its two ends when it is long (enough to judge a decode)."""
    return text if len(text) <= 2 * _SAMPLE else text[:_SAMPLE] + text[-_SAMPLE:]


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
    text = _sample(text)
    if not text:
        return 0.0
    common = _common_chars()
    good = sum((" " <= c <= "~") or c in "\t\n\r" or c in common for c in text)
    return good / len(text)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Non-UTF-8 bytes: trust a Chinese decode that reads like Chinese, else the detector.

    charset-normalizer alone mislabels short Chinese texts (cp949, johab, utf_16_be, ...), and
    its ranking restricted to gb18030/big5 still confuses them; scoring each strict decode by
    its fraction of common characters did not fail on any line of the corpus. Whatever the
    detector proposes must still read as text (:func:`_plausible`): near-UTF-8 bytes decoded
    as UTF-16 or a wrong code page give a page of rare characters, which is no document.
    """
    scored = [
        (_cjk_score(text), -i, text, enc)
        for i, enc in enumerate(_CJK_CANDIDATES)
        if (text := _strict(data, enc)) is not None
    ]
    best = max(scored, default=None)
    if best is not None and best[0][0] >= _COMMON_THRESHOLD:
        _check_lines(best[2], best[3])
        return best[2], best[3]
    if reason := _near_utf8(data):
        raise UnreadableFile(reason)
    if (text := _western(data)) is not None:
        return text, "cp1252"
    for match in charset_normalizer.from_bytes(data):
        encoding = codecs.lookup(match.encoding).name
        if (text := _strict(data, encoding)) is not None and _plausible(text):
            return text, encoding
    if best is not None and _plausible(best[2]):
        _check_lines(best[2], best[3])
        return best[2], best[3]
    raise UnreadableFile("cannot decode text: no encoding gives readable characters")


# A line with this many Han characters is judged alone: a correct decode has >= 0.67 of them
# common (lowest of 50,733 zhaopin lines), UTF-8 read as GB18030 a median of 0.30. Averaged
# over a file, one mis-decoded part (mixed encodings) hides among correct lines; per line not.
_LINE_HAN = 12
_LINE_COMMON = 0.6


def _check_lines(text: str, encoding: str) -> None:
    """Raise when some line of a legacy-codec decode reads as mojibake (mixed encodings)."""
    common = _common_chars()
    for number, line in _judged_lines(text):
        han = [c for c in line if "\u4e00" <= c <= "\u9fff"]
        if len(han) >= _LINE_HAN and sum(c in common for c in han) < _LINE_COMMON * len(han):
            where = f"line {number}" if number else "a line near the end"
            raise UnreadableFile(f"mixed or wrong encoding: {where} does not read as {encoding}")


def _judged_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line) of the whole text, or of its two ends (number 0: the tail)."""
    if len(text) <= 2 * _SAMPLE:
        yield from enumerate(text.split("\n"), 1)
        return
    yield from enumerate(text[:_SAMPLE].split("\n"), 1)
    yield from ((0, line) for line in text[-_SAMPLE:].split("\n"))


def _western(data: bytes) -> str | None:
    """Windows-1252 text that reads as English/Western European, else None.

    charset-normalizer labels short English with one curly quote cp1250, cp775 or big5hkscs.
    """
    text = _strict(data, "cp1252")
    if text is None:
        return None
    sample = _sample(text)
    non_ascii = [c for c in sample if ord(c) > 127]
    visible = sum(not c.isspace() for c in sample)
    if len(non_ascii) > _WESTERN_SHARE * visible or not set(non_ascii) <= _WESTERN:
        return None
    return text


def _cjk_score(text: str) -> tuple[float, bool]:
    """(fraction of non-ASCII chars that are common Chinese, script is consistent).

    A wrong gb18030/big5 decode yields rare characters and a jumble of simplified and
    traditional forms; the second item breaks ties on very short texts.
    """
    text = _sample(text)
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 0.0, False
    common = _common_chars()
    fraction = sum(c in common for c in non_ascii) / len(non_ascii)
    return fraction, hanzidentifier.identify(text) != hanzidentifier.MIXED


# Readable non-ASCII: letters of the alphabetic scripts (Latin, Greek, Cyrillic, ... all below
# U+2E80), Latin-1 and general punctuation, and the common Chinese set. Rare ideographs, Hangul
# and Yi syllables, private-use, box drawing and Braille are what mis-decoded bytes turn into.
# A decode is rejected when such characters are more than this share of the visible text.
_IMPLAUSIBLE_SHARE = 0.25


def _plausible(text: str) -> bool:
    """False when much of ``text`` is characters real documents are not made of."""
    sample = _sample(text)
    visible = len(sample) - sum(map(sample.count, " \t\n\r"))
    common = _common_chars()
    bad = sum(
        not (
            c in common
            or (ord(c) < 0x2E80 and unicodedata.category(c)[0] == "L")
            or "\u00a0" <= c <= "\u00ff"
            or "\u2010" <= c <= "\u2027"
        )
        for c in sample
        if ord(c) > 127
    )
    return bad <= _IMPLAUSIBLE_SHARE * visible


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


def read_documents(
    path: Path, *, text_column: str | None = None, budget: ReadBudget | None = None
) -> list[RawDocument]:
    """One RawDocument for txt/md/html/docx/pdf; one per readable row for csv/tsv/jsonl.

    Raises UnreadableFile (never another exception type for a bad file) so callers can skip.
    Bad table rows are left out; :func:`read_file` also says which and why.
    """
    return read_file(path, text_column=text_column, budget=budget).documents


def read_file(
    path: Path, *, text_column: str | None = None, budget: ReadBudget | None = None
) -> ReadResult:
    """Read one file within ``budget``: its documents and the table rows it had to skip.

    Raises UnreadableFile when the file as a whole cannot be read (or no row of it can).
    """
    budget = budget or DEFAULT_BUDGET
    clock = _Clock(budget.max_seconds)
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise UnreadableFile("is a directory")
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported extension {suffix}" if suffix else "no file extension")
    data = _read_bytes(Path(os.path.realpath(path)), budget.file_bytes())
    if suffix in TABLE_SUFFIXES:
        result = _read_table(data, suffix, text_column, budget, clock)
    else:
        result = ReadResult([_READERS[suffix](data, budget, clock)])
    del data
    return _finish(result, budget)


def open_regular(path: Path) -> io.BufferedReader:
    """Open a file for reading only if it is (still) a regular file, without following a final
    symbolic link or blocking on a pipe: the walk's checks must hold when the bytes are read."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(_os_reason(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile("not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _os_reason(exc: OSError) -> str:
    """A short reason for an OS error; a final symbolic link met by O_NOFOLLOW says so."""
    if exc.errno == errno.ELOOP:
        return "is a symbolic link (links are resolved before reading)"
    if exc.errno == errno.ENOENT:
        return "file not found"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "is a directory"
    return (exc.strerror or type(exc).__name__).lower()


def _read_bytes(path: Path, limit: int) -> bytes:
    """File bytes up to ``limit``; a bigger file is refused before it is read."""
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise UnreadableFile(
                    f"file is {_mb(size)}, over the {_mb(limit)} limit (limit: --max-file-mb)"
                )
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UnreadableFile(_os_reason(exc)) from None
    if len(data) > limit:  # grew while being read
        raise UnreadableFile(f"file is over the {_mb(limit)} limit (limit: --max-file-mb)")
    return data


def _finish(result: ReadResult, budget: ReadBudget) -> ReadResult:
    """Bound and clean every document: too long -> skipped, long lines cut, text storable."""
    kept: list[RawDocument] = []
    skipped = list(result.skipped)
    for doc in result.documents:
        if len(doc.text) > budget.max_doc_chars:
            reason = _too_long(f"{len(doc.text):,}", budget.max_doc_chars)
            if doc.row is None:
                raise UnreadableFile(reason)
            skipped.append((doc.row, reason))
            continue
        doc.text = cut_long_lines(storable(doc.text), budget.max_line_chars)
        doc.metadata = {storable(k): storable(v) for k, v in doc.metadata.items()}
        kept.append(doc)
    if not kept and skipped:
        row, reason = min(skipped)
        if len(skipped) == 1:
            raise UnreadableFile(reason)
        raise UnreadableFile(f"no readable rows ({len(skipped)} bad); row {row}: {reason}")
    return ReadResult(kept, sorted(skipped))


def _too_long(count: str, limit: int) -> str:
    return (
        f"text of {count} characters is over the {limit:,} limit for one posting"
        " (limit: --max-doc-chars)"
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Lone surrogates (``"\\ud800"`` in JSON, undecodable file names) cannot be encoded as
    UTF-8, so SQLite, the index and the terminal would fail on them: each becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


# Where a long line may be cut, best first: after a sentence end, after a clause separator,
# after a space. A cut inserts a line break and moves no character.
_CUT_AFTER = ("。！？；!?;", "，、,：:）)", " \t\u3000")


def cut_long_lines(text: str, limit: int) -> str:
    """Lines longer than ``limit`` cut into lines of at most ``limit`` characters.

    Every character stays, in order; only ``\\n`` is inserted, at the last sentence end (else
    clause separator, else space, else anywhere) in each window. Linear in the text length:
    one huge line must not become one huge clause for the segmenter, index and dupes.
    """
    if len(text) <= limit or max(map(len, text.split("\n"))) <= limit:
        return text
    return "\n".join(_cut_line(line, limit) for line in text.split("\n"))


def _cut_line(line: str, limit: int) -> str:
    pieces: list[str] = []
    start = 0
    while len(line) - start > limit:
        window = line[start : start + limit]
        cut = limit  # no good place in the window's second half: a hard cut
        for chars in _CUT_AFTER:
            at = max(window.rfind(c) for c in chars) + 1
            if at > limit // 2:
                cut = at
                break
        pieces.append(line[start : start + cut])
        start += cut
    pieces.append(line[start:])
    return "\n".join(pieces)


def _read_plain(data: bytes, budget: ReadBudget, clock: _Clock) -> RawDocument:
    """txt / md: the decoded text as is."""
    text, encoding = decode_bytes(data)
    return RawDocument(text=text, encoding=encoding)


def _short(exc: BaseException) -> str:
    """First line of an exception message, bounded, for a one-line reason."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else type(exc).__name__
    return storable(message[:120])


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

# Never visible, or never the posting: dropped with everything inside.
_INVISIBLE_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "head",
        "title",
        "object",
        "select",
        "button",
        "textarea",
    }
)
# Page chrome by element name; dropped unless it holds nearly the whole page (ASP.NET pages
# wrap everything in one <form>; some sites put the posting inside an <aside>).
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "menu"})
# Page chrome by class or id: a whole word of the name (split on -, _, spaces and camelCase).
_CHROME_WORDS = frozenset(
    {
        "footer",
        "foot",
        "sidebar",
        "breadcrumb",
        "breadcrumbs",
        "crumb",
        "crumbs",
        "share",
        "sharing",
        "social",
        "related",
        "recommend",
        "recommended",
        "recommendation",
        "recommendations",
        "similar",
        "navbar",
        "nav",
        "navigation",
        "menu",
        "copyright",
        "cookie",
        "cookies",
        "pagination",
        "pager",
        "comment",
        "comments",
        "login",
        "signup",
        "subscribe",
        "newsletter",
    }
)
# ... and two-word names: the employer's blurb and lists of other postings.
_CHROME_PAIRS = frozenset(
    {
        ("company", "info"),
        ("company", "intro"),
        ("company", "introduction"),
        ("company", "profile"),
        ("company", "desc"),
        ("company", "description"),
        ("about", "company"),
        ("about", "us"),
        ("comp", "info"),
        ("corp", "info"),
        ("other", "jobs"),
        ("more", "jobs"),
        ("hot", "jobs"),
        ("hot", "job"),
        ("job", "list"),
        ("jobs", "list"),
        ("side", "bar"),
    }
)
# A chrome candidate holding at least this share of the page's visible characters is the page.
_WHOLE_PAGE = 0.8
# Page headers are chrome; a <header> inside the posting's own <article>/<main> is its title.
_CONTENT_TAGS = frozenset({"article", "main"})
_BLOCK_TAGS = frozenset(
    {
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
    }
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
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _read_html(data: bytes, budget: ReadBudget, clock: _Clock) -> RawDocument:
    """Visible text of an HTML page, blocks as lines, <li> as bullet items, title in metadata.

    One streaming pass (lxml's parser calling :class:`_HtmlText`), so time is linear in the
    page whatever its nesting: no tree is built, mutated or recursed into.
    """
    markup, encoding = _decode_html(data)
    target = _HtmlText(clock)
    parser = etree.HTMLParser(target=target, no_network=True)
    try:
        parser.feed(markup)
        parser.close()
    except UnreadableFile:
        raise
    except (etree.LxmlError, ValueError) as exc:
        raise UnreadableFile(f"corrupt html: {_short(exc)}") from None
    text = _html_lines(target.text())
    if not text:
        raise UnreadableFile("html has no visible text")
    title = " ".join("".join(target.title).split())
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
                elif not encoding.startswith("utf"):
                    _check_lines(text, encoding)
                return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    return decode_bytes(data)


def _is_hidden(attrib: Any) -> bool:
    return (
        "hidden" in attrib
        or attrib.get("aria-hidden") == "true"
        or bool(_HIDDEN_STYLE.search(attrib.get("style") or ""))
    )


def _is_chrome(tag: str, attrib: Any, in_content: bool) -> bool:
    """Navigation, footers, sidebars, share bars, related postings, company blurbs."""
    if tag in _CHROME_TAGS and not (tag == "header" and in_content):
        return True
    if attrib.get("role") in ("navigation", "banner", "contentinfo", "complementary"):
        return True
    names = f"{attrib.get('class') or ''} {attrib.get('id') or ''}"
    words = [w.lower() for w in _NAME_WORDS.findall(names)]
    return any(w in _CHROME_WORDS for w in words) or any(
        pair in _CHROME_PAIRS for pair in itertools.pairwise(words)
    )


@dataclass
class _Open:
    """An open element: its tag and what it started (for the matching end event)."""

    tag: str
    invisible: bool = False
    chrome_at: int = -1  # index into the output where a chrome candidate began
    content: bool = False
    pre: bool = False


class _HtmlText:
    """lxml parser target: visible text with block and item sentinels, in document order.

    Invisible elements are skipped as they stream by; chrome candidates are recorded as
    spans of the output and dropped at the end unless one holds nearly the whole page.
    """

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.out: list[str] = []
        self.stack: list[_Open] = []
        self.invisible = 0  # depth inside dropped elements
        self.content = 0  # depth inside <article>/<main>
        self.pre = 0
        self.in_title = False
        self.title: list[str] = []
        self.seen_title = False
        self.chrome: list[tuple[int, int]] = []
        self.events = 0

    def start(self, tag: Any, attrib: Any) -> None:
        self._tick()
        tag = tag.lower() if isinstance(tag, str) else ""
        element = _Open(tag)
        self.stack.append(element)
        if tag == "title" and not self.seen_title:
            self.in_title = self.seen_title = True
        if self.invisible or tag in _INVISIBLE_TAGS or _is_hidden(attrib):
            element.invisible = True
            self.invisible += 1
            return
        if _is_chrome(tag, attrib, self.content > 0):
            element.chrome_at = len(self.out)
        if tag in _CONTENT_TAGS:
            element.content = True
            self.content += 1
        if tag == "br":
            self.out.append(_BREAK)
        elif tag in _BLOCK_TAGS:
            self.out.append(_BREAK + _ITEM if tag == "li" else _BREAK)
        if tag == "pre":
            element.pre = True
            self.pre += 1

    def end(self, tag: Any) -> None:
        self._tick()
        if not self.stack:
            return
        element = self.stack.pop()
        if element.tag == "title":
            self.in_title = False
        if element.invisible:
            self.invisible -= 1
            return
        self.content -= element.content
        self.pre -= element.pre
        if element.tag in ("td", "th"):
            self.out.append(" ")
        elif element.tag in _BLOCK_TAGS:
            self.out.append(_BREAK)
        if element.chrome_at >= 0:
            self.chrome.append((element.chrome_at, len(self.out)))

    def data(self, text: str) -> None:
        self._tick()
        if self.in_title:
            self.title.append(text)
        if not self.invisible:
            self.out.append(text.replace("\n", _BREAK) if self.pre else text)

    def comment(self, text: str) -> None:
        """Comments are not text."""

    def close(self) -> None:
        """Nothing to return: the text is read with :meth:`text`."""

    def _tick(self) -> None:
        self.events += 1
        if self.events % 4096 == 0:
            self.clock.check()

    def text(self) -> str:
        """The output without chrome spans (difference array over the chunks: linear)."""
        sizes = [len("".join(chunk.split())) for chunk in self.out]
        prefix = [0]
        for size in sizes:
            prefix.append(prefix[-1] + size)
        total = prefix[-1]
        cover = [0] * (len(self.out) + 1)
        for start, end in self.chrome:
            if prefix[end] - prefix[start] < _WHOLE_PAGE * total:
                cover[start] += 1
                cover[end] -= 1
        kept: list[str] = []
        depth = 0
        for i, chunk in enumerate(self.out):
            depth += cover[i]
            if depth == 0 or chunk == _BREAK:
                kept.append(chunk)
        return "".join(kept)


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


def _read_docx(data: bytes, budget: ReadBudget, clock: _Clock) -> RawDocument:
    """Body paragraphs and table cells in document order; list paragraphs as bullet items.

    The zip is checked first (member count, declared sizes, then the actual inflated sizes
    while streaming every member), so a zip bomb is refused before python-docx inflates it.
    """
    import docx  # imported lazily: python-docx is only needed for .docx files

    _check_zip(data, budget, clock)
    try:
        document = docx.Document(io.BytesIO(data))
        styles = _style_names(document)
        lines = _bounded(_docx_lines(document, styles, clock), budget.max_doc_chars)
    except UnreadableFile:
        raise
    except Exception as exc:  # untrusted zip/XML: parser failures come in many types
        raise UnreadableFile(f"corrupt docx: {_short(exc)}") from None
    text = "\n".join(lines)
    if len(text) > budget.max_doc_chars:  # the rest was not read
        raise UnreadableFile(_too_long(f"at least {len(text):,}", budget.max_doc_chars))
    if not text.strip():
        raise UnreadableFile("empty file")
    return RawDocument(text=text, encoding=None)


def _bounded(lines: Iterable[str], limit: int) -> list[str]:
    """Lines until their text passes ``limit`` characters: enough to be refused as too long
    without reading the rest (the length check reports it)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        kept.append(line)
        size += len(line) + 1
        if size > limit:
            break
    return kept


_EOCD = struct.Struct("<4s4H2LH")  # zip end-of-central-directory record


def _check_zip(data: bytes, budget: ReadBudget, clock: _Clock) -> None:
    """Refuse a zip whose members, declared sizes or actual inflated sizes are over budget."""
    _check_member_count(data, budget.max_zip_members)
    limit = budget.unzip_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            declared = sum(info.file_size for info in members)
            if declared > limit:
                raise UnreadableFile(
                    f"docx unzips to {_mb(declared)}, over the {_mb(limit)} limit"
                    " (limit: ReadBudget.max_unzip_mb)"
                )
            actual = 0
            for info in members:
                with archive.open(info) as member:
                    while chunk := member.read(MB):
                        actual += len(chunk)
                        if actual > limit:
                            raise UnreadableFile(
                                f"docx inflates past the {_mb(limit)} limit"
                                " (limit: ReadBudget.max_unzip_mb)"
                            )
                        clock.check()
    except UnreadableFile:
        raise
    except Exception as exc:  # BadZipFile, CRC errors, unsupported compression, ...
        raise UnreadableFile(f"corrupt docx: {_short(exc)}") from None


def _check_member_count(data: bytes, limit: int) -> None:
    """Read the member count from the end record before ``zipfile`` builds an object for
    every member: a million-entry central directory would cost memory before any check."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - _EOCD.size - 0xFFFF))
    if at < 0 or at + _EOCD.size > len(data):
        raise UnreadableFile("corrupt docx: not a zip file")
    total = _EOCD.unpack_from(data, at)[4]
    if total > limit:  # 0xFFFF means "see the zip64 record": more than any docx needs
        raise UnreadableFile(f"docx has {total:,} zip members, over the {limit:,} limit")


def _style_names(document: Any) -> dict[str, str]:
    """Style id -> name, read once: python-docx's ``paragraph.style`` scans every style of
    the document for every paragraph (100,000 paragraphs took 334 s)."""
    return {style.style_id: style.name or "" for style in document.styles if style.style_id}


def _docx_lines(container: Any, styles: dict[str, str], clock: _Clock) -> Iterator[str]:
    """Lines of a document or table cell, recursing into (nested) tables in order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        clock.check()
        if isinstance(block, Table):
            yield from _docx_table_lines(block, styles, clock)
        elif line := _docx_paragraph(block, styles):
            yield line


def _docx_table_lines(table: Any, styles: dict[str, str], clock: _Clock) -> Iterator[str]:
    """Each cell's lines, row by row; a merged cell repeats in ``row.cells`` so skip repeats.

    The set holds the ``<w:tc>`` elements themselves: ``id()`` of lxml proxies that were
    garbage-collected gets reused, which silently dropped cells.
    """
    seen: set[Any] = set()
    for row in table.rows:
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                yield from _docx_lines(cell, styles, clock)


def _docx_paragraph(paragraph: Any, styles: dict[str, str]) -> str:
    """Paragraph text (line breaks inside it normalised); list paragraphs as items."""
    text = paragraph.text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    p_pr = paragraph._p.pPr
    has_numbering = p_pr is not None and p_pr.numPr is not None
    style_name = styles.get(paragraph._p.style or "", "")
    return _as_item(text) if has_numbering or "List" in style_name else text


# --------------------------------------------------------------------------- pdf


def _read_pdf(data: bytes, budget: ReadBudget, clock: _Clock) -> RawDocument:
    """Text layer of every page, pages joined with a newline.

    pypdf's own resource limits are set from the budget (decoded stream size), the clock is
    checked between pages, and the text gathered so far may not outgrow one posting.
    """
    from pypdf import PdfReader, apply_configuration  # lazily: only needed for .pdf files
    from pypdf.errors import DependencyError, LimitReachedError

    limit = budget.stream_bytes()
    pages: list[str] = []
    size = 0
    try:
        with (
            warnings.catch_warnings(),
            _quiet_logger("pypdf"),
            apply_configuration(**_pdf_limits(limit)),
        ):
            # pypdf warns about every repairable defect in real-world PDFs; the text is what
            # we want, and a PDF that cannot be repaired raises and is reported below.
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            _unlock(reader)
            for page in reader.pages:
                clock.check()
                pages.append((page.extract_text() or "").strip("\r\n"))
                size += len(pages[-1])
                if size > budget.max_doc_chars:  # the other pages are not read
                    raise UnreadableFile(_too_long(f"at least {size:,}", budget.max_doc_chars))
    except UnreadableFile:
        raise
    except DependencyError as exc:  # AES encryption without the optional cryptography package
        raise UnreadableFile(f"encrypted pdf: {_short(exc)}") from None
    except LimitReachedError as exc:  # a flate bomb, a huge array, a deep page tree, ...
        raise UnreadableFile(
            f"pdf over a size limit ({_short(exc)}; limit: ReadBudget.max_stream_mb)"
        ) from None
    except Exception as exc:  # untrusted PDF: parser failures come in many types
        raise UnreadableFile(f"corrupt pdf: {_short(exc)}") from None
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UnreadableFile("pdf has no text layer")
    return RawDocument(text=text, encoding=None)


def _pdf_limits(limit: int) -> dict[str, int]:
    """pypdf's decompression limits (75 MB each by default) set to the budget."""
    names = (
        "maximum_declared_stream_length",
        "array_based_stream_maximum_output_length",
        "zlib_maximum_output_length",
        "lzw_maximum_output_length",
        "run_length_maximum_output_length",
        "brotli_maximum_output_length",
        "jbig2_maximum_output_length",
        "image_maximum_buffer_size",
    )
    return dict.fromkeys(names, limit)


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
Skips = list[tuple[int, str]]


def _read_table(
    data: bytes, suffix: str, text_column: str | None, budget: ReadBudget, clock: _Clock
) -> ReadResult:
    """One document per row: the text column is the JD, the other columns its metadata.

    A row that cannot be read (bad JSON, too deep, a value that cannot become text) is
    skipped with its reason; the other rows are read.
    """
    text, encoding = decode_bytes(data)
    skipped: Skips = []
    if suffix == ".jsonl":
        rows = list(_jsonl_rows(text, budget, clock, skipped))
        columns = list(dict.fromkeys(key for _, record in rows for key in record))
    else:
        columns, rows = _csv_rows(text, "\t" if suffix == ".tsv" else ",", clock, skipped)
    del text
    if not rows and skipped:
        return ReadResult([], skipped)
    column = _text_column(columns, text_column)
    documents = []
    for row, record in rows:
        try:
            body = _cell_text(record.get(column))
            if body.strip():
                metadata = {k: _cell_text(v) for k, v in record.items() if k != column}
                documents.append(RawDocument(body, encoding, row=row, metadata=metadata))
        except (ValueError, RecursionError) as exc:  # a value JSON cannot spell
            skipped.append((row, f"cannot read a value: {_short(exc)}"))
    if not documents and not skipped:
        raise UnreadableFile(f"no rows with text in column {column!r}")
    return ReadResult(documents, skipped)


def _csv_rows(
    text: str, delimiter: str, clock: _Clock, skipped: Skips
) -> tuple[list[str], list[tuple[int, Record]]]:
    """The header, and (0-based data-row number, {header: value}) for each non-blank row.

    Cells are not length-limited here (the file size bounds them): a cell limit inside the
    csv module would break a quoted multi-line cell into stray rows; a posting that is too
    long is skipped by its length afterwards.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # JDs in one cell can exceed 128 KiB
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise UnreadableFile(f"bad csv header: {_short(exc)}") from None
    rows: list[tuple[int, Record]] = []
    row = 0
    while True:
        if row % 256 == 0:
            clock.check()
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            skipped.append((row, f"bad csv at line {reader.line_num}: {_short(exc)}"))
        else:
            if any(v.strip() for v in values):
                rows.append((row, dict(zip(header, values, strict=False))))
        row += 1
    return header, rows


def _jsonl_rows(
    text: str, budget: ReadBudget, clock: _Clock, skipped: Skips
) -> Iterator[tuple[int, Record]]:
    """(0-based line number, object) for each non-blank line; a bad line is a named skip."""
    for row, line in enumerate(_lines(text)):
        if row % 256 == 0:
            clock.check()
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            skipped.append((row, f"invalid JSON on line {row + 1}: {exc.msg}"))
            continue
        except RecursionError:
            skipped.append((row, f"JSON on line {row + 1} is nested too deep"))
            continue
        except ValueError as exc:
            skipped.append((row, f"invalid JSON on line {row + 1}: {_short(exc)}"))
            continue
        if not isinstance(record, dict):
            skipped.append((row, f"line {row + 1} is not a JSON object"))
        elif _json_depth(record, budget.max_depth) > budget.max_depth:
            skipped.append(
                (row, f"JSON on line {row + 1} is nested deeper than {budget.max_depth} levels")
            )
        else:
            yield row, record


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (a split would copy a whole table at once)."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


# Python refuses to turn longer digit strings into int (a CPU guard, 4300 digits by default).
_INT_DIGITS = 4000


def _json_int(digits: str) -> int | str:
    """A JSON integer; one too long for ``int()`` is kept as its digits (an id, not a number)."""
    return int(digits) if len(digits) <= _INT_DIGITS else digits


def _json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, walked without recursion; stops past ``limit``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _text_column(columns: list[str], wanted: str | None) -> str:
    """The requested column (exact, then case-insensitive) or the first conventional name
    (case, spaces and hyphens ignored: "Job Description" is ``job_description``)."""
    by_lower = {c.lower(): c for c in reversed(columns)}  # reversed: first occurrence wins
    if wanted is not None:
        if wanted in columns:
            return wanted
        if wanted.lower() in by_lower:
            return by_lower[wanted.lower()]
        raise UnreadableFile(f"no column {storable(wanted)!r}")
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


_READERS: dict[str, Callable[[bytes, ReadBudget, _Clock], RawDocument]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}
