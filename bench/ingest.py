"""Ingestion benchmark: parse + segment + normalise speed, and the full ingest.

    python bench/ingest.py --sizes 100k                       # every measurement
    python bench/ingest.py --sizes 1m --runners parse,ingest,io-floor,readers
    python bench/ingest.py --profile                          # cProfile of the parser

Each measurement runs in a fresh process so its peak RSS is its own:

- ``parse``: read, decode, segment, type and normalise every file on one core (no storage);
- ``ingest``: the clause table (SQLite), then a re-ingest of the unchanged corpus;
- ``ingest+index``: ``Corpus.ingest`` as ``jdsearch ingest`` runs it (clause table, tokens,
  Whoosh index), then a re-ingest of the unchanged corpus;
- peers, for ratios: ``io-floor`` reads every file and decodes it with the encoding the generator
  recorded (no detection: the floor of any reader); ``readers`` is jdsearch's own reader
  (encoding detection included); ``jieba-floor`` is ``jieba.lcut`` over the same decoded text
  (the floor of every later stage that tokenises).

Results are merged into bench/out/ingest-results.json by size, so sizes can be run apart.
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
from common import OUT, manifest, peak_rss_mib, synthetic_corpus


def _files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))


def _size(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files)


def run_parse(corpus: str) -> dict[str, object]:
    """The pure path on one core: read, decode, segment, type and normalise every file."""
    from jdsearch.ingest import Parser

    parser = Parser()
    files = _files(Path(corpus))
    size = _size(files)
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
    """Ingest into the SQLite clause table, then a re-ingest of the unchanged corpus."""
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
        "reingest_unchanged_s": round(re_secs, 2),
        "reingest_unchanged_files": again.unchanged,
        "reingest_parsed_files": again.added + again.updated,
        "peak_rss_mib": peak_rss_mib(),
    }


def run_ingest_index(corpus: str) -> dict[str, object]:
    """``jdsearch ingest``: clause table + tokens + search index, then an unchanged re-ingest."""
    from jdsearch import Corpus

    with tempfile.TemporaryDirectory() as tmp:
        c = Corpus(Path(tmp) / "idx")
        t0 = time.perf_counter()
        report = c.ingest([corpus])
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = c.ingest([corpus])
        re_secs = time.perf_counter() - t1
    return {
        "seconds": round(secs, 1),
        "mb_per_s": round(report.bytes_parsed / 1e6 / secs, 2),
        "clauses": report.clauses_written,
        "clauses_per_s": round(report.clauses_written / secs),
        "reingest_unchanged_s": round(re_secs, 2),
        "reingest_unchanged_files": again.unchanged,
        "reingest_parsed_files": again.added + again.updated,
        "peak_rss_mib": peak_rss_mib(),
    }


def run_io(corpus: str) -> dict[str, object]:
    """Read + decode with the encoding the generator recorded: the floor of any reader."""
    root = Path(corpus)
    encodings = (manifest(root) or {}).get("encodings", {})
    assert isinstance(encodings, dict)
    files = _files(root)
    t0 = time.perf_counter()
    size = chars = 0
    for f in files:
        data = f.read_bytes()
        size += len(data)
        chars += len(data.decode(encodings.get(str(f.relative_to(root)), "utf-8")))
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 2),
        "mb_per_s": round(size / 1e6 / secs, 1),
        "peak_rss_mib": peak_rss_mib(),
    }


def run_readers(corpus: str) -> dict[str, object]:
    """jdsearch.readers alone: read + detect the encoding + decode."""
    from jdsearch.readers import read_documents

    files = _files(Path(corpus))
    size = _size(files)
    t0 = time.perf_counter()
    for f in files:
        read_documents(f)
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 2),
        "mb_per_s": round(size / 1e6 / secs, 1),
        "peak_rss_mib": peak_rss_mib(),
    }


def run_jieba(corpus: str) -> dict[str, object]:
    import jieba

    from jdsearch.readers import read_documents

    jieba.initialize()
    files = _files(Path(corpus))
    size = _size(files)
    texts = [d.text for f in files for d in read_documents(f)]
    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 1),
        "mb_per_s": round(size / 1e6 / secs, 2),  # file bytes, as for parse
        "peak_rss_mib": peak_rss_mib(),
    }


RUNNERS = {
    "parse": run_parse,
    "ingest": run_ingest,
    "ingest+index": run_ingest_index,
    "io-floor": run_io,
    "readers": run_readers,
    "jieba-floor": run_jieba,
}


def _ratios(res: dict[str, dict[str, object]]) -> dict[str, float]:
    """Time of a jdsearch step over the time of a peer on the same files (> 1: slower)."""
    out: dict[str, float] = {}
    for ours in ("parse", "ingest", "ingest+index"):
        for peer in ("io-floor", "jieba-floor"):
            a, b = res.get(ours, {}).get("seconds"), res.get(peer, {}).get("seconds")
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
                out[f"{ours}_time_vs_{peer}"] = round(a / b, 2)
    return out


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
    ap.add_argument("--runners", default=",".join(RUNNERS), help="subset of: " + ",".join(RUNNERS))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(RUNNERS[args.child[0]](args.child[1])))
        return
    if args.profile:
        profile(synthetic_corpus("100k"))
        return
    path = OUT / "ingest-results.json"
    try:
        report: dict[str, object] = json.loads(path.read_text())
    except (OSError, ValueError):
        report = {}
    report.update({"cores": os.cpu_count(), "python": platform.python_version()})
    for size in args.sizes.split(","):
        corpus = synthetic_corpus(size)
        res: dict[str, dict[str, object]] = {}
        for name in args.runners.split(","):
            t0 = time.perf_counter()
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
            res[name]["process_wall_s"] = round(time.perf_counter() - t0, 1)
            print(size, name, json.dumps(res[name]), flush=True)
        m = manifest(corpus) or {}
        report[size] = {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "corpus": {k: m.get(k) for k in ("version", "files", "items", "bytes")},
            **res,
            "ratios": _ratios(res),
        }
        print(size, "ratios", json.dumps(report[size]["ratios"]), flush=True)  # type: ignore[index]
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
