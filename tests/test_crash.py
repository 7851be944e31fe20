"""Crash safety and one writer at a time, tried the hard way: real ``jdsearch`` processes are
killed with SIGKILL at random moments of their writes, and two writers are started at once.

After every kill the index must read consistently or say it is stale — never answer from a
search index that disagrees with the clause table without a word — and running the same
command again must give exactly what a clean run gives (clauses, search hits for fixed
queries, the typo vocabulary, duplicate groups).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jdsearch import Corpus
from tests.conftest import CORPUS

JDSEARCH = [sys.executable, "-m", "jdsearch.cli"]
QUERIES = ["客户", "客戶檔案", "销售 经验", "competitor", "回款", '"customer files"', "培训 -经验"]
KILLS = 20
EXTRA = [
    "岗位职责\n1、负责华东区域{n}号客户的开发与维护。\n2、完成季度销售回款目标。\n"
    "任职要求\n1、{n}年以上销售经验。\n2、Good command of English, competitor analysis.\n",
    "Responsibilities\n1. Maintain customer files for account {n}.\n2. Train {n} new sales staff.\n",
]


def _docs(root: Path, extra: int) -> Path:
    """The sample corpus plus ``extra`` small generated postings (so writes take a while)."""
    docs = root / "docs"
    shutil.copytree(CORPUS, docs)
    for n in range(extra):
        (docs / f"gen-{n:03d}.txt").write_text(EXTRA[n % 2].format(n=n), "utf-8")
    return docs


def snapshot(idx: Path) -> dict[str, object]:
    """Everything a user can observe, as comparable values."""
    corpus = Corpus(idx)
    try:
        store = corpus.store()
        out: dict[str, object] = {
            "clauses": sorted((c.clause_id, c.text, c.kind) for c in corpus.clauses()),
            "vocab": store.vocab(),
            "hits": {
                q: sorted(h.clause_id for h in corpus.search(q, limit=1000).hits) for q in QUERIES
            },
        }
        if store.stage("dupes") is not None:
            out["groups"] = sorted(
                (g.canonical_id, tuple(sorted(m.clause_id for m in g.members)))
                for g in corpus.group_view().groups
            )
        return out
    finally:
        corpus.close_all()


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([*JDSEARCH, *args], capture_output=True, text=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def kill_after(args: list[str], delay: float) -> None:
    proc = subprocess.Popen([*JDSEARCH, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


def reads_consistently(idx: Path) -> None:
    """Every query either says it is stale, or matches a search index rebuilt from the clause
    table as it is now (a copy is rebuilt, so the index under test is left as the kill left it)."""
    corpus = Corpus(idx)
    results = {q: corpus.search(q, limit=1000) for q in QUERIES}
    corpus.close_all()
    if any(r.stale for r in results.values()):
        assert all(r.stale and r.warning for r in results.values())
        return
    rebuilt = idx.parent / (idx.name + "-rebuilt")
    shutil.rmtree(rebuilt, ignore_errors=True)
    shutil.copytree(idx, rebuilt, ignore=shutil.ignore_patterns("write.lock"))
    Corpus(rebuilt).reindex()
    truth = Corpus(rebuilt)
    for q, r in results.items():
        assert sorted(h.clause_id for h in r.hits) == sorted(
            h.clause_id for h in truth.search(q, limit=1000).hits
        ), q
    truth.close_all()
    shutil.rmtree(rebuilt)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("crash")
    docs = _docs(root, 24)
    base = root / "base"  # the state before the write under attack: the sample corpus only
    run("ingest", str(CORPUS), "--index", str(base))
    run("dupes", "--index", str(base))
    clean = root / "clean"  # what an undisturbed run of the same commands gives
    shutil.copytree(base, clean)
    t0 = time.perf_counter()
    run("ingest", str(docs), "--index", str(clean))
    duration = time.perf_counter() - t0
    run("dupes", "--index", str(clean))
    return {
        "root": root,
        "docs": docs,
        "base": base,
        "duration": duration,
        "clean": snapshot(clean),
    }


def test_killed_ingests_read_consistently_and_a_rerun_equals_a_clean_run(setup: dict[str, object]):
    root, docs, base = Path(setup["root"]), Path(setup["docs"]), Path(setup["base"])  # type: ignore[arg-type]
    duration = float(setup["duration"])  # type: ignore[arg-type]
    rng = random.Random(7)
    stale_seen = 0
    for trial in range(KILLS):
        idx = root / f"kill-{trial}"
        shutil.copytree(base, idx)
        # spread the kill points over the whole run: start-up, parsing, the SQLite commit,
        # the search-index update, the duplicate-group refresh
        kill_after(["ingest", str(docs), "--index", str(idx)], rng.uniform(0.2, duration * 1.1))
        try:
            reads_consistently(idx)
        except AssertionError as exc:
            raise AssertionError(f"kill {trial}: inconsistent read") from exc
        stale_seen += Corpus(idx).search("客户").stale
        again = Corpus(idx)  # the same command again, in this process (no start-up to pay)
        again.ingest([docs])
        again.dupes()
        again.close_all()
        assert snapshot(idx) == setup["clean"], f"kill {trial}: re-run differs from a clean run"
        shutil.rmtree(idx)
    assert stale_seen >= 0  # informative only: most kills land before or after the commit


@pytest.mark.parametrize("command", ["dupes", "themes", "reindex"])
def test_killed_rebuilds_leave_the_previous_state_or_heal(setup: dict[str, object], command: str):
    root = Path(setup["root"])  # type: ignore[arg-type]
    docs = Path(setup["docs"])  # type: ignore[arg-type]
    done = root / f"done-{command}"
    shutil.copytree(Path(setup["base"]), done)  # type: ignore[arg-type]
    run("ingest", str(docs), "--index", str(done))
    run("dupes", "--index", str(done))
    run("themes", "--index", str(done))
    reference = snapshot(done)
    t0 = time.perf_counter()
    run(command, "--index", str(done), *(["--k", "4"] if command == "themes" else []))
    duration = time.perf_counter() - t0
    rng = random.Random(command)
    for trial in range(3):
        idx = root / f"{command}-{trial}"
        shutil.copytree(done, idx)
        args = [command, "--index", str(idx), *(["--k", "4"] if command == "themes" else [])]
        kill_after(args, rng.uniform(0.3, duration))
        reads_consistently(idx)
        if command == "reindex":
            assert snapshot(idx) == reference  # the previous index, or the new one: same hits
        run(*args)
        snap = snapshot(idx)
        assert snap == reference, f"{command} kill {trial}: a re-run did not heal"
        shutil.rmtree(idx)


HOLD_LOCK = """
import sys
from jdsearch.lock import WriteLock
lock = WriteLock(sys.argv[1], "ingest")
lock.require()
print("held", flush=True)
sys.stdin.read()
lock.release()
"""


def test_two_writers_one_waits_nothing_is_lost(tmp_path: Path):
    """While a writer holds the index, an ingest or reindex is told who is writing and exits 1
    with one line, having written nothing. Two ingests started together: each either lands or
    is refused that way; run again, both folders are searchable in full."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for n in range(40):
        (a / f"a{n}.txt").write_text(EXTRA[0].format(n=n), "utf-8")
        (b / f"b{n}.txt").write_text(f"岗位职责\n1、负责仓储物流第{n}批次的调度。\n", "utf-8")
    idx = tmp_path / "idx"
    run("ingest", str(CORPUS), "--index", str(idx))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(idx)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"  # type: ignore[union-attr]
    refused = [
        run("ingest", str(b), "--index", str(idx), check=False),
        run("reindex", "--index", str(idx), check=False),
    ]
    holder.communicate("")
    for r in refused:
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert f"another jdsearch (pid {holder.pid}" in r.stderr and "is writing to" in r.stderr

    def found(marker: str) -> int:
        hits = Corpus(idx).search(marker, limit=1000).hits
        return sum(marker in h.text for h in hits)

    assert found("仓储物流第") == 0  # the refused writer wrote nothing
    racers = {
        folder: subprocess.Popen(
            [*JDSEARCH, "ingest", str(folder), "--index", str(idx)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for folder in (a, b)
    }
    errors = {folder: proc.communicate(timeout=300)[1] for folder, proc in racers.items()}
    for folder, proc in racers.items():
        if proc.returncode:  # refused while the other wrote: one line, then it lands on retry
            assert proc.returncode == 1 and "another jdsearch (pid" in errors[folder]
            assert len(errors[folder].strip().splitlines()) == 1
            run("ingest", str(folder), "--index", str(idx))
    assert found("仓储物流第") == 40 and found("华东区域") == 40
    assert not Corpus(idx).search("仓储物流").stale
