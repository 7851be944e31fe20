"""Segmentation speed on the real postings: this tree against a baseline revision, interleaved.

    python bench/time_segment.py                 # baseline main, 3 rounds each
    python bench/time_segment.py --baseline HEAD~3 --rounds 5

The baseline's ``jdsearch/segment.py`` is read with ``git show`` and loaded as a module beside
the current one (same normaliser, same boilerplate file), so only the segmenter differs. Runs
alternate (baseline, current, baseline, …) and are timed in CPU seconds of the process, so a
busy shared machine slows both alike; the best round of each is reported, with every round kept
in the result file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from check_numbers import data_dir, postings  # noqa: E402

from jdsearch import segment as current  # noqa: E402


def baseline_module(rev: str, tmp: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:jdsearch/segment.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = tmp / "segment_baseline.py"
    path.write_text(source, "utf-8")
    spec = importlib.util.spec_from_file_location("segment_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["segment_baseline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run(module: ModuleType, rows: list[dict[str, str]]) -> float:
    """CPU seconds of this process: waiting for a core shared with other jobs is not counted."""
    seg = module.Segmenter()
    seg.segment("预热 warm-up")
    t0 = time.process_time()
    for r in rows:
        seg.segment(r["description"], r.get("title", ""))
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="segment_timing.json")
    args = ap.parse_args()
    path = data_dir() / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
    if not path.exists():
        sys.exit(f"skipped: no data at {path}")
    rows = postings(path)
    mb = sum(len(r["description"].encode("utf-8")) for r in rows) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline_module(args.baseline, Path(tmp))
        rounds: dict[str, list[float]] = {"baseline": [], "current": []}
        for _ in range(args.rounds):
            rounds["baseline"].append(round(run(base, rows), 2))
            rounds["current"].append(round(run(current, rows), 2))
    best = {k: min(v) for k, v in rounds.items()}
    result = {
        "postings": len(rows),
        "mb": round(mb, 2),
        "baseline_rev": args.baseline,
        "seconds_rounds": rounds,
        "best_seconds": best,
        "best_mb_per_s": {k: round(mb / v, 3) for k, v in best.items()},
        "current_over_baseline": round(best["current"] / best["baseline"], 3),
    }
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
