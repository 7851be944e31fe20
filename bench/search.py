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
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
def make_queries(texts: list[str], n: int, seed: int = 0) -> dict[str, list[str]]:
    """Single terms, two-term, phrases and cross-script queries drawn from the corpus."""
    import jieba
    import opencc

    rng = random.Random(seed)
    sample = rng.sample(texts, min(len(texts), 3000))
    words: list[str] = []
    pairs: list[tuple[str, str]] = []
    for t in sample:
        ws = [w for w in jieba.lcut(t) if len(w) >= 2 and w.isalnum()]
        words += ws
        pairs += list(itertools.pairwise(ws))
    common = [
        w
        for w, _ in sorted(
            ((w, words.count(w)) for w in set(words[:20000])), key=lambda kv: -kv[1]
        )[:400]
    ]
    s2t = opencc.OpenCC("s2t")
    per = max(1, n // 4)
    return {
        "single": rng.sample(common, min(per, len(common))),
        "two-term": [
            f"{a} {b}"
            for a, b in rng.sample(list(itertools.pairwise(common)), min(per, len(common) - 1))
        ],
        "phrase": [f'"{a}{b}"' for a, b in rng.sample(pairs, min(per, len(pairs)))],
        "cross-script": [s2t.convert(w) for w in rng.sample(common, min(per, len(common)))],
    }


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def child(system: str, workdir: str, texts_file: str, queries_file: str) -> None:
    """One system: build, then time every query; prints one JSON line."""
    texts = json.loads(Path(texts_file).read_text("utf-8"))
    queries = json.loads(Path(queries_file).read_text("utf-8"))
    t0 = time.perf_counter()
    if system == "jieba-floor":
        import jieba

        jieba.initialize()
        t0 = time.perf_counter()
        for t in texts:
            jieba.lcut(t)
        secs = time.perf_counter() - t0
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(
            json.dumps(
                {
                    "seconds": round(secs, 1),
                    "mb_per_s": round(mb / secs, 2),
                    "peak_rss_mib": peak_rss_mib(),
                }
            )
        )
        return
    if system == "jdsearch":
        from jdsearch import Corpus

        Corpus(workdir).reindex()
        build_s = time.perf_counter() - t0
        run = jdsearch_searcher(workdir)
        size = _du(Path(workdir) / "search")
    elif system == "whoosh+ChineseAnalyzer":
        whoosh_stock_build(texts, workdir)
        build_s = time.perf_counter() - t0
        run = whoosh_stock_searcher(workdir)
        size = _du(Path(workdir))
    else:
        tantivy_build(texts, workdir)
        build_s = time.perf_counter() - t0
        run = tantivy_searcher(workdir)
        size = _du(Path(workdir))
    latency: dict[str, dict[str, float]] = {}
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
        ms.sort()
        latency[cls] = {
            "p50_ms": round(ms[len(ms) // 2], 2),
            "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 2),
            "n": len(ms),
        }
    print(
        json.dumps(
            {
                "index_s": round(build_s, 1),
                "clauses_per_s": round(len(texts) / build_s),
                "index_mib": round(size / 2**20, 1),
                "peak_rss_mib": peak_rss_mib(),
                "latency": latency,
                "query_errors": errors,
            }
        )
    )


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
