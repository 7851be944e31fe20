"""Near-duplicate benchmark: jdsearch vs brute force and datasketch, measured in one run.

    python bench/dupes.py --sizes 100k,1m [--threshold 85] [--sample 20000]

- brute force: ``rapidfuzz.process.cdist(workers=-1)`` over every pair of a 20k-clause sample:
  the ground truth for recall (pairs that pass the same verification at the same threshold);
- datasketch ``MinHashLSH`` alone (candidate generation only, its usual setup);
- jdsearch ``DuplicateFinder`` on the sample (for recall) and on the full corpora (time, RSS).
Each measurement runs in its own process so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, peak_rss_mib, synthetic_corpus


def _load(clauses_file: str):  # type: ignore[no-untyped-def]
    from jdsearch.normalize import normalize
    from jdsearch.store import Clause

    rows = json.loads(Path(clauses_file).read_text("utf-8"))
    return [
        Clause(cid, doc, "", "", "", 0, "duty", lang, text, normalize(text), 0, 0)
        for cid, doc, lang, text in rows
    ]


def run_jdsearch(clauses_file: str, threshold: float, cross_lingual: bool) -> dict[str, object]:
    from jdsearch.dupes import DuplicateFinder

    clauses = _load(clauses_file)
    t0 = time.perf_counter()
    f = DuplicateFinder(threshold, cross_lingual=cross_lingual).fit(clauses)
    secs = time.perf_counter() - t0
    pairs = sorted([a, b] for a, b in f.edges_)
    return {
        "seconds": round(secs, 1),
        "clauses": len(clauses),
        "groups": len(f.groups_),
        "pairs_verified": f.pairs_verified_,
        "pairs_accepted": len(pairs),
        "peak_rss_mib": peak_rss_mib(),
        "edges": pairs,
    }


def run_bruteforce(clauses_file: str, threshold: float) -> dict[str, object]:
    """Every pair scored by cdist; candidates above threshold-15 then get jdsearch's verify."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from jdsearch.dupes import required_score, text_similarity
    from jdsearch.normalize import EN, match_key

    clauses = _load(clauses_file)
    keys = [match_key(c.text) for c in clauses]
    t0 = time.perf_counter()
    scores = process.cdist(
        keys, keys, scorer=fuzz.ratio, score_cutoff=threshold - 15, dtype=np.uint8, workers=-1
    )
    ii, jj = np.nonzero(np.triu(scores, k=1))
    truth = []
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        same_lang_en = clauses[i].lang == EN and clauses[j].lang == EN
        if (clauses[i].lang == EN) != (clauses[j].lang == EN):
            continue
        s = text_similarity(keys[i], keys[j], same_lang_en)
        if s >= required_score(threshold, keys[i], keys[j]):
            truth.append([i, j])
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "pairs": len(truth),
        "peak_rss_mib": peak_rss_mib(),
        "edges": truth,
    }


def run_datasketch(clauses_file: str, threshold: float) -> dict[str, object]:
    """datasketch MinHashLSH over character 3-grams: candidates only (no verification)."""
    from datasketch import MinHash, MinHashLSH

    from jdsearch.normalize import match_key

    clauses = _load(clauses_file)
    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=64)
    sigs = []
    for i, c in enumerate(clauses):
        k = match_key(c.text)
        m = MinHash(num_perm=64, seed=0)
        m.update_batch([k[p : p + 3].encode() for p in range(max(1, len(k) - 2))])
        lsh.insert(str(i), m)
        sigs.append(m)
    candidates = set()
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            j = int(j)
            if j != i:
                candidates.add((min(i, j), max(i, j)))
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "candidates": len(candidates),
        "peak_rss_mib": peak_rss_mib(),
        "edges": sorted(list(p) for p in candidates),
    }


def _child(kind: str, clauses_file: str, threshold: float, extra: str = "") -> dict[str, object]:
    r = subprocess.run(
        [sys.executable, __file__, "--child", kind, clauses_file, str(threshold), extra],
        capture_output=True,
        text=True,
    )
    if r.returncode:
        return {"error": r.stderr.strip().splitlines()[-3:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _recall(found: list[list[int]], truth: list[list[int]]) -> float:
    t = {tuple(p) for p in truth}
    return round(len(t & {tuple(p) for p in found}) / len(t), 4) if t else 1.0


def bench_size(size: str, threshold: float, sample: int) -> dict[str, object]:
    corpus_dir = synthetic_corpus(size)
    from jdsearch import Corpus

    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Corpus(Path(tmp) / "idx")
        corpus.ingest([corpus_dir])
        rows = [[c.clause_id, c.doc_id, c.lang, c.text] for c in corpus.clauses()]
        full = Path(tmp) / "all.json"
        full.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
        part = Path(tmp) / "sample.json"
        part.write_text(
            json.dumps(random.Random(0).sample(rows, min(sample, len(rows))), ensure_ascii=False),
            "utf-8",
        )
        result["clauses"] = len(rows)
        truth = _child("bruteforce", str(part), threshold)
        ours = _child("jdsearch", str(part), threshold, "nocl")
        ds = _child("datasketch", str(part), threshold)
        result["sample"] = {
            "clauses": min(sample, len(rows)),
            "bruteforce_cdist": {k: v for k, v in truth.items() if k != "edges"},
            "jdsearch": {
                **{k: v for k, v in ours.items() if k != "edges"},
                "recall_vs_bruteforce": _recall(ours.get("edges", []), truth["edges"]),
            },
            "datasketch_lsh": {
                **{k: v for k, v in ds.items() if k != "edges"},
                "candidate_recall": _recall(ds.get("edges", []), truth["edges"]),
            },
        }
        print(size, "sample", json.dumps(result["sample"]), flush=True)
        for mode in ("nocl", "cl"):
            r = _child("jdsearch", str(full), threshold, mode)
            r.pop("edges", None)
            result[f"full_{'cross_lingual' if mode == 'cl' else 'monolingual'}"] = r
            print(size, mode, json.dumps(r), flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--threshold", type=float, default=85.0)
    ap.add_argument("--sample", type=int, default=20000)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, path, thr, extra = args.child
        if kind == "jdsearch":
            out = run_jdsearch(path, float(thr), extra == "cl")
        elif kind == "bruteforce":
            out = run_bruteforce(path, float(thr))
        else:
            out = run_datasketch(path, float(thr))
        print(json.dumps(out))
        return
    report: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "threshold": args.threshold,
    }
    for size in args.sizes.split(","):
        report[size] = bench_size(size, args.threshold, args.sample)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dupes-results.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {OUT / 'dupes-results.json'}")


if __name__ == "__main__":
    main()
