"""The command line as users and scripts meet it: every example in ``--help`` runs, odd input
never shows a traceback, user text is never read as markup, and the start-up stays fast."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CORPUS

JDSEARCH = [sys.executable, "-m", "jdsearch.cli"]
COMMANDS = [
    "ingest",
    "clauses",
    "search",
    "reindex",
    "status",
    "dupes",
    "themes",
    "export",
    "serve",
    "curate",
    "curate kind",
    "curate group",
    "curate theme",
    "curate boilerplate",
    "curate log",
]


def run(*args: str | bytes, cwd: Path | None = None, **kw: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", **kw.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(
        [*JDSEARCH, *args], capture_output=True, env=env, cwd=cwd, timeout=600, **kw
    )


def one_line_error(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.decode("utf-8", "replace") if isinstance(r.stderr, bytes) else r.stderr
    assert r.returncode == 1, err
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err


def examples(command: str | None) -> list[str]:
    """The lines of a command's ``--help`` under "Examples:"."""
    args = ["--help"] if command is None else [*command.split(), "--help"]
    text = run(*args, text=True).stdout
    out, inside = [], False
    for line in text.splitlines():
        if line.strip() == "Examples:":
            inside = True
            continue
        if inside and line.strip().startswith("jdsearch "):
            out.append(line.strip())
        elif inside and line.strip():
            inside = False
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder like a user's: the sample corpus as corpus/, an index in ./index."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(CORPUS, root / "corpus")
    r = run("ingest", "corpus/", cwd=root, text=True)
    assert r.returncode == 0, r.stderr
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_example_runs(workdir: Path, command: str | None):
    found = examples(command)
    assert found, f"{command or 'jdsearch'} --help shows no examples"
    for line in found:
        args = [a.strip("'") for a in re.findall(r"'[^']*'|\S+", line)][1:]
        if args[0] == "serve":  # a server runs until stopped: it must come up and answer
            port = _free_port() if _port_busy(8000) else 8000
            args = [a if a != "8000" else str(port) for a in args]
            proc = subprocess.Popen([*JDSEARCH, *args], cwd=workdir, stderr=subprocess.PIPE)
            try:
                assert _healthy(port, 240), line
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                proc.stderr.close()  # type: ignore[union-attr]
            continue
        r = run(*args, cwd=workdir, text=True)
        assert r.returncode == 0, f"{line}: {r.stderr}"
        assert "Traceback" not in r.stderr
        if "--json" in args:
            json.loads(r.stdout)
        if args[0] == "search":
            assert "matching clauses" in r.stdout or "--json" in args, line
            assert not r.stdout.strip().startswith("0 matching"), line


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy(port: int, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
                return r.status == 200
        except OSError:
            time.sleep(0.5)
    return False


def test_markup_in_paths_and_text_is_shown_as_is(workdir: Path, tmp_path: Path):
    odd = tmp_path / "a[/]b"
    r = run("ingest", str(workdir / "corpus"), "--index", str(odd), text=True)
    assert r.returncode == 0, r.stderr
    assert f"index {odd}:" in r.stdout
    docs = tmp_path / "[red]docs"
    docs.mkdir()
    (docs / "[bold]x.txt").write_text("1、负责[重点]客户的维护。\n", "utf-8")
    (docs / "[red]unsupported.bin").write_bytes(b"x")
    r = run("ingest", str(docs), "--index", str(tmp_path / "i2"), text=True)
    assert r.returncode == 0, r.stderr
    assert "[red]docs/[red]unsupported.bin" in r.stderr  # the real name, not "unsupported.bin"
    r = run("search", "重点", "--index", str(tmp_path / "i2"), text=True)
    assert "[重点]" in r.stdout  # bracketed clause text is not swallowed as markup
    out = tmp_path / "[bold]x.json"
    r = run("export", "--index", str(workdir / "index"), "-o", str(out), text=True)
    assert r.returncode == 0 and out.exists()
    assert f"wrote {out}" in r.stderr


def test_no_traceback_from_odd_arguments(workdir: Path, tmp_path: Path):
    idx = str(workdir / "index")
    cases: list[list[str | bytes]] = [
        ["search", b"\xe9\x94\xe9\x94\x80", "--index", idx],  # invalid UTF-8 from the shell
        ["search", "\u200b客户\x07", "--index", idx],  # control and format characters
        ["search", "--", "-培训", "--index", idx],
        ["search", "x" * 5000, "--index", idx],
        ["search", 'lang:"', "--index", idx],
        ["search", "客户", "--index", str(tmp_path / "nowhere")],
        ["dupes", "--of", "", "--index", idx],
        ["ingest", str(tmp_path / "missing"), "--index", str(tmp_path / "new")],
        ["clauses", "--index", str(workdir / "corpus" / next(CORPUS.iterdir()).name)],
        ["themes", "--k", "1", "--index", idx],
    ]
    for args in cases:
        r = run(*args)
        err = r.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err, (args, err)
        assert r.returncode in (0, 1), (args, err)
        if r.returncode == 1:
            one_line_error(r)


def test_output_on_a_full_device_is_a_one_line_error(workdir: Path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [*JDSEARCH, "clauses", "--index", str(workdir / "index"), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "No space left on device" in r.stderr and len(r.stderr.strip().splitlines()) == 1


HEAVY = ("sklearn", "fastapi", "uvicorn", "rdflib", "starlette")


def test_lazy_imports_keep_help_and_search_light(workdir: Path):
    """``--help`` loads click and nothing of the pipeline; a search never loads the model or
    web stacks (they cost seconds of start-up)."""
    code = "import sys, json, jdsearch.cli; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loaded = set(json.loads(r.stdout))
    assert not loaded & {"rich", "whoosh", "jieba", "numpy", "opencc", *HEAVY}
    code = (
        "import sys, json, contextlib\n"
        "from jdsearch.cli import main\n"
        "sys.argv = ['jdsearch', 'search', '客户', '--index', 'index']\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True)
    assert r.returncode == 0 and "matching clauses" in r.stdout, r.stderr
    loaded = set(json.loads(r.stdout.strip().splitlines()[-1]))
    assert loaded & {"whoosh", "tantivy"} and not loaded & set(HEAVY), loaded & set(HEAVY)


def test_stale_results_are_flagged_on_the_command_line(workdir: Path, tmp_path: Path):
    from jdsearch.lock import WriteLock

    idx = tmp_path / "idx"
    shutil.copytree(workdir / "index", idx)
    from jdsearch.store import ClauseStore

    with ClauseStore(idx, create=True) as store, store.transaction():
        store.bump_generation()  # the clause table moved on; the search index did not
    with WriteLock(idx, "ingest"):  # and a writer is at work, so a read cannot repair it
        r = run("search", "客户", "--index", str(idx), text=True)
        s = run("status", "--index", str(idx), "--json", text=True)
    assert r.returncode == 0 and "warning: stale results" in r.stderr
    info = json.loads(s.stdout)
    assert info["search"]["current"] is False and "pid" in info["writer"]
    r = run("search", "客户", "--index", str(idx), text=True)  # no writer: repaired on read
    assert r.returncode == 0 and "stale" not in r.stderr


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_a_read_only_index_reads_and_refuses_writes_truthfully(
    workdir: Path, tmp_path: Path, engine: str
):
    """On a read-only file system every read works, with either engine (tantivy takes a lock
    file even to read); a write says the index is read-only (not "corrupt", not "unable to
    open")."""
    if engine == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy engine is an optional extra")
    src, mnt = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    mnt.mkdir()
    r = run("ingest", str(workdir / "corpus"), "--engine", engine, "--index", str(src / "idx"))
    assert r.returncode == 0, r.stderr
    assert run("dupes", "--index", str(src / "idx")).returncode == 0
    bound = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True)
    if bound.returncode:
        pytest.skip("cannot make a read-only bind mount here (needs root)")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], capture_output=True)
        if ro.returncode:
            pytest.skip("cannot remount read-only here")
        idx = str(mnt / "idx")
        for args in (
            ["search", "客户", "--index", idx],
            ["clauses", "--kind", "duty", "--index", idx],
            ["status", "--index", idx],
            ["dupes", "--index", idx],
        ):
            r = run(*args, text=True)
            assert r.returncode == 0 and "Traceback" not in r.stderr, (args, r.stderr)
        assert "matching clauses" in run("search", "客户", "--index", idx, text=True).stdout
        for args in (
            ["ingest", str(workdir / "corpus"), "--index", idx],
            ["reindex", "--index", idx],
        ):
            err = one_line_error(run(*args, text=True))
            assert "read-only" in err and "corrupt" not in err, err
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
