"""Near-duplicates on real Zhaopin postings: recall against brute force, time and memory.

    python bench/dupes_real.py [--sample 20000] [--full] [--scale 1000000] [--seed 0]

Clauses come from ``zhaopin_2018_dev_20k.jsonl.gz`` (JDSEARCH_DATA, else ../shared/data, else
/work/shared/data), ingested once into bench/out/zhaopin-index (the clause table only).

- recall: a random sample of clauses; brute force scores *every* pair of distinct templates
  with ``rapidfuzz.process.cdist`` (ratio >= threshold - 15, a necessary condition of the test),
  then applies the same pair test as jdsearch (``judge``: template similarity, values, polarity).
  Reported: share of those pairs jdsearch verified (candidate recall) and share of clause pairs
  (copies included) that end in one group (group recall; the chaining guard splits some).
- full: ``DuplicateFinder.fit`` on all clauses, wall/CPU time and peak RSS, in a child process.
- scale: the postings repeated with small edits (a character changed, a number changed, in a
  third of the clauses) up to N clauses, the same measurement.
Results: bench/results/dupes-real.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"


def data_dir() -> Path:
    env = os.environ.get("JDSEARCH_DATA")
    for p in [Path(env)] if env else [ROOT.parent / "shared" / "data", Path("/work/shared/data")]:
        if (p / "zhaopin").is_dir():
            return p
    sys.exit("zhaopin data not found (set JDSEARCH_DATA)")


def store_dir() -> Path:
    """bench/out/zhaopin-index: the clause table of the 20k postings, built once."""
    import gzip

    from jdsearch.ingest import Parser, ingest
    from jdsearch.store import ClauseStore

    path = OUT / "zhaopin-index"
    if (path / "clauses.sqlite").exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    raw = OUT / "zhaopin.jsonl"
    src = data_dir() / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
    raw.write_bytes(gzip.decompress(src.read_bytes()))
    store = ClauseStore(path, create=True)
    ingest(store, [str(raw)], parser=Parser(text_column="description"))
    store.close()
    raw.unlink()
    return path


def load_clauses():  # type: ignore[no-untyped-def]
    from jdsearch.store import ClauseStore

    store = ClauseStore(store_dir())
    try:
        return list(store.clauses())
    finally:
        store.close()


def peak_rss_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def scaled(clauses, n: int, seed: int):  # type: ignore[no-untyped-def]
    """Postings repeated with small edits until ``n`` clauses (ids and doc ids made unique)."""
    from dataclasses import replace

    from jdsearch.normalize import normalize

    rng = random.Random(seed)
    out = list(clauses)
    copy = 0
    while len(out) < n:
        copy += 1
        for c in clauses:
            if len(out) >= n:
                break
            text = c.text
            if text and rng.random() < 0.33:
                i = rng.randrange(len(text))
                ch = text[i]
                new = str((int(ch) + 1) % 10) if ch.isdigit() else rng.choice("的和及与并在")
                text = text[:i] + new + text[i + 1 :]
            out.append(
                replace(
                    c,
                    clause_id=f"{c.clause_id[:10]}{copy:06d}",
                    doc_id=f"{c.doc_id}-{copy}",
                    text=text,
                    norm=normalize(text) if text != c.text else c.norm,
                )
            )
    return out


def run_fit(n: int | None, seed: int) -> dict[str, object]:
    from jdsearch.dupes import DuplicateFinder

    clauses = load_clauses()
    if n and n > len(clauses):
        clauses = scaled(clauses, n, seed)
    t0, c0 = time.perf_counter(), time.process_time()
    f = DuplicateFinder().fit(clauses)
    return {
        "clauses": len(clauses),
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "peak_rss_mib": peak_rss_mib(),
        "groups": len(f.groups_),
        "clauses_in_groups": sum(len(g.members) for g in f.groups_),
        "variant_members": sum(m.relation == "variant" for g in f.groups_ for m in g.members),
        **f.stats_,
    }


def run_recall(sample: int, seed: int) -> dict[str, object]:
    import numpy as np
    from rapidfuzz import fuzz, process

    from jdsearch.dupes import DuplicateFinder, judge

    clauses = random.Random(seed).sample(load_clauses(), sample)
    t0 = time.perf_counter()
    f = DuplicateFinder().fit(clauses)
    secs = time.perf_counter() - t0
    sts = f.statements_
    tpl = [s.template for s in sts]
    t1 = time.perf_counter()
    scores = process.cdist(tpl, tpl, scorer=fuzz.ratio, score_cutoff=70, dtype=np.uint8, workers=-1)
    ii, jj = np.nonzero(np.triu(scores, k=1))
    del scores
    truth = [
        (a, b) for a, b in zip(ii.tolist(), jj.tolist(), strict=True) if judge(sts[a], sts[b], 85.0)
    ]
    brute_secs = time.perf_counter() - t1
    from jdsearch.dupes import node_hash

    hashes = [node_hash(s.node_id) for s in sts]
    found = {(min(a, b), max(a, b)) for a, b, _, _ in f.edges_}
    group = {}
    for g in f.groups_:
        for m in g.members:
            group[m.clause_id] = g.group_id
    first = [f.clauses_[m[0]].clause_id for m in f.members_]
    cand = weight = together = 0
    for a, b in truth:
        pair = (min(hashes[a], hashes[b]), max(hashes[a], hashes[b]))
        if f.tpl_of_[a] == f.tpl_of_[b] or pair in found:
            cand += 1
        w = len(f.members_[a]) * len(f.members_[b])
        weight += w
        if group.get(first[a]) and group.get(first[a]) == group.get(first[b]):
            together += w
    copies = sum(len(m) * (len(m) - 1) // 2 for m in f.members_)
    return {
        "clauses": sample,
        "statements": len(sts),
        "jdsearch_seconds": round(secs, 1),
        "bruteforce_seconds": round(brute_secs, 1),
        "bruteforce_statement_pairs": len(truth),
        "candidate_recall": round(cand / max(len(truth), 1), 4),
        "group_recall_clause_pairs": round((together + copies) / max(weight + copies, 1), 4),
        "clause_pairs": weight + copies,
    }


def child(kind: str, arg: int, seed: int) -> dict[str, object]:
    r = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(arg), "--seed", str(seed)],
        capture_output=True,
        text=True,
    )
    if r.returncode:
        return {"error": r.stderr.strip().splitlines()[-3:]}
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sample", type=int, default=20000)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--scale", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, arg = args.child[0], int(args.child[1])
        out = run_recall(arg, args.seed) if kind == "recall" else run_fit(arg or None, args.seed)
        print(json.dumps(out))
        return
    store_dir()
    path = RESULTS / "dupes-real.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report.update({"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count()})
    report["load_average_at_start"] = os.getloadavg()
    if args.sample:
        key = f"recall_sample_{args.sample}_seed{args.seed}"
        report[key] = child("recall", args.sample, args.seed)
        print(report, flush=True)
    if args.full:
        report["full_real"] = child("fit", 0, args.seed)
        print(report["full_real"], flush=True)
    if args.scale:
        report[f"scaled_{args.scale}"] = child("fit", args.scale, args.seed)
        print(report[f"scaled_{args.scale}"], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
