"""Automatic theme measures on real postings, jdsearch beside the hand-wired baseline. By hand:

    python bench/coherence.py --part test                # all duty clauses of the test half
    python bench/coherence.py --part tune --headings     # only clauses under duty headings

Both systems theme the same clauses (bench/theme_eval.py). Reported per system: themes,
unthemed share, mean NPMI of the top-5 label terms over the half's postings, and a machine
intruder accuracy (a neutral character-bigram reader, 200 items per system) — a cheap stand-in
used while developing; the blind intruder test (bench/intruder.py) is the real measure.
Results: bench/results/themes-coherence-<part>.json. No clause text is written.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from theme_data import ROOT, coarse_tokens, load_clauses
from theme_eval import (
    intruder_items,
    machine_intruder,
    npmi,
    posting_texts,
    run_baseline,
    run_jdsearch,
)

RESULTS = ROOT / "bench" / "results"


def measure(
    part: str, headings: bool, opts: dict[str, object], items: int = 200
) -> dict[str, object]:
    clauses = load_clauses("duty", duty_headings=headings, part=part)
    tokens = dict(zip([c.clause_id for c in clauses], coarse_tokens(clauses), strict=True))
    ours = run_jdsearch(clauses, tokens, **opts)
    base = run_baseline(clauses, len(ours.themes))
    by_id = {c.clause_id: c for c in clauses}
    rng = random.Random(0)
    its = intruder_items(ours, items, rng) + intruder_items(base, items, rng)
    postings = posting_texts(
        load_clauses("duty", duty_headings=False, part=part)
        + load_clauses("requirement", duty_headings=False, part=part)
    )
    out: dict[str, object] = {
        "part": part,
        "duty_headings_only": headings,
        "clauses": len(clauses),
        "units": ours.units,
        "options": opts,
        "npmi_top5": npmi([ours, base], postings),
        "machine_intruder": machine_intruder(its, by_id),
    }
    for s in (ours, base):
        out[s.name] = {
            "themes": len(s.themes),
            "unthemed_units": s.unthemed,
            "unthemed_share": round(s.unthemed / max(s.units, 1), 4),
            "seconds": s.seconds,
        }
    out["jdsearch"]["params"] = ours.params  # type: ignore[index]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--part", default="test", choices=["tune", "test"])
    ap.add_argument("--headings", action="store_true", help="only clauses under duty headings")
    ap.add_argument("--options", default="{}", help="JSON options for build_themes (tuning)")
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args()
    res = measure(args.part, args.headings, json.loads(args.options))
    res["date"] = time.strftime("%Y-%m-%d %H:%M")
    print(json.dumps(res, indent=1, ensure_ascii=False))
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = f"themes-coherence-{args.part}{'-headings' if args.headings else ''}.json"
        (RESULTS / name).write_text(json.dumps(res, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
