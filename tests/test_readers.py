"""Readers: bytes and file formats -> RawDocument, every failure an UnreadableFile.

Mirrors jdsearch/readers.py: text decoding, the entry point, HTML, DOCX, PDF, tables, and one
pass through the ingest layer. Fixtures are built in tmp_path (python-docx, reportlab).

Encoding names are the codec names the module records: GBK/GB2312 bytes of a .txt are read as
``gb18030`` (the superset codec: GBK bytes decode identically with it), cp950 bytes without a
cp950-only character as ``big5``, and any UTF-16 with a BOM as ``utf-16`` (the codec that reads
the BOM). HTML keeps the declared label (``gbk``, ``gb2312``) when that codec decodes the page.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib import pdfencrypt
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from jdsearch import Corpus
from jdsearch.readers import (
    BULLET,
    RawDocument,
    UnreadableFile,
    decode_bytes,
    read_documents,
    read_file,
)
from tests.conftest import corpus_file

SHORT_HANS = "负责客户档案管理"
SHORT_HANT = "負責客戶檔案管理"
SIMPLIFIED = ("001", "002", "003")
TRADITIONAL = "004"


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read_one(path: Path, **kwargs: str) -> RawDocument:
    (doc,) = read_documents(path, **kwargs)
    return doc


def encode(text: str, encoding: str) -> bytes:
    """Bytes of ``text``; "utf-16-le+bom"/"utf-16-be+bom" write that byte order with its BOM."""
    if encoding == "utf-16-le+bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be+bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


def one_line(exc: pytest.ExceptionInfo[UnreadableFile]) -> str:
    message = str(exc.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


# --------------------------------------------------------------------------- text decoding


@pytest.mark.parametrize(
    ("text", "written_as", "recorded"),
    [
        (SHORT_HANS, "utf-8", "utf-8"),
        (SHORT_HANS, "utf-8-sig", "utf-8-sig"),
        (SHORT_HANS, "utf-16-le+bom", "utf-16"),
        (SHORT_HANT, "utf-16-be+bom", "utf-16"),
        (SHORT_HANS, "utf-16-le", "utf-16-le"),  # no BOM, no NUL byte: scored as a candidate
        (SHORT_HANT, "utf-16-be", "utf-16-be"),
        (SHORT_HANS, "gb18030", "gb18030"),
        (SHORT_HANS, "gbk", "gb18030"),
        (SHORT_HANS, "gb2312", "gb18030"),
        (SHORT_HANT, "big5", "big5"),
        (SHORT_HANT, "cp950", "big5"),
        ("负责", "gb18030", "gb18030"),  # two characters, four bytes
        ("負責", "big5", "big5"),
        ("岗位职责：Java开发", "gbk", "gb18030"),
        ("崗位職責：Java開發", "big5", "big5"),
        ("负责客户档案管理😀", "gb18030", "gb18030"),  # four-byte GB18030 sequence
        ("Sales manager", "utf-16-le", "utf-16-le"),  # BOM-less UTF-16 of ASCII has NULs
        ("Sales manager", "utf-16-be", "utf-16-be"),
        ("We’re hiring a sales manager.", "cp1252", "cp1252"),
        ("Senior Engineer – Zürich office, résumé “required”", "cp1252", "cp1252"),
    ],
)
def test_short_text_is_decoded_exactly(tmp_path: Path, text: str, written_as: str, recorded: str):
    doc = read_one(write(tmp_path / "jd.txt", encode(text, written_as)))
    assert (doc.text, doc.encoding) == (text, recorded)
    assert (doc.row, doc.metadata) == (None, {})


def _corpus_cases() -> list[tuple[str, str, str]]:
    cases = []
    for prefix in ("000", *SIMPLIFIED, TRADITIONAL):
        cases += [(prefix, "utf-8", "utf-8"), (prefix, "utf-8-sig", "utf-8-sig")]
        cases += [(prefix, "utf-16-le+bom", "utf-16"), (prefix, "utf-16-be+bom", "utf-16")]
    for prefix in SIMPLIFIED:  # 000 is English: ASCII in any of these, read as utf-8
        cases += [(prefix, "gb18030", "gb18030"), (prefix, "gbk", "gb18030")]
    cases += [(TRADITIONAL, "big5", "big5"), (TRADITIONAL, "gb18030", "gb18030")]
    return cases


@pytest.mark.parametrize(("prefix", "written_as", "recorded"), _corpus_cases())
def test_sample_corpus_reencoded_reads_back_exactly(
    tmp_path: Path, prefix: str, written_as: str, recorded: str
):
    original = corpus_file(prefix).read_text("utf-8")
    suffix = ".md" if prefix == "002" else ".txt"
    doc = read_one(write(tmp_path / f"jd{suffix}", encode(original, written_as)))
    assert doc.encoding == recorded
    assert doc.text == original


def test_every_corpus_line_alone_is_decoded_exactly():
    """Each non-blank line of the Chinese samples alone: short inputs detectors get wrong."""
    wrong = []
    cases = [(p, "gb18030") for p in (*SIMPLIFIED, TRADITIONAL)] + [(TRADITIONAL, "big5")]
    for prefix, encoding in cases:
        path = corpus_file(prefix)
        for line in path.read_text("utf-8").split("\n"):
            if not line.strip():
                continue
            expected = encoding if not line.isascii() else "utf-8"
            got = decode_bytes(line.encode(encoding))
            if got != (line, expected):
                wrong.append((path.name, line[:20], got[1]))
    assert wrong == []


def test_one_mis_encoded_line_is_a_named_skip_not_mojibake():
    """GBK text with one line pasted in as UTF-8: as a whole it still scores as Chinese, but
    that line would be stored as mojibake (鍔犲叆…), so the file is refused and the line named."""
    gbk = "岗位职责：\n1、负责客户档案管理，维护渠道关系。\n2、完成部门下达的销售目标。\n"
    pasted = "3、负责门店的日常管理工作\n"  # its UTF-8 bytes are valid GB18030: 3銆佽礋璐ｉ棬搴…
    data = gbk.encode("gbk") * 3 + pasted.encode("utf-8") + gbk.encode("gbk")
    with pytest.raises(UnreadableFile) as exc:
        decode_bytes(data)
    assert one_line(exc) == "mixed or wrong encoding: line 10 does not read as gb18030"
    assert decode_bytes(gbk.encode("gbk") * 4) == (gbk * 4, "gb18030")


def test_random_bytes_are_not_stored_as_text():
    """Without NULs, random bytes strict-decode as BOM-less UTF-16 or some code page: a page of
    rare characters that must be refused, not stored (what charset-normalizer then proposes)."""
    rng = random.Random(7)
    for _ in range(100):
        data = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(60, 300)))
        with pytest.raises(UnreadableFile):
            decode_bytes(data)


def test_utf8_cut_inside_its_last_character_is_read():
    data = "负责客户档案管理".encode()
    assert decode_bytes(data[:-1]) == ("负责客户档案管", "utf-8")


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "big5", "utf-16"])
def test_line_endings_become_newlines(encoding: str):
    crlf = (
        "岗位职责\r\n1、负责\r2、回款\r\n"
        if encoding != "big5"
        else "崗位職責\r\n1、負責\r2、回款\r\n"
    )
    text, _ = decode_bytes(crlf.encode(encoding))
    assert text == crlf.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \r\n\t ", "empty file"),
        (codecs.BOM_UTF8, "empty file"),
        (codecs.BOM_UTF16_LE + " \n".encode("utf-16-le"), "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "binary file"),
        (b"\x00", "binary file"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "binary file"),  # a zip as .txt
        (bytes(range(256)) * 4, "binary file"),
    ],
)
def test_empty_and_binary_bytes_are_unreadable(tmp_path: Path, data: bytes, reason: str):
    with pytest.raises(UnreadableFile) as exc:
        read_documents(write(tmp_path / "jd.txt", data))
    assert one_line(exc) == reason


@settings(max_examples=100, deadline=None, database=None)
@given(st.binary(min_size=1, max_size=80))
def test_any_bytes_decode_strictly_or_raise_unreadable(data: bytes):
    """A wrong guess never crashes and never slips in U+FFFD: a strict decode or a reason."""
    try:
        text, encoding = decode_bytes(data)
    except UnreadableFile as exc:
        assert str(exc) in {
            "empty file",
            "binary file",
            "cannot decode text: no encoding gives readable characters",
        }
        return
    assert "\ufffd" not in text and "\r" not in text and text.strip()
    assert codecs.lookup(encoding)  # a real codec name, recorded on the document


# --------------------------------------------------------------------------- entry point


def test_unsupported_and_missing_files_are_named(tmp_path: Path):
    cases = {
        write(tmp_path / "jd.xlsx", "x"): "unsupported extension .xlsx",
        write(tmp_path / "README", "负责"): "no file extension",
        tmp_path / "missing.txt": "file not found",
    }
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    cases[folder] = "is a directory"
    for path, reason in cases.items():
        with pytest.raises(UnreadableFile) as exc:
            read_documents(path)
        assert one_line(exc) == reason


def test_suffix_is_case_insensitive(tmp_path: Path):
    assert read_one(write(tmp_path / "JD.TXT", SHORT_HANS.encode("gbk"))).text == SHORT_HANS


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied_is_named(tmp_path: Path):
    path = write(tmp_path / "jd.txt", SHORT_HANS)
    path.chmod(0)
    try:
        with pytest.raises(UnreadableFile) as exc:
            read_documents(path)
        assert one_line(exc) == "permission denied"
    finally:
        path.chmod(0o644)


# --------------------------------------------------------------------------- html

PAGE = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>区域经理岗位职责</title>
<style>body {{ color: red }}</style><script>var x = "脚本文字";</script></head>
<body>
<header>网站页头</header>
<nav><a href="/">首页</a> &gt; <a>职位</a></nav>
<div class="main">
  <h1>区域经理</h1>
  <p>岗位职责：</p>
  <ul>
    <li>负责客户档案管理</li>
    <li>负责区域
        回款</li>
    <li><p>完成销售目标</p></li>
    <li>1、已有编号</li>
    <li>督导<ul><li>店铺巡查</li></ul></li>
  </ul>
  <table><tr><td>学历</td><td>本科</td></tr></table>
  <p>联系我们<br>电话：{phone}</p>
  <div hidden>隐藏文字</div><span aria-hidden="true">图标</span>
  <div style="display: none">弹窗文字</div><p style="visibility:hidden">不可见</p>
  <noscript>请启用脚本</noscript><form><input value="搜索框">搜索</form>
</div>
<aside>相关推荐</aside>
<footer>版权所有 &copy;2024</footer>
</body></html>"""
PAGE_LINES = [
    "区域经理",
    "岗位职责：",
    f"{BULLET}负责客户档案管理",
    f"{BULLET}负责区域回款",  # a source line break between Han characters is no space
    f"{BULLET}完成销售目标",  # <li><p>…</p></li>: the item marker moves to the paragraph
    "1、已有编号",  # already numbered: no second marker
    f"{BULLET}督导",
    f"{BULLET}店铺巡查",
    "学历 本科",
    "联系我们",
    "电话：123",
]


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_visible_text_blocks_and_items(tmp_path: Path, suffix: str):
    doc = read_one(write(tmp_path / f"jd{suffix}", PAGE.format(phone=123).encode("gbk")))
    assert doc.text.split("\n") == PAGE_LINES
    assert doc.encoding == "gbk"
    assert doc.metadata == {"title": "区域经理岗位职责"}


@pytest.mark.parametrize(
    ("meta", "codec", "text", "recorded"),
    [
        ('<meta charset="gbk">', "gbk", SHORT_HANS, "gbk"),
        ('<meta charset="GB2312">', "gb2312", SHORT_HANS, "gb2312"),
        ('<meta charset="gb18030">', "gb18030", SHORT_HANS, "gb18030"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=big5">',
            "big5",
            SHORT_HANT,
            "big5",
        ),
        ('<meta charset="big5">', "cp950", "月薪€3000", "cp950"),  # € is cp950-only: superset
        ('<meta charset="gb2312">', "gbk", "負責", "gb18030"),  # GBK-only chars: superset
        ('<meta charset="utf-8">', "utf-8", SHORT_HANT, "utf-8"),
        ("", "gbk", "负责客户档案管理，完成区域销售目标", "gb18030"),  # no meta: detected
        ('<meta charset="no-such-charset">', "big5", SHORT_HANT, "big5"),
        ('<meta charset="gbk">', "utf-8", SHORT_HANS, "utf-8"),  # re-saved as UTF-8
        ('<meta charset="gbk">', "utf-8", "负责", "utf-8"),
        ('<meta charset="big5">', "utf-8", "負責", "utf-8"),
        ('<meta charset="utf-16">', "ascii", "Sales manager", "utf-8"),  # ASCII page: not UTF-16
    ],
)
def test_html_charset(tmp_path: Path, meta: str, codec: str, text: str, recorded: str):
    page = f"<html><head>{meta}</head><body><p>{text}</p></body></html>"
    if len(page) % 2:
        page += " "  # even length, so that a wrong UTF-16 decode would succeed
    doc = read_one(write(tmp_path / "jd.html", page.encode(codec)))
    assert (doc.text, doc.encoding) == (text, recorded)


def test_html_with_utf16_bom(tmp_path: Path):
    page = f"<html><body><ul><li>{SHORT_HANT}</li></ul></body></html>"
    doc = read_one(write(tmp_path / "jd.html", encode(page, "utf-16-le+bom")))
    assert (doc.text, doc.encoding) == (BULLET + SHORT_HANT, "utf-16")


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (b"<html><head><title>t</title><script>x()</script></head><body> </body></html>",
         "html has no visible text"),
        (b"  \n", "empty file"),
        (b"<p>a</p>\x00\x00\x01", "binary file"),
    ],
)  # fmt: skip
def test_html_without_text_is_unreadable(tmp_path: Path, page: bytes, reason: str):
    with pytest.raises(UnreadableFile) as exc:
        read_documents(write(tmp_path / "jd.html", page))
    assert one_line(exc) == reason


ASPNET_PAGE = """<html><body><form id="form1" method="post" action="./job.aspx">
<div class="header">招聘网</div>
<article><header><h1>数据分析师（上海·徐汇）</h1></header>
<h3>岗位职责</h3><ul><li>负责销售数据的整理与分析</li><li>搭建业务数据看板</li></ul></article>
<div class="recommend-list"><a>销售代表</a><a>客户经理</a></div>
<div class="footer">沪ICP备12345号</div>
</form></body></html>"""


def test_html_chrome_is_dropped_but_never_the_whole_page(tmp_path: Path):
    """ASP.NET wraps the whole page in one <form>: dropping forms would drop the posting. A
    <header> inside the posting's <article> is its title, not the site's header."""
    doc = read_one(write(tmp_path / "jd.html", ASPNET_PAGE))
    assert doc.text.split("\n") == [
        "招聘网",  # class="header" is not a chrome name: a site title is kept (cheap)
        "数据分析师（上海·徐汇）",
        "岗位职责",
        f"{BULLET}负责销售数据的整理与分析",
        f"{BULLET}搭建业务数据看板",
    ]


def test_html_nested_deeper_than_libxml2_allows_keeps_all_text(tmp_path: Path):
    """A tree parser stops at depth 256 (lxml) and silently drops the rest; streaming does not."""
    page = "<div>" * 3000 + "<p>负责回款</p>" + "</div>" * 3000 + "<p>完成销售目标</p>"
    assert read_one(write(tmp_path / "jd.html", page)).text == "负责回款\n完成销售目标"


# --------------------------------------------------------------------------- docx


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("区域经理岗位职责", level=1)
    document.add_paragraph("岗位职责：")
    document.add_paragraph("负责客户档案管理", style="List Number")
    document.add_paragraph("负责区域回款", style="List Number")
    document.add_paragraph("Visit key accounts", style="List Bullet")
    document.add_paragraph("   ")  # blank paragraphs are dropped
    paragraph = document.add_paragraph("第一行")
    paragraph.add_run().add_break()
    paragraph.add_run("第二行")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "学历", (0, 1): "本科", (1, 0): "经验", (1, 1): "三年"}.items():
        table.cell(r, c).text = value
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(0, 2).text = "右"
    document.add_paragraph("任职要求：本科以上学历")
    document.sections[0].header.paragraphs[0].text = "页眉"
    document.save(path)
    return path


def test_docx_paragraphs_lists_and_tables(tmp_path: Path):
    doc = read_one(make_docx(tmp_path / "jd.docx"))
    assert doc.text.split("\n") == [
        "区域经理岗位职责",
        "岗位职责：",
        f"{BULLET}负责客户档案管理",
        f"{BULLET}负责区域回款",
        f"{BULLET}Visit key accounts",
        "第一行",
        "第二行",
        "学历",
        "本科",
        "经验",  # was lost: cells were de-duplicated by id() of short-lived lxml proxies
        "三年",
        "合并单元格",  # a merged cell once
        "右",
        "任职要求：本科以上学历",
    ]
    assert (doc.encoding, doc.row, doc.metadata) == (None, None, {})


def _zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not a zip file", "corrupt docx: not a zip file"),
        (_zip_bytes({"hello.txt": "x"}), "corrupt docx: "),
        (_zip_bytes({"[Content_Types].xml": "<Types", "word/document.xml": "<w:document"}),
         "corrupt docx: "),
    ],
)  # fmt: skip
def test_corrupt_docx_is_unreadable(tmp_path: Path, data: bytes, reason: str):
    with pytest.raises(UnreadableFile) as exc:
        read_documents(write(tmp_path / "jd.docx", data))
    assert one_line(exc).startswith(reason)


def test_truncated_and_empty_docx(tmp_path: Path):
    whole = make_docx(tmp_path / "whole.docx").read_bytes()
    with pytest.raises(UnreadableFile) as exc:
        read_documents(write(tmp_path / "cut.docx", whole[: len(whole) // 2]))
    assert one_line(exc).startswith("corrupt docx: ")
    docx.Document().save(tmp_path / "empty.docx")
    with pytest.raises(UnreadableFile) as exc:
        read_documents(tmp_path / "empty.docx")
    assert one_line(exc) == "empty file"


# --------------------------------------------------------------------------- pdf

PDF_PAGES = [
    ["区域经理岗位职责", "1、负责客户档案管理", "2、負責區域回款 and sales"],
    ["第二页：任职要求"],
]


def make_pdf(path: Path, pages: list[list[str]], encrypt: object = None) -> Path:
    """A PDF whose text layer holds Chinese, drawn with the Adobe CID font STSong-Light."""
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), encrypt=encrypt)
    for lines in pages:
        pdf.setFont("STSong-Light", 12)
        for i, line in enumerate(lines):
            pdf.drawString(72, 760 - 20 * i, line)
        pdf.showPage()
    pdf.save()
    return path


def test_pdf_text_layer(tmp_path: Path):
    doc = read_one(make_pdf(tmp_path / "jd.pdf", PDF_PAGES))
    assert doc.text.split("\n") == [line for page in PDF_PAGES for line in page]
    assert (doc.encoding, doc.row) == (None, None)


def test_pdf_with_empty_user_password_is_opened(tmp_path: Path):
    lock = pdfencrypt.StandardEncryption("", ownerPassword="owner", canModify=0)
    assert read_one(make_pdf(tmp_path / "jd.pdf", [[SHORT_HANS]], lock)).text == SHORT_HANS


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda p: make_pdf(p, [[SHORT_HANS]], pdfencrypt.StandardEncryption("secret")),
         "encrypted pdf"),
        (lambda p: make_pdf(p, [[]]), "pdf has no text layer"),
        (lambda p: write(p, b"%PDF-1.4\n1 0 obj garbage"), "corrupt pdf: "),
        (lambda p: write(p, b"GIF89a not a pdf at all"), "corrupt pdf: "),
        (lambda p: write(p, make_pdf(p, PDF_PAGES).read_bytes()[:400]), "corrupt pdf: "),
    ],
)  # fmt: skip
def test_bad_pdf_is_unreadable_and_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, build: Callable[[Path], Path], reason: str
):
    path = build(tmp_path / "jd.pdf")
    with caplog.at_level(logging.DEBUG), pytest.raises(UnreadableFile) as exc:
        read_documents(path)
    assert one_line(exc).startswith(reason)
    pypdf_log = [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")]
    assert pypdf_log == []  # its repair log would reach stderr next to the skip warning


def test_aes_pdf_without_cryptography_is_reported_as_encrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """pypdf needs the optional ``cryptography`` package for AES; say so, not "corrupt"."""
    import pypdf
    from pypdf.errors import DependencyError

    def needs_aes(self: object, password: str) -> None:
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    lock = pdfencrypt.StandardEncryption("", ownerPassword="owner")
    path = make_pdf(tmp_path / "jd.pdf", [[SHORT_HANS]], lock)
    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_aes)
    with pytest.raises(UnreadableFile) as exc:
        read_documents(path)
    assert one_line(exc) == "encrypted pdf: cryptography>=3.1 is required for AES algorithm"


# --------------------------------------------------------------------------- csv / tsv / jsonl

RECORDS = [
    {"id": "7", "title": "区域经理", "description": "岗位职责\n1、负责客户档案管理\n2、负责回款"},
    {"id": "8", "title": "城市經理", "description": "崗位職責：負責通路開發"},
    {"id": "9", "title": "Sales", "description": 'Visit "key" accounts, weekly'},
]


def write_table(path: Path, records: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(records[0]), delimiter="\t" if path.suffix == ".tsv" else ","
        )
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    return write(path, text.encode(encoding))


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_one_document_per_row_other_columns_metadata(tmp_path: Path, suffix: str):
    docs = read_documents(write_table(tmp_path / f"jds{suffix}", RECORDS))
    assert [(d.row, d.text, d.encoding) for d in docs] == [
        (i, r["description"], "utf-8") for i, r in enumerate(RECORDS)
    ]
    assert [d.metadata for d in docs] == [{"id": r["id"], "title": r["title"]} for r in RECORDS]


@pytest.mark.parametrize(
    ("suffix", "encoding", "recorded"),
    [(".csv", "gb18030", "gb18030"), (".tsv", "utf-8-sig", "utf-8-sig"),
     (".jsonl", "utf-16", "utf-16"), (".csv", "utf-8-sig", "utf-8-sig")],
)  # fmt: skip
def test_tables_in_other_encodings(tmp_path: Path, suffix: str, encoding: str, recorded: str):
    records = [{"id": "1", "text": "负责客户档案管理，回款"}, {"id": "2", "text": "负责培训"}]
    docs = read_documents(write_table(tmp_path / f"jds{suffix}", records, encoding))
    assert [(d.text, d.encoding, d.metadata) for d in docs] == [
        (r["text"], recorded, {"id": r["id"]}) for r in records
    ]


def test_big5_tsv(tmp_path: Path):
    path = write_table(tmp_path / "jds.tsv", [{"職稱": "城市經理", "崗位職責": SHORT_HANT}], "big5")
    doc = read_one(path)
    assert (doc.text, doc.encoding, doc.metadata) == (SHORT_HANT, "big5", {"職稱": "城市經理"})


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (["id", "title", "description"], "description"),
        (["id", "Job Description", "notes"], "Job Description"),
        (["id", "JD", "body"], "JD"),  # the first conventional column, in file order
        (["编号", "职位名称", "岗位职责"], "岗位职责"),
        (["編號", "職位描述"], "職位描述"),
    ],
)
def test_text_column_is_auto_detected(tmp_path: Path, header: list[str], chosen: str):
    record = {name: f"{name} 的值" for name in header}
    for suffix in (".csv", ".jsonl"):
        doc = read_one(write_table(tmp_path / f"jds{suffix}", [record]))
        assert doc.text == f"{chosen} 的值"
        assert doc.metadata == {k: v for k, v in record.items() if k != chosen}


@pytest.mark.parametrize("asked", ["title", "TITLE"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_text_column_is_configurable(tmp_path: Path, suffix: str, asked: str):
    docs = read_documents(write_table(tmp_path / f"jds{suffix}", RECORDS), text_column=asked)
    assert [d.text for d in docs] == [r["title"] for r in RECORDS]
    assert [d.metadata for d in docs] == [
        {"id": r["id"], "description": r["description"]} for r in RECORDS
    ]


@pytest.mark.parametrize(
    ("name", "content", "text_column", "reason"),
    [
        ("jds.csv", "id,title,description\n1,a,b\n", "salary", "no column 'salary'"),
        ("jds.jsonl", '{"id": 1, "body": "x"}\n', "text", "no column 'text'"),
        ("jds.csv", "id,title,notes\n1,a,b\n", None, "no text column (use --text-column)"),
        ("jds.tsv", "id\ttitle\n1\ta\n", None, "no text column (use --text-column)"),
        ("jds.csv", "id,title,description\n", None, "no rows with text in column 'description'"),
        ("jds.csv", "id,description\n1,\n2,  \n", None, "no rows with text in column 'description'"),
        ("jds.jsonl", '{"text": "负责", "id": 1', None, "invalid JSON on line 1: Expecting ',' delimiter"),
        ("jds.jsonl", '{bad json}\n["not", "an object"]\n', None,
         "no readable rows (2 bad); row 0: invalid JSON on line 1: "
         "Expecting property name enclosed in double quotes"),
    ],
)  # fmt: skip
def test_table_errors_are_one_line_reasons(
    tmp_path: Path, name: str, content: str, text_column: str | None, reason: str
):
    path = write(tmp_path / name, content)
    with pytest.raises(UnreadableFile) as exc:
        read_documents(path, text_column=text_column)
    assert one_line(exc) == reason


def test_a_bad_row_skips_that_row_only(tmp_path: Path):
    jsonl = '{"text": "负责回款"}\n{bad json}\n\n["not", "an object"]\n{"text": "负责培训"}\n'
    result = read_file(write(tmp_path / "a.jsonl", jsonl))
    assert [(d.row, d.text) for d in result.documents] == [(0, "负责回款"), (4, "负责培训")]
    assert result.skipped == [
        (1, "invalid JSON on line 2: Expecting property name enclosed in double quotes"),
        (3, "line 4 is not a JSON object"),
    ]


def test_blank_rows_and_rows_without_text_are_skipped_keeping_row_numbers(tmp_path: Path):
    csv_text = "id,text\n1,负责回款\n\n2,\n3,负责培训\n"
    assert [(d.row, d.text) for d in read_documents(write(tmp_path / "a.csv", csv_text))] == [
        (0, "负责回款"),
        (3, "负责培训"),  # row 2 is the blank line (kept: positions are stable), row 1 is empty
    ]
    jsonl = '{"id": 1, "text": "负责回款"}\n\n{"id": 2}\n{"id": 3, "text": "负责培训"}\n'
    assert [(d.row, d.text) for d in read_documents(write(tmp_path / "a.jsonl", jsonl))] == [
        (0, "负责回款"),
        (3, "负责培训"),  # jsonl rows are line numbers (0-based)
    ]


def test_jsonl_values_become_text_and_metadata(tmp_path: Path):
    record = {
        "text": ["负责客户档案管理", "负责回款"],
        "tags": ["销售", "管理"],
        "remote": True,
        "salary": None,
        "years": 3,
        "location": {"city": "上海"},
    }
    doc = read_one(write(tmp_path / "a.jsonl", json.dumps(record, ensure_ascii=False) + "\r\n"))
    assert doc.text == "负责客户档案管理\n负责回款"
    assert doc.metadata == {
        "tags": "销售\n管理",
        "remote": "true",
        "salary": "",
        "years": "3",
        "location": '{"city": "上海"}',
    }


def test_csv_cell_with_newlines_and_crlf_rows(tmp_path: Path):
    data = 'title,text\r\n区域经理,"岗位职责\r\n1、负责回款\r\n2、负责培训"\r\n'.encode("gbk")
    doc = read_one(write(tmp_path / "a.csv", data))
    assert (doc.text, doc.encoding) == ("岗位职责\n1、负责回款\n2、负责培训", "gb18030")
    assert doc.metadata == {"title": "区域经理"}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_binary_table_is_unreadable(tmp_path: Path, suffix: str):
    with pytest.raises(UnreadableFile) as exc:
        read_documents(write(tmp_path / f"a{suffix}", b"\x00\x01\x02\x03\xff" * 7))
    assert one_line(exc) == "binary file"


# --------------------------------------------------------------------------- through ingest


def test_ingest_one_file_per_format_and_a_bad_one(tmp_path: Path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    write(
        folder / "a.txt", "岗位职责：\n1、负责建立客户档案。\n2、负责区域回款。\n".encode("gb18030")
    )
    write(folder / "b.md", encode("崗位職責：\n1、負責通路開發。\n2、負責經銷商管理。\n", "big5"))
    page = "<meta charset='gbk'><h2>岗位职责</h2><ol><li>负责门店巡查。</li><li>负责导购培训。</li></ol>"
    write(folder / "c.html", page.encode("gbk"))
    make_docx(folder / "sub" / "d.docx")
    make_pdf(folder / "e.pdf", PDF_PAGES)
    write_table(folder / "f.csv", RECORDS[:1])
    write_table(
        folder / "g.tsv", [{"id": "1", "text": "Responsibilities:\n1. Visit key customers."}]
    )
    write_table(folder / "h.jsonl", [{"id": "1", "text": "任职要求：\n1、三年以上销售经验。"}])
    write(folder / "bad.pdf", b"%PDF-1.4\nnot really")

    report = Corpus(tmp_path / "idx").ingest([folder])

    [(source, reason)] = report.skipped
    assert source == str(folder / "bad.pdf")  # a skip is named as the user wrote the path
    assert reason.startswith("corrupt pdf: ") and "\n" not in reason
    assert report.added == 8
    corpus = Corpus(tmp_path / "idx")
    by_file: dict[str, list[str]] = {}
    for clause in corpus.clauses():
        by_file.setdefault(Path(clause.source.split("#")[0]).name, []).append(clause.text)
    expected = {
        "a.txt": ["负责建立客户档案", "负责区域回款"],
        "b.md": ["負責通路開發", "負責經銷商管理"],
        "c.html": ["负责门店巡查", "负责导购培训"],
        "d.docx": ["负责客户档案管理", "经验", "合并单元格"],
        "e.pdf": ["负责客户档案管理", "負責區域回款 and sales"],
        "f.csv": ["负责客户档案管理", "负责回款"],
        "g.tsv": ["Visit key customers"],
        "h.jsonl": ["三年以上销售经验"],
    }
    assert set(by_file) == set(expected)
    for name, snippets in expected.items():  # each snippet inside one clause of that file
        missing = [s for s in snippets if not any(s in clause for clause in by_file[name])]
        assert missing == [], (name, by_file[name])
    encodings = {Path(d.path).name: d.encoding for d in corpus.documents()}
    assert encodings == {
        "a.txt": "gb18030",
        "b.md": "big5",
        "c.html": "gbk",
        "d.docx": None,
        "e.pdf": None,
        "f.csv": "utf-8",
        "g.tsv": "utf-8",
        "h.jsonl": "utf-8",
    }
    assert {Path(d.path).name: d.source for d in corpus.documents()}["f.csv"].endswith("f.csv#0")
