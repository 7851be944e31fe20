"""Search benchmark: jdsearch vs what a user would wire up by hand, measured in one run.

    python bench/search.py                       # relevance on the sample corpus only
    python bench/search.py --sizes 100k,1m       # + indexing and query speed

Peers: (a) stock Whoosh + ``jieba.analyse.ChineseAnalyzer``; (b) tantivy (Python bindings) over
jieba-pre-segmented text; plus the time jieba alone takes to segment the same text (the floor no
indexer that needs jieba can beat). Each system runs in its own process so peak RSS is its own.
Relevance: a judged query set written from the sample corpus — a clause is relevant when it holds
the query's concept in any script or wording (客户档案 / 客戶檔案, 信息 / 資訊 …).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, peak_rss_mib, synthetic_corpus

# query -> substrings (original text, lowercased) of which any makes a clause relevant
JUDGED: dict[str, list[str]] = {
    "客戶檔案": ["客户档案", "客戶檔案"],
    "客户档案": ["客户档案", "客戶檔案"],
    "回款": ["回款"],
    "竄貨": ["窜货", "竄貨"],
    "竞争对手": ["竞争对手", "競爭對手"],
    "經銷商": ["经销商", "經銷商"],
    "市場資訊": ["市场信息", "市場資訊", "市场的资讯", "市場信息", "市场资讯"],
    "培训": ["培训", "培訓"],
    "促销活动": ["促销活动", "促銷活動"],
    "绩效考核": ["绩效考核", "績效考核"],
    "进销存": ["进销存", "進銷存"],
    "終端": ["终端", "終端"],
    "行銷": ["营销", "行銷", "行销", "營銷"],
    "招聘": ["招聘"],
    "费用预算": ["费用预算", "費用預算"],
    "售后服务": ["售后服务", "售後服務"],
    "客户关系": ["客户关系", "客戶關係"],
    "competitor": ["competitor"],
    "customer files": ["customer files"],
    "training": ["training", "train "],
    "sales target": ["sales target"],
    "payment collection": ["payment collection"],
    "iso": ["iso"],
    "competiter": ["competitor"],
}


# --------------------------------------------------------------------------- peers
def whoosh_stock_build(texts: list[str], path: str) -> None:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as windex
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True), text=TEXT(analyzer=ChineseAnalyzer(), stored=True))
    ix = windex.create_in(path, schema)
    w = ix.writer()
    for i, t in enumerate(texts):
        w.add_document(id=str(i), text=t)
    w.commit()


def whoosh_stock_searcher(path: str):  # type: ignore[no-untyped-def]
    from whoosh import index as windex
    from whoosh.qparser import QueryParser

    ix = windex.open_dir(path)
    s = ix.searcher()
    qp = QueryParser("text", ix.schema)

    def run(q: str, limit: int) -> list[str]:
        return [h["text"] for h in s.search(qp.parse(q), limit=limit)]

    return run


def tantivy_build(texts: list[str], path: str) -> None:
    import jieba
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("text", stored=True)
    sb.add_text_field("seg", stored=False)
    ix = tantivy.Index(sb.build(), path=path)
    w = ix.writer(heap_size=512_000_000, num_threads=2)
    for t in texts:
        w.add_document(tantivy.Document(text=t, seg=" ".join(jieba.lcut(t))))
    w.commit()
    w.wait_merging_threads()


def tantivy_searcher(path: str):  # type: ignore[no-untyped-def]
    import jieba
    import tantivy

    ix = tantivy.Index.open(path)
    ix.reload()
    s = ix.searcher()

    def run(q: str, limit: int) -> list[str]:
        if q.startswith('"'):
            seg = '"' + " ".join(w for w in jieba.lcut(q.strip('"')) if w.strip()) + '"'
        else:
            seg = " AND ".join(w for w in jieba.lcut(q) if w.strip() and w.isalnum()) or q
        try:
            query = ix.parse_query(seg, ["seg"])
        except ValueError:
            return []
        return [s.doc(addr)["text"][0] for _, addr in s.search(query, limit).hits]

    return run


def jdsearch_searcher(index_dir: str):  # type: ignore[no-untyped-def]
    from jdsearch.search import SearchEngine

    engine = SearchEngine(index_dir)

    def run(q: str, limit: int) -> list[str]:
        return [h.text for h in engine.search(q, limit=limit).hits]

    return run


# --------------------------------------------------------------------------- relevance
def relevance() -> dict[str, object]:
    """recall@20 and precision@10 on the judged set, jdsearch vs stock Whoosh."""
    from jdsearch import Corpus

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Corpus(Path(tmp) / "idx")
        corpus.ingest([ROOT / "corpus"])
        texts = [c.text for c in corpus.clauses()]
        os.mkdir(Path(tmp) / "stock")
        whoosh_stock_build(texts, str(Path(tmp) / "stock"))
        systems = {
            "jdsearch": jdsearch_searcher(str(corpus.index_dir)),
            "whoosh+ChineseAnalyzer": whoosh_stock_searcher(str(Path(tmp) / "stock")),
        }
        for name, run in systems.items():
            recalls, precisions = [], []
            for q, marks in JUDGED.items():
                relevant = {t for t in texts if any(m in t.lower() for m in marks)}
                if not relevant:
                    continue
                try:
                    got20 = run(q, 20)
                except Exception:  # the stock parser's failures count as empty results
                    got20 = []
                recalls.append(len(set(got20) & relevant) / min(20, len(relevant)))
                top10 = got20[:10]
                precisions.append(sum(t in relevant for t in top10) / 10)
            out[name] = {
                "recall@20": round(statistics.mean(recalls), 3),
                "precision@10": round(statistics.mean(precisions), 3),
                "queries": len(recalls),
            }
    print("relevance", json.dumps(out, ensure_ascii=False))
    return out


# --------------------------------------------------------------------------- speed
def _han(w: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in w)


def make_queries(texts: list[str], n: int, seed: int = 0) -> dict[str, list[str]]:
    """A mixed set drawn from the corpus, n/4 per class: simplified Chinese, the traditional
    spelling of simplified words (cross-script), English, and quoted phrases (adjacent words
    of a clause, Chinese or English). The Chinese and English classes are half one-term and
    half two-term queries."""
    import jieba
    import opencc

    rng = random.Random(seed)
    sample = rng.sample(texts, min(len(texts), 3000))
    counts: Counter[str] = Counter()
    pairs: list[tuple[str, str]] = []
    for t in sample:
        ws = [w for w in jieba.lcut(t) if len(w) >= 2 and w.isalnum()]
        counts.update(ws)
        pairs += [(a, b) for a, b in itertools.pairwise(ws) if _han(a) == _han(b)]
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    zh = [w for w, _ in counts.most_common() if _han(w) and t2s.convert(w) == w][:400]
    en = [w.lower() for w, _ in counts.most_common() if w.isascii() and w.isalpha()][:300]
    en = list(dict.fromkeys(en))
    hant = [s2t.convert(w) for w in zh if s2t.convert(w) != w]
    per = max(2, n // 4)

    def mix(words: list[str]) -> list[str]:
        singles = rng.sample(words, min(per // 2, len(words)))
        twos = [f"{a} {b}" for a, b in (rng.sample(words, 2) for _ in range(per - len(singles)))]
        return singles + twos

    return {
        "zh-Hans": mix(zh),
        "zh-Hant": mix(hant),
        "en": mix(en),
        "phrase": [
            f'"{a}{b}"' if _han(a) else f'"{a} {b}"'
            for a, b in rng.sample(pairs, min(per, len(pairs)))
        ],
    }


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the indexers' worker pools)."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, math.ceil(len(ms) * 0.95) - 1)], 2),
        "p99_ms": round(ms[min(len(ms) - 1, math.ceil(len(ms) * 0.99) - 1)], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "n": len(ms),
    }


def _jdsearch_cold(workdir: str) -> None:
    """Forget the token cache that the ingest filled, so the build tokenises like the peers."""
    import sqlite3

    db = sqlite3.connect(Path(workdir) / "clauses.sqlite")
    db.executescript("DROP TABLE IF EXISTS tokens; DROP TABLE IF EXISTS vocab; VACUUM;")
    db.close()


def child(system: str, workdir: str, texts_file: str, queries_file: str) -> None:
    """One system: build, then time every query; prints one JSON line."""
    texts = json.loads(Path(texts_file).read_text("utf-8"))
    queries = json.loads(Path(queries_file).read_text("utf-8"))
    if system == "jieba-floor":
        import jieba

        jieba.initialize()
        t0, c0 = time.perf_counter(), _cpu_s()
        for t in texts:
            jieba.lcut(t)
        secs = time.perf_counter() - t0
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(
            json.dumps(
                {
                    "seconds": round(secs, 1),
                    "cpu_s": round(_cpu_s() - c0, 1),
                    "mb_per_s": round(mb / secs, 2),
                    "clauses_per_s": round(len(texts) / secs),
                    "peak_rss_mib": peak_rss_mib(),
                }
            )
        )
        return
    extra: dict[str, object] = {}
    if system == "jdsearch":
        from jdsearch import Corpus

        _jdsearch_cold(workdir)
        t0, c0 = time.perf_counter(), _cpu_s()
        Corpus(workdir).reindex()  # tokenises every distinct text (2 processes), then Whoosh
        build_s, cpu = time.perf_counter() - t0, _cpu_s() - c0
        t1 = time.perf_counter()
        Corpus(workdir).reindex()  # again, with the token cache the first build filled
        extra["reindex_cached_tokens_s"] = round(time.perf_counter() - t1, 1)
        run = jdsearch_searcher(workdir)
        size = _du(Path(workdir) / "search")
    elif system == "whoosh+ChineseAnalyzer":
        t0, c0 = time.perf_counter(), _cpu_s()
        whoosh_stock_build(texts, workdir)
        build_s, cpu = time.perf_counter() - t0, _cpu_s() - c0
        run = whoosh_stock_searcher(workdir)
        size = _du(Path(workdir))
    else:
        t0, c0 = time.perf_counter(), _cpu_s()
        tantivy_build(texts, workdir)
        build_s, cpu = time.perf_counter() - t0, _cpu_s() - c0
        run = tantivy_searcher(workdir)
        size = _du(Path(workdir))
    flat = [q for qs in queries.values() for q in qs]
    for q in flat[:: max(1, len(flat) // 10)]:  # warm-up, not timed: open segments, load jieba
        with contextlib.suppress(Exception):
            run(q, 10)
    latency: dict[str, dict[str, float]] = {}
    every: list[float] = []
    errors = 0
    for cls, qs in queries.items():
        ms = []
        for q in qs:
            t = time.perf_counter()
            try:
                run(q, 10)
            except Exception:
                errors += 1
            ms.append((time.perf_counter() - t) * 1000)
        latency[cls] = _percentiles(ms)
        every += ms
    latency["all"] = _percentiles(every)
    print(
        json.dumps(
            {
                "index_s": round(build_s, 1),
                "index_cpu_s": round(cpu, 1),
                "clauses_per_s": round(len(texts) / build_s),
                **extra,
                "index_mib": round(size / 2**20, 1),
                "peak_rss_mib": peak_rss_mib(),
                "latency": latency,
                "query_errors": errors,
            }
        )
    )


def _ratios(result: dict[str, object]) -> dict[str, float | None]:
    """jdsearch against each peer measured in the same run (> 1: jdsearch takes longer)."""
    ours = result.get("jdsearch")
    out: dict[str, float | None] = {}
    if not isinstance(ours, dict) or "index_s" not in ours:
        return out
    floor = result.get("jieba-floor")
    if isinstance(floor, dict) and "seconds" in floor:
        out["index_time_vs_jieba_floor"] = round(ours["index_s"] / floor["seconds"], 2)
    for peer in ("whoosh+ChineseAnalyzer", "tantivy"):
        r = result.get(peer)
        if not isinstance(r, dict) or "index_s" not in r:
            continue
        out[f"index_time_vs_{peer}"] = round(ours["index_s"] / r["index_s"], 2)
        out[f"index_cpu_vs_{peer}"] = round(ours["index_cpu_s"] / r["index_cpu_s"], 2)
        for q in ("p50_ms", "p95_ms"):
            mine, theirs = ours["latency"]["all"][q], r["latency"]["all"][q]
            out[f"{q[:3]}_vs_{peer}"] = round(mine / theirs, 2) if theirs else None
    return out


def speed(size: str, n_queries: int) -> dict[str, object]:
    corpus_dir = synthetic_corpus(size)
    from jdsearch import Corpus

    work = Path(tempfile.mkdtemp(prefix=f"search-{size}-"))
    try:
        base = work / "jdsearch"
        corpus = Corpus(base)
        corpus.ingest([corpus_dir])
        texts = [c.text for c in corpus.clauses()]
        (work / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
        queries = make_queries(texts, n_queries)
        (work / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
        result: dict[str, object] = {
            "clauses": len(texts),
            "queries": {k: len(v) for k, v in queries.items()},
        }
        for system in ("jieba-floor", "jdsearch", "whoosh+ChineseAnalyzer", "tantivy"):
            wd = base if system == "jdsearch" else work / system.replace("+", "_")
            wd.mkdir(exist_ok=True)
            r = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    system,
                    str(wd),
                    str(work / "texts.json"),
                    str(work / "queries.json"),
                ],
                capture_output=True,
                text=True,
            )
            if r.returncode:
                result[system] = {"error": r.stderr.strip().splitlines()[-1:]}
            else:
                result[system] = json.loads(r.stdout.strip().splitlines()[-1])
            print(size, system, json.dumps(result[system], ensure_ascii=False), flush=True)
        result["ratios"] = _ratios(result)
        print(size, "ratios", json.dumps(result["ratios"]), flush=True)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="", help="synthetic corpus sizes, e.g. 100k,1m")
    ap.add_argument("--queries", type=int, default=240, help="queries per size (all classes)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    report: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "relevance": relevance(),
    }
    for size in [s for s in args.sizes.split(",") if s]:
        report[size] = speed(size, args.queries)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "search-results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {OUT / 'search-results.json'}")


if __name__ == "__main__":
    main()
