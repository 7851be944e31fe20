"""Hostile files never abort, stall or starve an ingest (issues 17 and 18).

The whole class of attacks (``tests/hostile.py``, small versions) is mixed with good postings
in every format and ingested through ``Corpus.ingest``: every good posting must land, every
bad file or row must be a named skip with a one-line reason, nothing may raise, and each file
must finish well inside its time budget. Then: links and special files under
``follow_links``, the CLI's warnings for names that look like Rich markup, the time budget,
a failure inside segmentation, and a bounded fuzz over file bytes for every reader.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdsearch import Corpus, JdsearchError, ReadBudget
from jdsearch.ingest import IngestReport
from jdsearch.readers import (
    SUPPORTED_SUFFIXES,
    UnreadableFile,
    cut_long_lines,
    read_file,
)
from jdsearch.walk import iter_files, printable
from tests.hostile import (
    EITHER,
    GOOD_DOCX,
    GOOD_PDF,
    LANDS,
    SKIP,
    Case,
    build_folder,
    good_files,
    posting,
)

# Small limits, so that the small generated attacks are over them (the benchmark runs the
# big versions against the defaults).
BUDGET = ReadBudget(max_unzip_mb=4, max_stream_mb=4, max_zip_members=100)
# Each small file reads in well under a second; the budget is 30 s. The margin is for a
# loaded test machine, not for the code.
PER_FILE_SECONDS = 10.0


class Run:
    """One ingest of the hostile folder: report, clause texts, seconds per file."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "hostile"
        self.cases = build_folder(self.folder)
        self.seconds: dict[str, float] = {}
        started: list[tuple[str, float]] = []

        def progress(done: int, total: int, source: str) -> None:
            now = time.monotonic()
            if started:
                self.seconds[started[-1][0]] = now - started[-1][1]
            started.append((source, now))

        self.report: IngestReport = Corpus(root / "idx").ingest(
            [self.folder], budget=BUDGET, progress=progress
        )
        self.texts = [c.text for c in Corpus(root / "idx").clauses()]
        self.skips = {_name(source): reason for source, reason in self.report.skipped}

    def landed(self, phrase: str) -> bool:
        return any(phrase in text for text in self.texts)


def _name(source: str) -> str:
    """The last path part of a skip's source, ``#row`` kept (``deep.jsonl#1``)."""
    return source.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run(tmp_path_factory.mktemp("hostile"))


def _by_expectation(expect: str) -> list[Case]:
    from tests.hostile import cases

    return [c for c in cases() if c.expect == expect]


def test_every_good_posting_lands(run: Run):
    markers = [m for _, found in good_files().values() for m in found]
    markers += [m for case in run.cases if case.expect != SKIP for m in case.markers]
    assert [m for m in markers if not run.landed(m)] == []
    assert run.report.added >= len(good_files())


@pytest.mark.parametrize("case", _by_expectation(SKIP), ids=lambda c: c.name)
def test_every_bad_file_is_a_named_skip(run: Run, case: Case):
    reason = run.skips.get(case.name)
    assert reason, f"{case.name} was not skipped by name: {sorted(run.skips)}"
    assert "\n" not in reason and "Traceback" not in reason
    assert case.reason.lower() in reason.lower(), reason
    assert not any(m in text for m in case.markers for text in run.texts)
    if case.outside:
        assert not run.landed(case.outside)


@pytest.mark.parametrize("case", _by_expectation("rows"), ids=lambda c: c.name)
def test_a_bad_row_is_skipped_as_file_row(run: Run, case: Case):
    for row, words in case.row_skips.items():
        reason = run.skips.get(f"{case.name}#{row}", "")
        assert words in reason, (case.name, row, run.skips)
    assert case.name not in run.skips  # the file itself was read
    assert all(run.landed(m) for m in case.markers)


@pytest.mark.parametrize("case", _by_expectation(LANDS), ids=lambda c: c.name)
def test_odd_but_valid_files_land_unskipped(run: Run, case: Case):
    assert case.name not in run.skips
    assert all(run.landed(m) for m in case.markers)


def test_damaged_files_are_skipped_or_read_never_raise(run: Run):
    for case in _by_expectation(EITHER):
        if case.name in run.skips:
            assert run.skips[case.name] and "\n" not in run.skips[case.name]


def test_nothing_is_silent(run: Run):
    """Every entry of the folder is read or named (hidden names excepted, by design)."""
    named = set(run.skips) | {_name(s) for s in _sources_read(run)}
    for case in run.cases:
        assert case.name in named or any(n.startswith(case.name + "#") for n in named), case.name


def _sources_read(run: Run) -> Iterator[str]:
    for document in Corpus(run.folder.parent / "idx").documents():
        yield document.source.split("#")[0]


def test_each_file_stays_inside_its_time_budget(run: Run):
    slow = {_name(s): round(t, 1) for s, t in run.seconds.items() if t > PER_FILE_SECONDS}
    assert slow == {}


def test_chrome_of_a_page_is_dropped_posting_kept(run: Run):
    assert not any(re.search(r"CHROME\d", text) for text in run.texts)
    assert run.landed("负责客户档案管理，标记MK21") and run.landed("负责区域回款，标记MK22")


def test_lone_surrogates_and_control_characters_are_storable(run: Run):
    assert run.landed("负责\ufffd回款")  # "\ud800" in JSON: replaced, the rest kept
    assert run.landed("MK36")  # NUL and ESC inside a JSON string


JOB_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="top-nav"><a href="/">首页</a><a>职位搜索</a> CHROME1</div>
<div class="breadcrumb">首页 &gt; {city}招聘 &gt; {title} CHROME2</div>
<div class="main"><div class="job-detail"><h1>{title}</h1>
<div class="job-share">分享到：微信 微博 CHROME3</div><div class="job-desc">{body}</div>
<div class="company-info"><h3>公司介绍</h3><p>一家{industry}企业 CHROME4</p></div></div>
<div class="sidebar"><h3>相似职位推荐</h3><ul class="similar-jobs"><li>销售经理 CHROME5</li></ul>
</div></div><div id="footer">© 2018 招聘网 版权所有 CHROME6</div></body></html>"""


def _zhaopin() -> Path:
    roots = [os.environ.get("JDSEARCH_DATA"), Path(__file__).resolve().parents[1].parent / "shared"
             / "data", "/work/shared/data"]  # fmt: skip
    for root in filter(None, roots):
        path = Path(root) / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
        if path.exists():
            return path
    pytest.skip("zhaopin postings not found (../shared/data or $JDSEARCH_DATA)")


def test_real_postings_in_a_job_page_keep_every_character_and_lose_the_chrome(tmp_path: Path):
    """50 random real postings placed in a typical job-site page: all of the posting (title
    and description, every non-space character in order) and none of the page chrome."""
    with gzip.open(_zhaopin(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    for n, row in enumerate(random.Random(11).sample(rows, 50)):
        body = "".join(f"<p>{html.escape(line)}</p>" for line in row["description"].split("\n"))
        page = JOB_PAGE.format(
            title=html.escape(row["title"]), city=row["city"], industry=row["industry"], body=body
        )
        (tmp_path / f"{n}.html").write_text(page, "utf-8")
        (doc,) = read_file(tmp_path / f"{n}.html").documents
        assert "".join(doc.text.split()) == "".join((row["title"] + row["description"]).split())
        assert not re.search(r"CHROME\d", doc.text)


# --------------------------------------------------------------------------- links


def test_links_out_of_a_folder_are_read_only_when_asked(tmp_path: Path):
    folder = tmp_path / "jds"
    outside = tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "other.txt").write_text(posting(60), "utf-8")
    (folder / "other.txt").symlink_to(outside / "other.txt")
    (folder / "null.txt").symlink_to("/dev/null")
    (folder / "more").symlink_to(outside, target_is_directory=True)

    by_default = {_name(e.source): e.reason for e in iter_files([str(folder)])}
    assert by_default == {
        "other.txt": "link to outside the folder (use --follow-links)",
        "null.txt": "link to outside the folder (use --follow-links)",
        "more": "link to outside the folder (use --follow-links)",
    }
    followed = {
        str(Path(e.source).relative_to(folder)): e
        for e in iter_files([str(folder)], follow_links=True)
    }
    assert followed["null.txt"].reason == "not a regular file: a character device"
    assert followed["other.txt"] == (
        (outside / "other.txt").resolve(),
        str(folder / "other.txt"),
        None,
    )
    # the same file again through the linked folder: read once, named by its first route
    assert followed["more/other.txt"].reason == f"same file as {folder / 'other.txt'}"


def test_a_link_inside_the_folder_reads_the_file_once(tmp_path: Path):
    folder = tmp_path / "jds"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text(posting(61), "utf-8")
    (folder / "b.txt").symlink_to(folder / "sub" / "a.txt")
    (folder / "alias").symlink_to(folder / "sub", target_is_directory=True)
    entries = {str(Path(e.source).relative_to(folder)): e for e in iter_files([str(folder)])}
    assert entries["sub/a.txt"].reason is None
    assert entries["b.txt"].reason == f"same file as {folder / 'sub' / 'a.txt'}"
    assert entries["alias"].reason == "folder already read under another name"
    report = Corpus(tmp_path / "idx").ingest([folder])
    assert report.added == 1


def test_a_given_broken_link_is_a_skip_not_an_error(tmp_path: Path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "good.txt").write_text(posting(62), "utf-8")
    report = Corpus(tmp_path / "idx").ingest([tmp_path / "gone.txt", tmp_path / "good.txt"])
    assert report.skipped == [(str(tmp_path / "gone.txt"), "broken symbolic link")]
    assert report.added == 1


# --------------------------------------------------------------------------- CLI


def test_cli_warnings_name_markup_paths_literally(tmp_path: Path):
    folder = tmp_path / "jds"
    (folder / "[red]unsupported[").mkdir(parents=True)
    (folder / "[red]unsupported[" / "].bin").write_bytes(b"x")
    (folder / "[bold]x.txt").write_bytes(b"\x00\x01\x02" * 50)
    (folder / "good.txt").write_text(posting(63), "utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    result = subprocess.run(
        [sys.executable, "-m", "jdsearch.cli", "ingest", str(folder), "--index",
         str(tmp_path / "idx"), "--max-file-mb", "1", "--max-doc-chars", "50000"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3, result.stderr
    assert (
        f"warning: skipped {folder}/[red]unsupported[/].bin: unsupported extension .bin" in warnings
    )
    assert f"warning: skipped {folder}/[bold]x.txt: binary file" in warnings
    assert any("passwd.txt: link to outside the folder" in w for w in warnings)


# --------------------------------------------------------------------------- budgets


def test_time_budget_skips_the_slow_file_with_its_reason(tmp_path: Path):
    rows = "".join(f'{{"text": "负责回款{n}"}}\n' for n in range(600))
    (tmp_path / "slow.jsonl").write_text(rows, "utf-8")
    with pytest.raises(UnreadableFile, match=r"reading took longer than 1e-09 s"):
        read_file(tmp_path / "slow.jsonl", budget=ReadBudget(max_seconds=1e-9))
    assert len(read_file(tmp_path / "slow.jsonl").documents) == 600


@pytest.mark.parametrize(
    ("field", "value", "name", "words"),
    [
        ("max_file_mb", 0.005, "big.txt", "file is 7.2 KB, over the 5.1 KB limit"),
        ("max_doc_chars", 100, "big.txt", "over the 100 limit for one posting"),
        ("max_unzip_mb", 0.001, "good.docx", "docx unzips to"),
        ("max_zip_members", 3, "good.docx", "zip members, over the 3 limit"),
        ("max_stream_mb", 0.00001, "good.pdf", "pdf over a size limit"),
    ],
)
def test_each_budget_names_its_limit(
    tmp_path: Path, field: str, value: float, name: str, words: str
):
    files = {"big.txt": posting(64).encode() * 40, "good.docx": GOOD_DOCX, "good.pdf": GOOD_PDF}
    (tmp_path / name).write_bytes(files[name])
    assert read_file(tmp_path / name).documents  # within the defaults it reads
    with pytest.raises(UnreadableFile) as exc:
        read_file(tmp_path / name, budget=replace(ReadBudget(), **{field: value}))
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_budget_values_are_checked():
    for bad in ({"max_line_chars": 0}, {"max_seconds": -1}, {"max_file_mb": True}):
        with pytest.raises(JdsearchError, match="ReadBudget"):
            ReadBudget(**bad)  # type: ignore[arg-type]


def test_names_are_shown_with_controls_escaped_only():
    assert printable("new\nline\u3000职位.txt") == "new\\nline\u3000职位.txt"
    assert printable(os.fsdecode(b"caf\xe9.txt")) == "caf\\xe9.txt"
    assert printable("x\ud800.txt") == "x\\ud800.txt"


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet="负责。，a .\n", max_size=400), st.integers(min_value=4, max_value=40))
def test_cutting_long_lines_moves_no_character(text: str, limit: int):
    cut = cut_long_lines(text, limit)
    assert cut.replace("\n", "") == text.replace("\n", "")
    assert max(map(len, cut.split("\n"))) <= limit


def test_a_long_line_is_read_as_lines_of_bounded_length(tmp_path: Path):
    line = "负责客户档案管理，维护渠道关系。" * 2_000  # 32,000 characters, one line
    (tmp_path / "one.txt").write_text(line, "utf-8")
    (doc,) = read_file(tmp_path / "one.txt").documents
    assert doc.text.replace("\n", "") == line
    assert max(map(len, doc.text.split("\n"))) <= ReadBudget().max_line_chars


def test_cutting_a_huge_line_is_linear():
    line = "负责客户档案管理，维护渠道关系" * 200_000  # 3 million characters, no sentence end
    started = time.monotonic()
    cut = cut_long_lines(line, 10_000)
    assert time.monotonic() - started < 5
    assert cut.replace("\n", "") == line


# --------------------------------------------------------------------------- isolation


def test_a_segmenter_failure_skips_that_row_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from jdsearch.segment import Segmenter

    real = Segmenter.segment

    def fragile(self: Segmenter, text: str, **kwargs):  # type: ignore[no-untyped-def]
        if "MK71" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, text, **kwargs)

    monkeypatch.setattr(Segmenter, "segment", fragile)
    rows = "".join(
        json.dumps({"text": posting(n)}, ensure_ascii=False) + "\n" for n in (70, 71, 72)
    )
    folder = tmp_path / "jds"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(rows, "utf-8")
    (folder / "one.txt").write_text(posting(71), "utf-8")
    (folder / "two.txt").write_text(posting(73), "utf-8")
    report = Corpus(tmp_path / "idx").ingest([folder])
    reasons = {_name(s): r for s, r in report.skipped}
    assert reasons == {
        "rows.jsonl#1": "cannot segment: RecursionError: maximum recursion depth exceeded",
        "one.txt": "cannot segment: RecursionError: maximum recursion depth exceeded",
    }
    texts = " ".join(c.text for c in Corpus(tmp_path / "idx").clauses())
    assert "MK70" in texts and "MK72" in texts and "MK73" in texts and "MK71" not in texts


def test_a_reader_bug_skips_that_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import jdsearch.ingest

    real = jdsearch.ingest.read_file

    def buggy(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        if path.name == "b.txt":
            raise KeyError("an unforeseen bug")
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jdsearch.ingest, "read_file", buggy)
    folder = tmp_path / "jds"
    folder.mkdir()
    for n, name in enumerate(("a.txt", "b.txt", "c.txt")):
        (folder / name).write_text(posting(80 + n), "utf-8")
    report = Corpus(tmp_path / "idx").ingest([folder])
    assert report.skipped == [(str(folder / "b.txt"), "cannot read: KeyError: 'an unforeseen bug'")]
    assert report.added == 2


def test_an_ignore_file_that_is_a_pipe_does_not_hang_the_walk(tmp_path: Path):
    os.mkfifo(tmp_path / ".jdsearchignore")
    (tmp_path / "a.txt").write_text(posting(83), "utf-8")
    found: list[str | None] = []
    walker = threading.Thread(
        target=lambda: found.extend(e.reason for e in iter_files([str(tmp_path)])), daemon=True
    )
    walker.start()
    walker.join(timeout=10)  # a blocking open() of the pipe would never return
    assert not walker.is_alive() and found == [None]


# --------------------------------------------------------------------------- fuzz


def _samples() -> dict[str, bytes]:
    """A valid file per reader, to mutate."""
    samples = {name.rsplit(".", 1)[-1]: data for name, (data, _) in good_files().items()}
    return {
        ".txt": samples["txt"],
        ".md": samples["md"],
        ".html": samples["html"],
        ".docx": GOOD_DOCX,
        ".pdf": GOOD_PDF,
        ".csv": samples["csv"],
        ".tsv": samples["csv"].replace(b",", b"\t"),
        ".jsonl": samples["jsonl"],
    }


SAMPLES = _samples()
assert set(SAMPLES) == SUPPORTED_SUFFIXES - {".htm"}


def _mutate(data: bytes, edits: list[tuple[float, int]], keep: float) -> bytes:
    out = bytearray(data[: max(1, int(len(data) * keep))])
    for where, byte in edits:
        out[int(where * (len(out) - 1))] = byte
    return bytes(out)


def _read_only_unreadable(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    started = time.monotonic()
    try:
        result = read_file(path, budget=BUDGET)
    except UnreadableFile as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        for doc in result.documents:
            doc.text.encode("utf-8")  # storable: no lone surrogates
    assert time.monotonic() - started < PER_FILE_SECONDS


@pytest.mark.parametrize("suffix", sorted(SAMPLES))
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    edits=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), max_size=12
    ),
    keep=st.floats(min_value=0.05, max_value=1.0),
)
def test_fuzz_mutated_files_raise_only_unreadable(
    tmp_path: Path, suffix: str, edits: list[tuple[float, int]], keep: float
):
    _read_only_unreadable(tmp_path / f"f{suffix}", _mutate(SAMPLES[suffix], edits, keep))


@pytest.mark.parametrize("suffix", sorted(SAMPLES))
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(min_size=1, max_size=3000))
def test_fuzz_random_bytes_raise_only_unreadable(tmp_path: Path, suffix: str, data: bytes):
    _read_only_unreadable(tmp_path / f"f{suffix}", SAMPLES[suffix][:8] + data)


def test_samples_are_valid(tmp_path: Path):
    """The fuzz starts from files that read: otherwise it would only test the error path."""
    for suffix, data in SAMPLES.items():
        (tmp_path / f"sample{suffix}").write_bytes(data)
        assert read_file(tmp_path / f"sample{suffix}").documents, suffix
