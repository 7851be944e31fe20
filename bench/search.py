"""Search relevance: judged queries on the sample corpus, and recall on real postings.

    python bench/search.py                 # both parts; writes bench/results/search.json

1. Judged queries (sample corpus): a clause is relevant when it holds the query's concept in
   any script or wording (客户档案 / 客戶檔案, 信息 / 資訊 …). recall@20 and precision@10 for
   jdsearch (each engine) and stock Whoosh + jieba's ChineseAnalyzer.
2. Recall on real postings (issue 11): 3,000 Zhaopin postings plus Taiwan-wording rewrites of
   the first 800 of them (OpenCC s2twp: 数据 -> 資料, 软件 -> 軟體 …). Queries are words drawn
   from the postings (common and rare, two to four characters) and their Taiwan spellings. A
   clause is relevant when its text contains the word (as a word or inside a longer one), and a
   rewritten clause is relevant exactly when the clause it was rewritten from is. Reported:
   recall@50 (relevant found in the top 50, over min(50, relevant)), overall and per class.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realdata import OUT, ROOT, available, postings

RESULTS = ROOT / "bench" / "results"

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


# --------------------------------------------------------------------------- systems
def jdsearch_runner(index: Path):  # type: ignore[no-untyped-def]
    from jdsearch import Corpus

    corpus = Corpus(index)

    def run(q: str, limit: int) -> list[str]:
        return [h.clause_id for h in corpus.search(q, limit=limit).hits]

    return run


def stock_runner(ids: list[str], texts: list[str], path: Path):  # type: ignore[no-untyped-def]
    """Stock Whoosh + jieba's ChineseAnalyzer over the same clause texts, default parser."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as windex
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import QueryParser

    path.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(
        str(path), Schema(id=ID(stored=True), text=TEXT(analyzer=ChineseAnalyzer()))
    )
    w = ix.writer()
    for i, t in zip(ids, texts, strict=True):
        w.add_document(id=i, text=t)
    w.commit()
    s = ix.searcher()
    qp = QueryParser("text", ix.schema)

    def run(q: str, limit: int) -> list[str]:
        try:
            return [h["id"] for h in s.search(qp.parse(q), limit=limit)]
        except Exception:  # the stock parser's failures count as empty results
            return []

    return run


# --------------------------------------------------------------------------- 1. judged
def judged() -> dict[str, object]:
    from jdsearch import Corpus

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        systems = {}
        for engine in ("whoosh", "tantivy"):
            corpus = Corpus(Path(tmp) / engine)
            corpus.ingest([ROOT / "corpus"], engine=engine)
            systems[f"jdsearch-{engine}"] = jdsearch_runner(Path(tmp) / engine)
        clauses = Corpus(Path(tmp) / "whoosh").clauses()
        ids, texts = [c.clause_id for c in clauses], [c.text for c in clauses]
        systems["stock-whoosh"] = stock_runner(ids, texts, Path(tmp) / "stock")
        for name, run in systems.items():
            recalls, precisions = [], []
            for q, marks in JUDGED.items():
                relevant = {
                    i for i, t in zip(ids, texts, strict=True) if any(m in t.lower() for m in marks)
                }
                if not relevant:
                    continue
                got = run(q, 20)
                recalls.append(len(set(got) & relevant) / min(20, len(relevant)))
                precisions.append(sum(i in relevant for i in got[:10]) / 10)
            out[name] = {
                "recall@20": round(statistics.mean(recalls), 3),
                "precision@10": round(statistics.mean(precisions), 3),
                "queries": len(recalls),
            }
    return out


# --------------------------------------------------------------------------- 2. recall
def _han(w: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in w)


def recall_corpus(n: int, rewrites: int) -> tuple[Path, Path]:
    """JSON-lines files of ``n`` postings and of Taiwan rewrites of the first ``rewrites``."""
    import opencc

    s2twp = opencc.OpenCC("s2twp")
    rows = postings()[:n]
    folder = OUT / f"recall-{n}-{rewrites}"
    folder.mkdir(parents=True, exist_ok=True)
    simp, trad = folder / "simplified.jsonl", folder / "taiwan.jsonl"
    with simp.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    with trad.open("w", encoding="utf-8") as fh:
        for r in rows[:rewrites]:
            tw = {
                **r,
                "description": s2twp.convert(r["description"]),
                "title": s2twp.convert(r["title"]),
            }
            fh.write(json.dumps(tw, ensure_ascii=False) + "\n")
    return simp, trad


def recall(
    n: int = 3000, rewrites: int = 800, n_queries: int = 300, seed: int = 0
) -> dict[str, object]:
    import jieba
    import opencc

    from jdsearch import Corpus, JdsearchError

    simp, trad = recall_corpus(n, rewrites)
    work = Path(tempfile.mkdtemp(prefix="recall-"))
    try:
        corpus = Corpus(work / "idx")
        corpus.ingest([simp, trad])
        clauses = corpus.clauses()
        by_pos = {
            (c.source.rsplit("/", 1)[-1].split("#")[0], c.source.split("#")[-1], c.position): c
            for c in clauses
        }
        twin: dict[str, str] = {}  # rewritten clause -> the clause it was rewritten from
        per_doc = Counter(
            (c.source.rsplit("/", 1)[-1].split("#")[0], c.source.split("#")[-1]) for c in clauses
        )
        for (f, row, pos), c in by_pos.items():
            if f == "taiwan.jsonl":
                src = by_pos.get(("simplified.jsonl", row, pos))
                if src is not None and per_doc[(f, row)] == per_doc[("simplified.jsonl", row)]:
                    twin[c.clause_id] = src.clause_id
        texts = {c.clause_id: c.text.lower() for c in clauses}
        simplified = [c for c in clauses if "simplified.jsonl" in c.source]
        rng = random.Random(seed)
        counts: Counter[str] = Counter()
        for c in rng.sample(simplified, min(4000, len(simplified))):
            counts.update(w for w in jieba.lcut(c.text) if 2 <= len(w) <= 4 and _han(w))
        ranked = [w for w, k in counts.most_common() if k >= 2]
        common, rare = ranked[:300], ranked[300:]
        s2twp = opencc.OpenCC("s2twp")
        words = rng.sample(common, min(n_queries // 3, len(common))) + rng.sample(
            rare, min(n_queries // 3, len(rare))
        )
        taiwan = [(s2twp.convert(w), w) for w in rng.sample(words, n_queries // 3)]
        queries = [("common" if w in common else "rare", w, w) for w in words]
        queries += [("taiwan", tw, w) for tw, w in taiwan if tw != w]

        def relevant(word: str) -> set[str]:
            direct = {cid for cid, t in texts.items() if cid not in twin and word in t}
            return direct | {cid for cid, src in twin.items() if src in direct}

        run = jdsearch_runner(work / "idx")
        by_class: dict[str, list[float]] = {}
        misses: list[dict[str, object]] = []
        stopwords = 0
        for cls, q, word in queries:
            rel = relevant(word)
            if not rel:
                continue
            try:
                got = set(run(q, 50))
            except JdsearchError:  # a stopword alone (一个, 以及): not searchable by design
                stopwords += 1
                continue
            r = len(got & rel) / min(50, len(rel))
            by_class.setdefault(cls, []).append(r)
            if r < 0.95 and len(misses) < 15:
                misses.append({"query": q, "relevant": len(rel), "recall@50": round(r, 3)})
        every = [r for rs in by_class.values() for r in rs]
        return {
            "postings": n,
            "taiwan_rewrites": rewrites,
            "clauses": len(clauses),
            "recall@50": round(statistics.mean(every), 3),
            "stopword_queries_skipped": stopwords,
            "by_class": {
                k: {"recall@50": round(statistics.mean(v), 3), "queries": len(v)}
                for k, v in by_class.items()
            },
            "worst": misses,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    result: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "judged": judged()}
    print(json.dumps(result["judged"], indent=2))
    if available():
        result["recall_real"] = recall()
        print(json.dumps(result["recall_real"], indent=2, ensure_ascii=False))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "search.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
