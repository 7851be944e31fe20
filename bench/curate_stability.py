"""Do theme and group ids, and human decisions, survive adding or editing one posting?

Ingests N real zhaopin postings (a seeded sample of the dev file), computes groups and themes,
records one decision of most types, then (1) adds one posting as a new file and (2) edits one
posting in place, re-ingesting after each, and (3) recomputes groups and themes from scratch.
Reports the share of old theme/group ids still present with a membership Jaccard >= 0.8, and
every decision's state. Writes bench/results/curate_stability.json.

    python bench/curate_stability.py [--n 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jdsearch import Corpus  # noqa: E402
from jdsearch.stable import overlap_report  # noqa: E402

DATA = (
    Path(os.environ.get("JDSEARCH_DATA", "/work/shared/data"))
    / "zhaopin"
    / "zhaopin_2018_dev_20k.jsonl.gz"
)


def sample(n: int, seed: int, path: Path = DATA) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return random.Random(seed).sample(rows, n + 1)


def snapshot(corpus: Corpus) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    from jdsearch.stable import memberships

    return memberships(corpus.store())


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def decide_some(corpus: Corpus) -> None:
    """One decision of each kind a test can make without reading the postings."""
    groups = corpus.group_view().groups
    themes = [t for t in corpus.theme_view().themes if t.kind == "duty"]
    first = corpus.clauses(kind="duty")[0]
    corpus.decide("kind", "bench", clause=first.clause_id, kind="requirement")
    corpus.decide("group-reject", "bench", group=groups[0].group_id)
    g = groups[1]
    corpus.decide("group-split", "bench", group=g.group_id, members=[g.members[-1].clause_id])
    corpus.decide("theme-rename", "bench", theme=themes[0].theme_id, en="curated label")
    corpus.decide("theme-merge", "bench", theme=themes[2].theme_id, into=themes[1].theme_id)
    corpus.decide("theme-drop", "bench", theme=themes[3].theme_id)
    corpus.decide("theme-split", "bench", theme=themes[4].theme_id, members=themes[4].members[-1:])
    corpus.decide("theme-canonical", "bench", clause=themes[5].members[-1])
    corpus.decide("group-canonical", "bench", clause=groups[2].members[-1].clause_id)
    corpus.decide("group-accept", "bench", group=groups[3].group_id)
    corpus.decide(
        "group-move", "bench", clause=groups[4].members[-1].clause_id, to=groups[5].group_id
    )


def run(n: int, seed: int, path: Path = DATA) -> dict[str, object]:
    rows = sample(n, seed, path)
    base, extra = rows[:n], rows[n]
    out: dict[str, object] = {"postings": n, "seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        write_jsonl(docs / "postings.jsonl", base)
        corpus = Corpus(Path(tmp) / "idx")
        t0 = time.perf_counter()
        corpus.ingest([docs], text_column="description")
        corpus.themes()
        out["first_run_seconds"] = round(time.perf_counter() - t0, 1)
        decide_some(corpus)
        steps = {}
        for step in ("add", "edit", "refit"):
            before = snapshot(corpus)
            t0 = time.perf_counter()
            if step == "refit":  # a full recompute of groups and themes (pinned curated themes)
                corpus.dupes(recompute=True)
                corpus.themes(recompute=True)
                after = snapshot(corpus)
                steps[step] = {
                    "seconds": round(time.perf_counter() - t0, 1),
                    "themes": overlap_report(before[0], after[0]),
                    "groups": overlap_report(before[1], after[1]),
                    "decisions": {
                        d["id"] + " " + d["type"]: d["status"] for d in corpus.decisions()
                    },
                }
                continue
            if step == "add":
                write_jsonl(docs / "one_more.jsonl", [extra])
            else:
                edited = dict(base[n // 2])
                edited["description"] = (
                    edited["description"].replace("，", "、", 1) + "\n负责客户回访。"
                )
                write_jsonl(docs / "postings.jsonl", [*base[: n // 2], edited, *base[n // 2 + 1 :]])
            t0 = time.perf_counter()
            report = corpus.ingest([docs], text_column="description")
            seconds = round(time.perf_counter() - t0, 1)
            after = snapshot(corpus)
            steps[step] = {
                "seconds": seconds,
                "stages": report.stages,
                "themes": overlap_report(before[0], after[0]),
                "groups": overlap_report(before[1], after[1]),
                "decisions": {d["id"] + " " + d["type"]: d["status"] for d in corpus.decisions()},
            }
        out["steps"] = steps
        corpus.close_all()
        shutil.rmtree(Path(tmp) / "idx", ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    result = run(args.n, args.seed)
    dest = ROOT / "bench" / "results" / "curate_stability.json"
    dest.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
