"""Real postings for the benchmarks: the Zhaopin developers' half in ../shared/data.

Scraped text never enters the repository: the corpora are written under bench/out/ (ignored by
git) from ../shared/data/zhaopin/*.jsonl.gz. ``zhaopin(n)`` is the first ``n`` postings as a
JSON-lines file jdsearch ingests (title/city/industry become posting fields); ``scaled(k)``
repeats the 20,000 postings ``k`` times with small edits (a numbered suffix on the title and a
word swapped per copy), so duplicates are near, not exact, as on a real job board.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DATA = Path(os.environ.get("JDSEARCH_DATA") or ROOT.parent / "shared" / "data")


def data_dir() -> Path:
    """JDSEARCH_DATA, else ../shared/data beside the repository, else /work/shared/data."""
    env = os.environ.get("JDSEARCH_DATA")
    if env:
        return Path(env)
    beside = ROOT.parent / "shared" / "data"
    return beside if beside.exists() else Path("/work/shared/data")
ZHAOPIN = DATA / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
_SWAPS = [
    ("负责", "主要负责"),
    ("公司", "本公司"),
    ("客户", "顾客"),
    ("以上", "及以上"),
    ("熟悉", "熟练"),
]


def available() -> bool:
    return ZHAOPIN.is_file()


@lru_cache(maxsize=1)
def postings() -> list[dict[str, str]]:
    if not available():
        raise SystemExit(f"no real data at {ZHAOPIN} (set JDSEARCH_DATA)")
    with gzip.open(ZHAOPIN, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def zhaopin(n: int) -> Path:
    """bench/out/zhaopin-N.jsonl: the first ``n`` postings (written once)."""
    path = OUT / f"zhaopin-{n}.jsonl"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for row in postings()[:n]:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(path)
    return path


def scaled(copies: int, files: int = 50) -> Path:
    """bench/out/zhaopin-x{copies}/: the 20k postings ``copies`` times, with small edits, in
    ``files`` JSON-lines files (so parsing can run in parallel)."""
    folder = OUT / f"zhaopin-x{copies}"
    if (folder / ".done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(copies)
    rows = postings()
    handles = [(folder / f"part-{i:03d}.jsonl").open("w", encoding="utf-8") for i in range(files)]
    n = 0
    for copy in range(copies):
        for row in rows:
            edited = dict(row)
            if copy:
                old, new = _SWAPS[rng.randrange(len(_SWAPS))]
                edited["description"] = row["description"].replace(old, new, 1)
                edited["title"] = f"{row['title']}（{copy}）"
            handles[n % files].write(json.dumps(edited, ensure_ascii=False) + "\n")
            n += 1
    for h in handles:
        h.close()
    (folder / ".done").write_text(str(n))
    return folder
