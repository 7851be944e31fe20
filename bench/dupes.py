"""Near-duplicate benchmark: jdsearch vs brute force and datasketch, measured in one run.

    python bench/dupes.py --sizes 100k [--threshold 85] [--sample 20000] [--no-peer-full]

Systems, each in its own process so its peak RSS is its own:

- jdsearch ``DuplicateFinder`` (monolingual, and with the cross-lingual stage);
- datasketch ``MinHashLSH`` over character 3-grams of the matching key (threshold 0.5,
  64 permutations: its usual setup) + the same rapidfuzz verification as jdsearch + union-find:
  the pipeline one would wire up by hand;
- brute force: ``rapidfuzz.process.cdist(workers=-1)`` over every pair of a random sample
  (20k clauses by default), then the same verification: every pair that passes, found without
  any candidate generation (the recall ceiling of a verifier at this threshold).

Two yardsticks:

- *planted* duplicates: bench/generate.py records the source line of every item it writes
  (``.planted.jsonl``); clauses drawn from the same source line (reworded, other script) are
  planted duplicates. Scored as pair precision/recall of the groups over the clauses that can be
  traced to an item. The generator's edits can push two copies of a line apart (two edits each,
  a tail on a short line), and the sample corpus holds near-identical lines of its own, so even
  brute force does not reach 1.0 on both: read the systems against it.
- *verified pairs* of brute force on the sample: the share of them that end up in one group.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, peak_rss_mib, synthetic_corpus
from generate import PLANTED


def _load(clauses_file: str):  # type: ignore[no-untyped-def]
    from jdsearch.normalize import normalize
    from jdsearch.store import Clause

    rows = json.loads(Path(clauses_file).read_text("utf-8"))
    return [
        Clause(cid, doc, "", "", "", 0, "duty", lang, text, normalize(text), 0, 0)
        for cid, doc, lang, text, _label in rows
    ]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def labels(self) -> list[int]:
        return [self.find(i) for i in range(len(self.parent))]


def _verifier(clauses, keys, threshold: float):  # type: ignore[no-untyped-def]
    """jdsearch's own pair test (same language family, length-aware bar), for every system."""
    from jdsearch.dupes import required_score, text_similarity
    from jdsearch.normalize import EN

    def ok(i: int, j: int) -> bool:
        en_i, en_j = clauses[i].lang == EN, clauses[j].lang == EN
        if en_i != en_j:
            return False
        s = text_similarity(keys[i], keys[j], en_i and en_j)
        return s >= required_score(threshold, keys[i], keys[j])

    return ok


def run_jdsearch(clauses_file: str, threshold: float, cross_lingual: bool) -> dict[str, object]:
    from jdsearch.dupes import DuplicateFinder

    clauses = _load(clauses_file)
    t0 = time.perf_counter()
    f = DuplicateFinder(threshold, cross_lingual=cross_lingual).fit(clauses)
    secs = time.perf_counter() - t0
    index = {c.clause_id: i for i, c in enumerate(clauses)}
    labels = list(range(len(clauses)))
    for g in f.groups_:
        first = index[g.members[0].clause_id]
        for m in g.members:
            labels[index[m.clause_id]] = first
    return {
        "seconds": round(secs, 1),
        "clauses": len(clauses),
        "clauses_per_s": round(len(clauses) / secs),
        "groups": len(f.groups_),
        "clauses_in_groups": sum(len(g.members) for g in f.groups_),
        "pairs_verified": f.pairs_verified_,
        "peak_rss_mib": peak_rss_mib(),
        "labels": labels,
    }


def run_bruteforce(clauses_file: str, threshold: float) -> dict[str, object]:
    """Every pair scored by cdist; those above threshold-15 then get the shared verification."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from jdsearch.normalize import match_key

    clauses = _load(clauses_file)
    t0 = time.perf_counter()
    keys = [match_key(c.text) for c in clauses]
    ok = _verifier(clauses, keys, threshold)
    scores = process.cdist(
        keys, keys, scorer=fuzz.ratio, score_cutoff=threshold - 15, dtype=np.uint8, workers=-1
    )
    ii, jj = np.nonzero(np.triu(scores, k=1))
    del scores
    truth = [[i, j] for i, j in zip(ii.tolist(), jj.tolist(), strict=True) if ok(i, j)]
    uf = _UnionFind(len(clauses))
    for i, j in truth:
        uf.union(i, j)
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 1),
        "clauses": len(clauses),
        "clauses_per_s": round(len(clauses) / secs),
        "pairs_scored": len(clauses) * (len(clauses) - 1) // 2,
        "pairs_above_cutoff": len(ii),
        "pairs_verified_ok": len(truth),
        "peak_rss_mib": peak_rss_mib(),
        "edges": truth,
        "labels": uf.labels(),
    }


def run_datasketch(clauses_file: str, threshold: float) -> dict[str, object]:
    """datasketch MinHashLSH candidates, the shared rapidfuzz verification, union-find."""
    from datasketch import MinHash, MinHashLSH

    from jdsearch.normalize import match_key

    clauses = _load(clauses_file)
    t0 = time.perf_counter()
    keys = [match_key(c.text) for c in clauses]
    ok = _verifier(clauses, keys, threshold)
    lsh = MinHashLSH(threshold=0.5, num_perm=64)
    sigs = []
    for i, k in enumerate(keys):
        m = MinHash(num_perm=64, seed=0)
        m.update_batch([k[p : p + 3].encode() for p in range(max(1, len(k) - 2))])
        lsh.insert(str(i), m)
        sigs.append(m)
    t_lsh = time.perf_counter() - t0
    candidates = set()
    for i, m in enumerate(sigs):
        for j in map(int, lsh.query(m)):
            if j != i:
                candidates.add((min(i, j), max(i, j)))
    del sigs, lsh
    uf = _UnionFind(len(clauses))
    accepted = 0
    for i, j in candidates:
        if ok(i, j):
            uf.union(i, j)
            accepted += 1
    secs = time.perf_counter() - t0
    return {
        "seconds": round(secs, 1),
        "minhash_index_s": round(t_lsh, 1),
        "clauses": len(clauses),
        "clauses_per_s": round(len(clauses) / secs),
        "candidates": len(candidates),
        "pairs_accepted": accepted,
        "peak_rss_mib": peak_rss_mib(),
        "labels": uf.labels(),
    }


# --------------------------------------------------------------------------- scoring
def _pairs(counts: Counter) -> int:  # type: ignore[type-arg]
    return sum(n * (n - 1) // 2 for n in counts.values())


def planted_scores(labels: list[int], planted: list[str | None]) -> dict[str, float]:
    """Pair precision / recall / F1 of predicted groups against planted sources (pair
    counting over the clauses traced to an item)."""
    traced = [i for i, p in enumerate(planted) if p is not None]
    predicted = _pairs(Counter(labels[i] for i in traced))
    true = _pairs(Counter(planted[i] for i in traced))
    both = _pairs(Counter((labels[i], planted[i]) for i in traced))
    p = both / predicted if predicted else 1.0
    r = both / true if true else 1.0
    return {
        "planted_precision": round(p, 4),
        "planted_recall": round(r, 4),
        "planted_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
    }


def cogrouped(labels: list[int], edges: list[list[int]]) -> float:
    """Share of brute force's verified pairs whose two clauses share a group."""
    if not edges:
        return 1.0
    return round(sum(labels[i] == labels[j] for i, j in edges) / len(edges), 4)


def _child(kind: str, clauses_file: str, threshold: float, extra: str = "") -> dict[str, object]:
    r = subprocess.run(
        [sys.executable, __file__, "--child", kind, clauses_file, str(threshold), extra],
        capture_output=True,
        text=True,
    )
    if r.returncode:
        return {"error": r.stderr.strip().splitlines()[-3:]}
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _planted_labels(corpus_dir: Path, clauses) -> list[str | None]:  # type: ignore[no-untyped-def]
    """The source line of each clause, from the generator's record; None when the clause is
    not one item (a title, an intro paragraph, a hard-wrapped or run-on item cut otherwise)."""
    from jdsearch.normalize import match_key

    by_item: dict[tuple[str, str], str] = {}
    with (corpus_dir / PLANTED).open(encoding="utf-8") as fh:
        for line in fh:
            source, rel, item = json.loads(line)
            by_item.setdefault((rel, match_key(item)), source)
    root = str(corpus_dir)
    out = []
    for c in clauses:
        rel = os.path.relpath(c.source.split("#")[0], root)
        out.append(by_item.get((rel, match_key(c.text))))
    return out


def _score(r: dict[str, object], planted: list[str | None], truth: list[list[int]] | None):  # type: ignore[no-untyped-def]
    labels = r.pop("labels", None)
    r.pop("edges", None)
    if isinstance(labels, list):
        r.update(planted_scores(labels, planted))
        if truth is not None:
            r["recall_vs_bruteforce"] = cogrouped(labels, truth)
    return r


def bench_size(size: str, threshold: float, sample: int, peer_full: bool) -> dict[str, object]:
    from jdsearch.ingest import ingest
    from jdsearch.store import ClauseStore

    corpus_dir = synthetic_corpus(size)
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = ClauseStore(Path(tmp) / "idx", create=True)
        ingest(store, [str(corpus_dir)])  # the clause table only: no search index needed
        clauses = list(store.clauses())
        store.close()
        planted = _planted_labels(corpus_dir, clauses)
        rows = [
            [c.clause_id, c.doc_id, c.lang, c.text, p]
            for c, p in zip(clauses, planted, strict=True)
        ]
        traced = sum(p is not None for p in planted)
        result["clauses"] = len(rows)
        result["clauses_traced_to_planted_item"] = traced
        result["planted_pairs"] = _pairs(Counter(p for p in planted if p is not None))
        print(size, {k: result[k] for k in result}, flush=True)
        full = Path(tmp) / "all.json"
        full.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
        part_rows = random.Random(0).sample(rows, min(sample, len(rows)))
        part = Path(tmp) / "sample.json"
        part.write_text(json.dumps(part_rows, ensure_ascii=False), "utf-8")
        part_planted = [r[4] for r in part_rows]

        brute = _child("bruteforce", str(part), threshold)
        truth = brute.get("edges") if "edges" in brute else None
        res = {"clauses": len(part_rows), "bruteforce_cdist": _score(brute, part_planted, None)}
        for name, kind, extra in (
            ("jdsearch", "jdsearch", "nocl"),
            ("datasketch_lsh+rapidfuzz", "datasketch", ""),
        ):
            res[name] = _score(_child(kind, str(part), threshold, extra), part_planted, truth)  # type: ignore[arg-type]
        result["sample"] = res
        print(size, "sample", json.dumps(res), flush=True)

        runs = [
            ("jdsearch_monolingual", "jdsearch", "nocl"),
            ("jdsearch_cross_lingual", "jdsearch", "cl"),
        ]
        if peer_full:
            runs.append(("datasketch_lsh+rapidfuzz", "datasketch", ""))
        full_res: dict[str, object] = {}
        for name, kind, extra in runs:
            full_res[name] = _score(_child(kind, str(full), threshold, extra), planted, None)
            print(size, "full", name, json.dumps(full_res[name]), flush=True)
        ours, peer = full_res.get("jdsearch_monolingual"), full_res.get("datasketch_lsh+rapidfuzz")
        if (
            isinstance(ours, dict)
            and isinstance(peer, dict)
            and "seconds" in ours
            and "seconds" in peer
        ):
            full_res["time_ratio_jdsearch_vs_datasketch"] = round(
                ours["seconds"] / peer["seconds"], 3
            )
        result["full"] = full_res
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--threshold", type=float, default=85.0)
    ap.add_argument("--sample", type=int, default=20000)
    ap.add_argument(
        "--no-peer-full", action="store_true", help="datasketch on the sample only (saves time)"
    )
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
        "cores": os.cpu_count(),
        "threshold": args.threshold,
    }
    for size in args.sizes.split(","):
        report[size] = bench_size(size, args.threshold, args.sample, not args.no_peer_full)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dupes-results.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {OUT / 'dupes-results.json'}")


if __name__ == "__main__":
    main()
