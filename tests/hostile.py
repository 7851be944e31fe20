"""Hostile files, generated: the attack of issues 17/18 as code, at a chosen size.

``tests/test_hostile.py`` builds them small and mixes them with good postings;
``bench/hostile.py`` builds the big versions (a 50 MB line, a 1 GB space bomb, ...) and times
each one. Every case says what must happen: a named skip (with words its reason must hold), a
posting that lands (with a marker its clauses must hold), or a table whose good rows land while
its bad rows are skipped by ``name#row``.
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docx

SKIP, LANDS, EITHER = "skip", "lands", "either"


@dataclass(frozen=True)
class Scale:
    """Sizes of the generated attacks (small for the test-suite, big for the benchmark)."""

    long_line_chars: int = 150_000  # an honest single-line transcript that must land
    huge_line_bytes: int = 3 << 20  # a single-line .txt over the posting limit
    big_cell_chars: int = 600_000  # one CSV cell over the posting limit
    html_depth: int = 20_000
    json_depth: int = 100_000
    space_bomb_bytes: int = 16 << 20  # docx member of spaces
    flate_bomb_bytes: int = 16 << 20  # pdf content stream
    docx_paragraphs: int = 3_000


SMALL = Scale()
BIG = Scale(
    long_line_chars=2_000_000,
    huge_line_bytes=50 << 20,
    big_cell_chars=10_000_000,
    html_depth=100_000,
    json_depth=100_000,
    space_bomb_bytes=1 << 30,
    flate_bomb_bytes=1 << 30,
    docx_paragraphs=100_000,
)


@dataclass(frozen=True)
class Case:
    """One entry of the hostile folder and the outcome it must have."""

    name: str
    build: Callable[[Path, Scale], None]
    expect: str  # SKIP, LANDS or EITHER
    reason: str = ""  # words the skip reason must contain
    markers: tuple[str, ...] = ()  # phrases that must land in clauses
    row_skips: dict[int, str] = field(default_factory=dict)  # table row -> reason words
    outside: str = ""  # a phrase that must never land (text behind a link out of the folder)


def posting(n: int) -> str:
    """A small good posting carrying the unique marker ``MK{n:02d}``."""
    return (
        "岗位职责：\n"
        f"1、负责第{n}区域的客户档案管理与回款跟进工作，标记MK{n:02d}。\n"
        "2、完成部门下达的销售目标。\n"
        "任职要求：\n1、三年以上销售经验。\n"
    )


def marker(n: int) -> str:
    return f"MK{n:02d}"


# --------------------------------------------------------------------------- builders


def _text(name: str, data: bytes) -> Callable[[Path, Scale], None]:
    def build(folder: Path, scale: Scale) -> None:
        (folder / name).write_bytes(data)

    return build


def _jsonl(name: str, lines: list[str]) -> Callable[[Path, Scale], None]:
    def build(folder: Path, scale: Scale) -> None:
        (folder / name).write_text("\n".join(lines) + "\n", "utf-8")

    return build


def _row(n: int, **extra: object) -> str:
    return json.dumps({"title": f"经理{n}", "text": posting(n), **extra}, ensure_ascii=False)


def _deep_jsonl(folder: Path, scale: Scale) -> None:
    deep = "[" * scale.json_depth + "]" * scale.json_depth
    (folder / "deep.jsonl").write_text(_row(13) + "\n" + deep + "\n" + _row(14) + "\n", "utf-8")


def _deep_value_jsonl(folder: Path, scale: Scale) -> None:
    value = "[" * 200 + "]" * 200
    bad = '{"text": "负责销售", "extra": ' + value + "}"
    (folder / "deep_value.jsonl").write_text(_row(15) + "\n" + bad + "\n", "utf-8")


def _big_cell_csv(folder: Path, scale: Scale) -> None:
    rows = [
        "title,description",
        f'经理16,"{posting(16)}"',
        "huge," + "x" * scale.big_cell_chars,
        f'经理17,"{posting(17)}"',
    ]
    (folder / "big_cell.csv").write_text("\n".join(rows) + "\n", "utf-8")


def _long_line(folder: Path, scale: Scale) -> None:
    unit = "负责客户档案管理，维护渠道关系，完成销售目标。"
    body = (unit * (scale.long_line_chars // len(unit) + 1))[: scale.long_line_chars]
    (folder / "long_line.txt").write_text(body + "标记MK18。", "utf-8")


def _huge_line(folder: Path, scale: Scale) -> None:
    unit = b"Manage customer files and keep the channel going. "
    with (folder / "huge_line.txt").open("wb") as fh:
        for _ in range(scale.huge_line_bytes // len(unit) + 1):
            fh.write(unit)


def _deep_html(folder: Path, scale: Scale) -> None:
    n = scale.html_depth
    page = (
        "<html><body>"
        + "<div>" * n
        + "<p>负责客户档案管理，标记MK19。</p>"
        + "</div>" * n
        + "<p>完成销售目标，标记MK20。</p></body></html>"
    )
    (folder / "deep.html").write_text(page, "utf-8")


CHROME_PAGE = """<html><head><title>区域经理</title></head><body>
<div id="breadcrumb">首页 &gt; 职位 &gt; 销售 CHROME1</div>
<div class="job-detail">
  <h1>区域经理</h1>
  <div class="share-bar">分享到微信 CHROME2</div>
  <h3>岗位职责</h3><ul><li>负责客户档案管理，标记MK21。</li><li>负责区域回款，标记MK22。</li></ul>
  <div class="companyInfo"><p>本公司成立于1998年，是行业领先企业 CHROME3</p></div>
</div>
<ul class="related-jobs"><li>销售代表 CHROME4</li><li>客户经理 CHROME5</li></ul>
<div class="side_bar">热门职位 CHROME6</div>
<footer>版权所有 CHROME7</footer>
</body></html>"""


def _docx_bytes(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, change: Callable[[str, bytes], bytes], extra: int = 0) -> bytes:
    """The docx with each member passed through ``change`` (and ``extra`` empty members)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, change(info.filename, source.read(info.filename)))
        for i in range(extra):
            archive.writestr(f"extra/part{i}.xml", b"")
    return out.getvalue()


def _body(change: Callable[[bytes], bytes]) -> Callable[[str, bytes], bytes]:
    return lambda name, data: change(data) if name == "word/document.xml" else data


def _space_bomb(folder: Path, scale: Scale) -> None:
    """document.xml padded with spaces: inflates to ``space_bomb_bytes`` from ~1/1000 of it."""
    base = _docx_bytes([posting(23)])
    source = zipfile.ZipFile(io.BytesIO(base))
    path = folder / "space_bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != "word/document.xml":
                archive.writestr(info.filename, data)
                continue
            head, tail = data.split(b"<w:body>", 1)
            with archive.open(info.filename, "w", force_zip64=True) as member:
                member.write(head + b"<w:body>")
                chunk = b" " * (1 << 20)
                for _ in range(scale.space_bomb_bytes >> 20):
                    member.write(chunk)
                member.write(tail)


def _lying_docx(folder: Path, scale: Scale) -> None:
    """document.xml declares 2,000 bytes (both zip headers) but inflates to 8 MB."""
    padding = b"<!--" + b" " * (8 << 20) + b"-->"
    data = _rezip(_docx_bytes([posting(24)]), _body(lambda d: d.replace(b"?>", b"?>" + padding, 1)))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    patched = bytearray(data)
    struct.pack_into("<L", patched, info.header_offset + 22, 2000)  # local header
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # the member's central directory entry
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == b"word/document.xml":
            struct.pack_into("<L", patched, at + 24, 2000)
        at = data.find(b"PK\x01\x02", at + 4)
    (folder / "lying_sizes.docx").write_bytes(bytes(patched))


def _many_members(folder: Path, scale: Scale) -> None:
    (folder / "many_members.docx").write_bytes(_rezip(_docx_bytes([posting(25)]), _keep, 300))


def _keep(name: str, data: bytes) -> bytes:
    return data


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def _billion_laughs(folder: Path, scale: Scale) -> None:
    def change(data: bytes) -> bytes:
        body = data.split(b"?>", 1)[1]
        return LAUGHS + body.replace(b"<w:t>", b"<w:t>&lol9;", 1)

    data = _rezip(_docx_bytes([posting(26)]), _body(change))
    (folder / "laughs.docx").write_bytes(data)


def _deep_docx(folder: Path, scale: Scale) -> None:
    def change(data: bytes) -> bytes:
        deep = b"<w:sdt>" * 100_000 + b"</w:sdt>" * 100_000
        return data.replace(b"<w:body>", b"<w:body>" + deep, 1)

    (folder / "deep_xml.docx").write_bytes(_rezip(_docx_bytes([posting(27)]), _body(change)))


def _big_docx(folder: Path, scale: Scale) -> None:
    """An honest long .docx: many paragraphs (python-docx's style lookup made it crawl)."""
    one = b"<w:p><w:r><w:t>\xe8\xb4\x9f\xe8\xb4\xa3\xe5\xae\xa2\xe6\x88\xb7\xe6\xa1\xa3\xe6\xa1\x88</w:t></w:r></w:p>"

    def change(data: bytes) -> bytes:
        return data.replace(b"<w:body>", b"<w:body>" + one * scale.docx_paragraphs, 1)

    (folder / "many_paragraphs.docx").write_bytes(_rezip(_docx_bytes([posting(28)]), _body(change)))


def pdf_bytes(stream: bytes, *, cyclic: bool = False) -> bytes:
    """A one-page PDF around a FlateDecode content stream (``cyclic``: the page tree loops)."""
    kids = b"[3 0 R 2 0 R]" if cyclic else b"[3 0 R]"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids " + kids + b" /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def pdf_text(text: str) -> bytes:
    return zlib.compress(b"BT /F1 12 Tf 72 700 Td (" + text.encode("latin-1") + b") Tj ET")


def _flate_bomb(folder: Path, scale: Scale) -> None:
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(b"BT /F1 12 Tf 72 700 Td (")]
    chunk = b"A" * (1 << 20)
    parts += [compressor.compress(chunk) for _ in range(scale.flate_bomb_bytes >> 20)]
    parts.append(compressor.compress(b") Tj ET") + compressor.flush())
    (folder / "flate_bomb.pdf").write_bytes(pdf_bytes(b"".join(parts)))


def _cyclic_pdf(folder: Path, scale: Scale) -> None:
    (folder / "cyclic.pdf").write_bytes(pdf_bytes(pdf_text("Visit key accounts"), cyclic=True))


def _flipped(data: bytes, seed: int, flips: int = 40) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _garbage(seed: int, size: int = 4096) -> bytes:
    return random.Random(seed).randbytes(size)


def _undecodable_name(folder: Path, scale: Scale) -> None:
    name = os.fsencode(folder) + b"/caf\xe9.txt"
    fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, posting(29).encode("utf-8"))
    os.close(fd)


def _markup_name(folder: Path, scale: Scale) -> None:
    """``[red]x[/].txt`` as a path: Rich markup that broke the warnings (``/`` needs a folder)."""
    (folder / "[red]x[").mkdir()
    (folder / "[red]x[" / "].txt").write_text(posting(37), "utf-8")


def _link(name: str, target: str) -> Callable[[Path, Scale], None]:
    def build(folder: Path, scale: Scale) -> None:
        (folder / name).symlink_to(target)

    return build


def _outside_link(folder: Path, scale: Scale) -> None:
    outside = folder.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text("负责保管机密OUTSIDE01。\n", "utf-8")
    (folder / "passwd.txt").symlink_to(outside / "secret.txt")
    (folder / "outside_dir").symlink_to(outside, target_is_directory=True)


def _fifo(folder: Path, scale: Scale) -> None:
    os.mkfifo(folder / "pipe.txt")


def _socket(folder: Path, scale: Scale) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "sock.txt"))


def _folder_like_file(folder: Path, scale: Scale) -> None:
    (folder / "folder.docx").mkdir()
    (folder / "folder.docx" / "inside.txt").write_text(posting(30), "utf-8")


def _mixed_encodings(folder: Path, scale: Scale) -> None:
    text = posting(31)
    half = len(text) // 2
    data = text[:half].encode("utf-8") + (text[half:] * 3).encode("gbk")
    (folder / "mixed.txt").write_bytes(data)


def _near_utf8(folder: Path, scale: Scale) -> None:
    data = (posting(32) * 3).encode("utf-8")
    (folder / "near_utf8.txt").write_bytes(data[:100] + b"\xff" + data[100:])


GOOD_DOCX = _docx_bytes(posting(33).split("\n"))
GOOD_PDF = pdf_bytes(pdf_text("Visit key accounts weekly and record MK34 in the CRM."))


def cases() -> list[Case]:
    """The hostile folder: every attack of issues 17/18 with its required outcome."""
    rows = "rows"
    return [
        # table rows: one bad row skips that row only
        Case("digits.jsonl", _jsonl("digits.jsonl", [_row(10), _row(11)[:-1] + ', "id": ' + "9" * 5000 + "}"]),
             LANDS, markers=(marker(10), marker(11))),
        Case("surrogate.jsonl", _jsonl("surrogate.jsonl", [
            '{"text": "负责\\ud800回款，标记MK12。"}']), LANDS, markers=(marker(12),)),
        Case("deep.jsonl", _deep_jsonl, rows, markers=(marker(13), marker(14)),
             row_skips={1: "nested too deep"}),
        Case("deep_value.jsonl", _deep_value_jsonl, rows, markers=(marker(15),),
             row_skips={1: "nested deeper than"}),
        Case("bad_row.jsonl", _jsonl("bad_row.jsonl", [_row(35), "{bad json", "[1, 2]"]), rows,
             markers=(marker(35),), row_skips={1: "invalid JSON", 2: "not a JSON object"}),
        Case("big_cell.csv", _big_cell_csv, rows, markers=(marker(16), marker(17)),
             row_skips={1: "limit for one posting"}),
        # size and time
        Case("long_line.txt", _long_line, LANDS, markers=(marker(18),)),
        Case("huge_line.txt", _huge_line, SKIP, "limit"),
        Case("deep.html", _deep_html, LANDS, markers=(marker(19), marker(20))),
        Case("chrome.html", _text("chrome.html", CHROME_PAGE.encode()), LANDS,
             markers=(marker(21), marker(22))),
        Case("space_bomb.docx", _space_bomb, SKIP, "docx unzips to"),
        Case("lying_sizes.docx", _lying_docx, SKIP, "corrupt docx"),
        Case("many_members.docx", _many_members, SKIP, "zip members"),
        Case("laughs.docx", _billion_laughs, EITHER),
        Case("deep_xml.docx", _deep_docx, SKIP, "corrupt docx"),
        Case("many_paragraphs.docx", _big_docx, LANDS, markers=(marker(28),)),
        Case("flate_bomb.pdf", _flate_bomb, SKIP, "pdf over a size limit"),
        Case("cyclic.pdf", _cyclic_pdf, EITHER),
        # damaged and garbage bytes
        Case("truncated.docx", _text("truncated.docx", GOOD_DOCX[: len(GOOD_DOCX) // 2]), SKIP,
             "corrupt docx"),
        Case("flipped.docx", _text("flipped.docx", _flipped(GOOD_DOCX, 1)), EITHER),
        Case("truncated.pdf", _text("truncated.pdf", GOOD_PDF[: len(GOOD_PDF) // 2]), EITHER),
        Case("flipped.pdf", _text("flipped.pdf", _flipped(GOOD_PDF, 2, 10)), EITHER),
        *(Case(f"garbage{suffix}", _text(f"garbage{suffix}", _garbage(i)), SKIP)
          for i, suffix in enumerate((".txt", ".md", ".html", ".csv", ".tsv", ".jsonl", ".docx",
                                      ".pdf"))),
        Case("mixed.txt", _mixed_encodings, SKIP, "encoding"),
        Case("near_utf8.txt", _near_utf8, SKIP, "invalid UTF-8"),
        Case("empty.txt", _text("empty.txt", b""), SKIP, "empty"),
        Case("nul.jsonl", _jsonl("nul.jsonl", ['{"text": "负责\\u0000回款\\u001b[31m，标记MK36。"}']),
             LANDS, markers=(marker(36),)),
        # names and paths
        Case("caf\\xe9.txt", _undecodable_name, SKIP, "not valid UTF-8"),
        Case("].txt", _markup_name, LANDS, markers=(marker(37),)),
        Case("[bold]y.txt", _text("[bold]y.txt", posting(48).encode()), LANDS,
             markers=(marker(48),)),
        Case("with spaces .txt", _text("with spaces .txt", posting(38).encode()), LANDS,
             markers=(marker(38),)),
        Case("new\\nline.txt", _text("new\nline.txt", posting(39).encode()), LANDS,
             markers=(marker(39),)),
        Case("loop_a.txt", _link("loop_a.txt", "loop_b.txt"), SKIP, "loop"),
        Case("loop_b.txt", _link("loop_b.txt", "loop_a.txt"), SKIP, "loop"),
        Case("self.txt", _link("self.txt", "self.txt"), SKIP, "loop"),
        Case("dangling.txt", _link("dangling.txt", "nowhere.txt"), SKIP, "broken symbolic link"),
        Case("passwd.txt", _outside_link, SKIP, "outside the folder", outside="OUTSIDE01"),
        Case("outside_dir", lambda folder, scale: None, SKIP, "outside the folder"),
        Case("up", _link("up", "."), SKIP, "loop"),
        Case("pipe.txt", _fifo, SKIP, "named pipe"),
        Case("sock.txt", _socket, SKIP, "socket"),
        Case("folder.docx", _folder_like_file, SKIP, "folder named like"),
        Case("unsupported.bin", _text("unsupported.bin", b"x"), SKIP, "unsupported"),
    ]  # fmt: skip


def good_files() -> dict[str, tuple[bytes, tuple[str, ...]]]:
    """Good postings in every format: name -> (bytes, markers that must land)."""
    big5 = (
        "崗位職責：\n1、負責第41區域的客戶檔案管理與回款跟進工作，標記MK41。\n2、完成銷售目標。\n"
    )
    html = f"<html><body><h2>岗位职责</h2><p>{posting(42)}</p></body></html>"
    csv_rows = "title,description\n" + "".join(f'经理{n},"{posting(n)}"\n' for n in (43, 44))
    jsonl_rows = "".join(_row(n) + "\n" for n in (45, 46))
    return {
        "good.txt": (posting(40).encode("utf-8"), (marker(40),)),
        "good_gbk.txt": (posting(47).encode("gbk"), (marker(47),)),
        "good_big5.md": (big5.encode("big5"), (marker(41),)),
        "good.html": (html.encode("utf-8"), (marker(42),)),
        "good.docx": (GOOD_DOCX, (marker(33),)),
        "good.pdf": (GOOD_PDF, (marker(34),)),
        "good.csv": (csv_rows.encode("utf-8"), (marker(43), marker(44))),
        "good.jsonl": (jsonl_rows.encode("utf-8"), (marker(45), marker(46))),
    }


def build_folder(folder: Path, scale: Scale = SMALL) -> list[Case]:
    """Write every hostile case and every good posting into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (data, _) in good_files().items():
        (folder / name).write_bytes(data)
    built = cases()
    for case in built:
        case.build(folder, scale)
    return built
