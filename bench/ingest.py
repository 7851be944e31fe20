"""Ingestion benchmark: parse + segment + normalise speed, and the full ingest into SQLite.

    python bench/ingest.py --sizes 100k,1m [--profile]

Each measurement runs in a fresh process so its peak RSS is its own. Peers measured in the same
run, for ratios: reading + decoding the same files (the I/O floor) and jieba segmenting the same
text (the floor of every later stage that tokenises).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, peak_rss_mib, synthetic_corpus


def _files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file())


def run_parse(corpus: str) -> dict[str, object]:
    """The pure path on one core: read, decode, segment, type and normalise every file."""
    from jdsearch.ingest import Parser

    parser = Parser()
    files = _files(Path(corpus))
    size = sum(f.stat().st_size for f in files)
    t0 = time.perf_counter()
    clauses = 0
    for f in files:  # results are dropped as we go: streaming
        clauses += len(parser.parse_file(f, str(f), str(f.resolve())).clauses)
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 1),
        "mb": round(size / 1e6, 1),
        "mb_per_s": round(size / 1e6 / secs, 2),
        "clauses": clauses,
        "clauses_per_s": round(clauses / secs),
        "peak_rss_mib": peak_rss_mib(),
    }


def run_ingest(corpus: str) -> dict[str, object]:
    """Full ingest into the SQLite clause table, then a re-ingest of the unchanged corpus.

    (The search index is timed by bench/search.py.)
    """
    from jdsearch.ingest import ingest
    from jdsearch.store import ClauseStore

    with tempfile.TemporaryDirectory() as tmp:
        store = ClauseStore(Path(tmp) / "idx", create=True)
        t0 = time.perf_counter()
        report = ingest(store, [corpus])
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = ingest(store, [corpus])
        re_secs = time.perf_counter() - t1
        store.close()
    return {
        "seconds": round(secs, 1),
        "mb_per_s": round(report.bytes_parsed / 1e6 / secs, 2),
        "clauses": report.clauses_written,
        "clauses_per_s": round(report.clauses_written / secs),
        "reingest_unchanged_s": round(re_secs, 1),
        "reingest_unchanged": again.unchanged,
        "peak_rss_mib": peak_rss_mib(),
    }


def run_io(corpus: str) -> dict[str, object]:
    from jdsearch.readers import read_documents

    files = _files(Path(corpus))
    t0 = time.perf_counter()
    size = 0
    for f in files:
        size += sum(len(d.text) for d in read_documents(f))
    secs = time.perf_counter() - t0
    return {"seconds": round(secs, 1), "peak_rss_mib": peak_rss_mib()}


def run_jieba(corpus: str) -> dict[str, object]:
    import jieba

    from jdsearch.readers import read_documents

    jieba.initialize()
    texts = [d.text for f in _files(Path(corpus)) for d in read_documents(f)]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 1),
        "mb_per_s": round(mb / secs, 2),
        "peak_rss_mib": peak_rss_mib(),
    }


RUNNERS = {"parse": run_parse, "ingest": run_ingest, "io-floor": run_io, "jieba-floor": run_jieba}


def profile(corpus: Path) -> None:
    from jdsearch.ingest import Parser

    parser = Parser()
    files = _files(corpus)[:300]
    prof = cProfile.Profile()
    prof.enable()
    for f in files:
        parser.parse_file(f, str(f), str(f))
    prof.disable()
    for key in ("cumulative", "tottime"):
        pstats.Stats(prof).sort_stats(key).print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(RUNNERS[args.child[0]](args.child[1])))
        return
    if args.profile:
        profile(synthetic_corpus("100k"))
        return
    report: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    for size in args.sizes.split(","):
        corpus = synthetic_corpus(size)
        res: dict[str, object] = {}
        for name in RUNNERS:
            r = subprocess.run(
                [sys.executable, __file__, "--child", name, str(corpus)],
                capture_output=True,
                text=True,
            )
            res[name] = (
                json.loads(r.stdout.strip().splitlines()[-1])
                if r.returncode == 0
                else {"error": r.stderr.strip().splitlines()[-3:]}
            )
            print(size, name, json.dumps(res[name]), flush=True)
        parse = res["parse"]
        if "seconds" in parse and "seconds" in res["io-floor"]:
            res["parse_vs_jieba_speed"] = round(res["jieba-floor"]["seconds"] / parse["seconds"], 2)  # type: ignore[index]
        report[size] = res
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ingest-results.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {OUT / 'ingest-results.json'}")


if __name__ == "__main__":
    main()
