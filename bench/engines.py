"""The engine benchmark on real postings: jdsearch (Whoosh and tantivy engines) against stock
Whoosh + jieba's ChineseAnalyzer, measured in one run on the same machine.

    python bench/engines.py --postings 12000            # the issue's setting (~157k clauses)
    python bench/engines.py --postings 20000 --copies 4 # + a ~1M-clause scaled corpus

What is measured (each step in its own process, so peak RSS is its own):
- ingest: ``jdsearch ingest`` of the postings (read, segment, type, tokenise, index) with each
  engine, against the stock peer indexing the *clause texts alone* (what the issue compared);
- query latency from the Python API (one long-lived Corpus) over a query set drawn from the
  corpus (single words, word pairs, traditional spellings, English words, phrases), against
  the stock peer answering the same queries with its own parser;
- ``jdsearch search`` and ``jdsearch --help`` on the command line (wall time, median of runs);
- ``dupes`` and ``themes`` on the ingested index (wall time, peak RSS).
Results go to bench/results/engines-<postings>[-x<copies>].json; bench/README.md quotes them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itertools

from realdata import OUT, ROOT, scaled, zhaopin

RESULTS = ROOT / "bench" / "results"
PY = sys.executable
JDSEARCH = str(Path(PY).with_name("jdsearch"))


# --------------------------------------------------------------------------- measuring
def peak_rss_mib() -> int:
    """This process's peak RSS (VmHWM) and its finished children's, whichever is larger."""
    own = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) // 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return max(own, kids)


def cpu_s() -> float:
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, math.ceil(len(ms) * 0.95) - 1)], 2),
        "p99_ms": round(ms[min(len(ms) - 1, math.ceil(len(ms) * 0.99) - 1)], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "n": len(ms),
    }


def _han(w: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in w)


# --------------------------------------------------------------------------- queries
def make_queries(texts: list[str], n: int = 240, seed: int = 0) -> dict[str, list[str]]:
    """Queries drawn from the corpus itself: per class n/5 — simplified words (half single,
    half pairs), their traditional (Taiwan) spelling, English words, Chinese phrases (two
    adjacent words), and rarer words (the long tail users also type)."""
    import jieba
    import opencc

    rng = random.Random(seed)
    sample = rng.sample(texts, min(len(texts), 5000))
    counts: Counter[str] = Counter()
    pairs: list[tuple[str, str]] = []
    for t in sample:
        ws = [w for w in jieba.lcut(t) if len(w) >= 2 and w.isalnum()]
        counts.update(ws)
        pairs += [(a, b) for a, b in itertools.pairwise(ws) if _han(a) and _han(b)]
    ranked = [w for w, _ in counts.most_common() if _han(w)]
    common, rare = ranked[:500], [w for w in ranked[500:] if counts[w] >= 2][:2000]
    s2twp = opencc.OpenCC("s2twp")
    from jdsearch.analysis import _EN_STOP as EN_STOPWORDS

    en = list(
        dict.fromkeys(
            w.lower()
            for w, _ in counts.most_common()
            if w.isascii() and w.isalpha() and len(w) > 2 and w.lower() not in EN_STOPWORDS
        )
    )[:200]
    per = max(2, n // 5)
    singles = rng.sample(common, min(per // 2, len(common)))
    twos = [" ".join(rng.sample(common, 2)) for _ in range(per - len(singles))]
    trad = [s2twp.convert(w) for w in rng.sample(common, min(per, len(common)))]
    return {
        "zh-Hans": singles + twos,
        "zh-Hant": trad,
        "en": rng.sample(en, min(per, len(en))) if en else [],
        "phrase": [f'"{a}{b}"' for a, b in rng.sample(pairs, min(per, len(pairs)))],
        "rare": rng.sample(rare, min(per, len(rare))),
    }


# --------------------------------------------------------------------------- children
def child_ingest(engine: str, corpus: str, index: str) -> dict[str, object]:
    from jdsearch import Corpus

    shutil.rmtree(index, ignore_errors=True)
    t0, c0 = time.perf_counter(), cpu_s()
    report = Corpus(index).ingest([corpus], engine=engine)
    secs = time.perf_counter() - t0
    mb = (
        sum(p.stat().st_size for p in Path(corpus).rglob("*") if p.is_file()) / 1e6
        if Path(corpus).is_dir()
        else Path(corpus).stat().st_size / 1e6
    )
    clauses = int(report.totals["clauses"])  # type: ignore[arg-type]
    return {
        "seconds": round(secs, 1),
        "cpu_s": round(cpu_s() - c0, 1),
        "mb": round(mb, 1),
        "mb_per_s": round(mb / secs, 2),
        "clauses": clauses,
        "clauses_per_s": round(clauses / secs),
        "peak_rss_mib": peak_rss_mib(),
        "index_mib": round(
            sum(f.stat().st_size for f in Path(index).rglob("*") if f.is_file()) / 2**20, 1
        ),
    }


def clause_texts(index: str) -> list[str]:
    import sqlite3

    db = sqlite3.connect(Path(index) / "clauses.sqlite")
    try:
        return [r[0] for r in db.execute("SELECT text FROM clauses ORDER BY cnum")]
    finally:
        db.close()


def child_stock_build(index: str, out: str) -> dict[str, object]:
    """Stock Whoosh + jieba's ChineseAnalyzer indexing the clause texts alone."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as windex
    from whoosh.fields import ID, TEXT, Schema

    texts = clause_texts(index)
    shutil.rmtree(out, ignore_errors=True)
    Path(out).mkdir(parents=True)
    t0, c0 = time.perf_counter(), cpu_s()
    ix = windex.create_in(
        out, Schema(id=ID(stored=True), text=TEXT(analyzer=ChineseAnalyzer(), stored=True))
    )
    w = ix.writer()
    for i, t in enumerate(texts):
        w.add_document(id=str(i), text=t)
    w.commit()
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 1),
        "cpu_s": round(cpu_s() - c0, 1),
        "clauses": len(texts),
        "clauses_per_s": round(len(texts) / secs),
        "peak_rss_mib": peak_rss_mib(),
    }


def child_query(system: str, index: str, queries_file: str) -> dict[str, object]:
    queries = json.loads(Path(queries_file).read_text("utf-8"))
    if system == "stock":
        from whoosh import index as windex
        from whoosh.qparser import QueryParser

        ix = windex.open_dir(index)
        s = ix.searcher()
        qp = QueryParser("text", ix.schema)

        def run(q: str) -> int:
            return len(s.search(qp.parse(q), limit=10))

    else:
        from jdsearch import Corpus

        corpus = Corpus(index)

        def run(q: str) -> int:
            return corpus.search(q, limit=10).total

    flat = [q for qs in queries.values() for q in qs]
    for q in flat[:: max(1, len(flat) // 20)]:  # warm-up (not timed): open segments, jieba
        with contextlib.suppress(Exception):
            run(q)
    out: dict[str, object] = {}
    every: list[float] = []
    errors = 0
    cpu_every: list[float] = []
    for cls, qs in queries.items():
        ms = []
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            try:
                run(q)
            except Exception:
                errors += 1
            ms.append((time.perf_counter() - t) * 1000)
            cpu_every.append((time.process_time() - c) * 1000)
        out[cls] = percentiles(ms)
        every += ms
    out["all"] = percentiles(every)
    out["all_cpu"] = percentiles(cpu_every)  # CPU ms: less sensitive to a busy machine
    out["errors"] = errors
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def child_stages(index: str) -> dict[str, object]:
    from jdsearch import Corpus

    corpus = Corpus(index)
    t0 = time.perf_counter()
    groups = corpus.dupes()
    dupes_s = time.perf_counter() - t0
    rss_dupes = peak_rss_mib()
    t1 = time.perf_counter()
    themes = corpus.themes()
    themes_s = time.perf_counter() - t1
    return {
        "dupes_s": round(dupes_s, 1),
        "groups": len(groups),
        "dupes_peak_rss_mib": rss_dupes,
        "themes_s": round(themes_s, 1),
        "themes": len(themes),
        "peak_rss_mib": peak_rss_mib(),
    }


def child(argv: list[str]) -> None:
    kind, *args = argv
    fn = {
        "ingest": child_ingest,
        "stock-build": child_stock_build,
        "query": child_query,
        "stages": child_stages,
    }[kind]
    print(json.dumps(fn(*args)))  # type: ignore[operator]


def run_child(*args: str) -> dict[str, object]:
    r = subprocess.run([PY, __file__, "--child", *args], capture_output=True, text=True)
    if r.returncode:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"}
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- command line
def cli_times(index: str, queries: list[str], runs: int) -> dict[str, object]:
    """Wall time of whole ``jdsearch`` commands (process start to exit)."""

    def wall(cmd: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        return time.perf_counter() - t

    help_s = [wall([JDSEARCH, "--help"]) for _ in range(runs)]
    search_s = [wall([JDSEARCH, "search", q, "--index", index]) for q in queries[:runs]]
    return {
        "help_median_s": round(statistics.median(help_s), 3),
        "search_median_s": round(statistics.median(search_s), 3),
        "search_max_s": round(max(search_s), 3),
        "runs": runs,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--postings", type=int, default=12000)
    ap.add_argument("--copies", type=int, default=0, help="also a scaled corpus of N copies")
    ap.add_argument("--queries", type=int, default=240)
    ap.add_argument("--cli-runs", type=int, default=10)
    ap.add_argument(
        "--skip", default="", help="comma-separated steps to skip: stock,tantivy,stages,cli"
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep the indexes and ingest figures of the last run (re-measure queries, CLI)",
    )
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    corpus = str(scaled(args.copies) if args.copies else zhaopin(args.postings))
    tag = f"{args.postings}" + (f"-x{args.copies}" if args.copies else "")
    work = OUT / f"engines-{tag}"
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "corpus": Path(corpus).name,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    engines = ["whoosh"] + ([] if "tantivy" in skip else ["tantivy"])
    ingest: dict[str, object] = {}
    previous = RESULTS / f"engines-{tag}.json"
    if args.reuse:
        old = json.loads(previous.read_text("utf-8"))
        result["ingest"] = old["ingest"]
        result["ingest_date"] = old.get("ingest_date", old["date"])
        skip |= {"ingest"}
        if "stages" in old:
            result["stages"] = old["stages"]
            skip |= {"stages"}
    for engine in [] if "ingest" in skip else engines:
        print(f"ingest with {engine} …", file=sys.stderr)
        ingest[f"jdsearch-{engine}"] = run_child("ingest", engine, corpus, str(work / engine))
    if "stock" not in skip and "ingest" not in skip:
        print("stock Whoosh indexing the clause texts …", file=sys.stderr)
        ingest["stock-whoosh"] = run_child("stock-build", str(work / "whoosh"), str(work / "stock"))
    if "ingest" not in skip:
        result["ingest"] = ingest
    qfile = work / "queries.json"
    queries = make_queries(clause_texts(str(work / "whoosh")), args.queries)
    qfile.write_text(json.dumps(queries, ensure_ascii=False, indent=1), "utf-8")
    result["queries"] = {k: len(v) for k, v in queries.items()}
    latency: dict[str, object] = {}
    for engine in engines:
        print(f"queries on jdsearch-{engine} …", file=sys.stderr)
        latency[f"jdsearch-{engine}"] = run_child(
            "query", "jdsearch", str(work / engine), str(qfile)
        )
    if "stock" not in skip:
        print("queries on stock Whoosh …", file=sys.stderr)
        latency["stock-whoosh"] = run_child("query", "stock", str(work / "stock"), str(qfile))
    result["latency"] = latency
    if "cli" not in skip:
        flat = [q for qs in queries.values() for q in qs]
        result["cli"] = {
            e: cli_times(str(work / e), random.Random(1).sample(flat, args.cli_runs), args.cli_runs)
            for e in engines
        }
    if "stages" not in skip:
        print("dupes and themes …", file=sys.stderr)
        result["stages"] = run_child("stages", str(work / "whoosh"))
    result["ratios"] = ratios(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"engines-{tag}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"wrote {out}", file=sys.stderr)


def ratios(result: dict[str, object]) -> dict[str, float]:
    """Same-run ratios: peer time / jdsearch time (> 1: jdsearch is faster)."""
    out: dict[str, float] = {}
    ing: dict = result.get("ingest", {})  # type: ignore[assignment]
    lat: dict = result.get("latency", {})  # type: ignore[assignment]
    stock = ing.get("stock-whoosh", {})
    for name, r in ing.items():
        if name != "stock-whoosh" and "seconds" in r and "seconds" in stock:
            out[f"ingest speedup {name} vs stock"] = round(stock["seconds"] / r["seconds"], 2)
    s_all = lat.get("stock-whoosh", {}).get("all", {})
    for name, r in lat.items():
        if name != "stock-whoosh" and "all" in r and s_all:
            out[f"p50 {name} / stock"] = round(r["all"]["p50_ms"] / s_all["p50_ms"], 2)
            out[f"p95 {name} / stock"] = round(r["all"]["p95_ms"] / s_all["p95_ms"], 2)
        s_cpu = lat.get("stock-whoosh", {}).get("all_cpu", {})
        if name != "stock-whoosh" and "all_cpu" in r and s_cpu:
            out[f"CPU p50 {name} / stock"] = round(r["all_cpu"]["p50_ms"] / s_cpu["p50_ms"], 2)
            out[f"CPU p95 {name} / stock"] = round(r["all_cpu"]["p95_ms"] / s_cpu["p95_ms"], 2)
    return out


if __name__ == "__main__":
    main()
