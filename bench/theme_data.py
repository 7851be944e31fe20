"""Real clauses for the theme benchmarks: the 20k Zhaopin postings, ingested once, split by posting.

    python bench/theme_data.py          # write bench/out/zhaopin-20k.jsonl and ingest it

The postings (../shared/data/zhaopin, scraped text) are written to ``bench/out/`` (git-ignored)
and ingested with the current code into ``bench/out/zp-idx``. Every posting falls in one half by
a hash of its row number: ``tune`` (develop on it, read its samples) or ``test`` (report on it).
Nothing from here is committed except figures.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


from realdata import data_dir  # noqa: E402

ZHAOPIN = data_dir() / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
ONET = data_dir() / "onet" / "tasks_single_dwa_dev.tsv"
JSONL = OUT / "zhaopin-20k.jsonl"
INDEX = OUT / "zp-idx"
# employers' own headings over duty lists (weak labels: used to see themes in isolation)
DUTY_HEADINGS = ("职责", "工作内容", "岗位描述", "职位描述", "工作描述", "主要工作")


def half(row: int | None) -> str:
    """'tune' or 'test' for a posting, from a hash of its row (stable, ~50/50)."""
    digest = hashlib.sha1(f"zhaopin:{row}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "test"


def ensure_index() -> Path:
    """Write the postings as JSONL and ingest them (once; later calls reuse the index)."""
    from jdsearch import Corpus

    if not ZHAOPIN.exists():
        raise SystemExit(f"missing {ZHAOPIN}")
    OUT.mkdir(parents=True, exist_ok=True)
    if not JSONL.exists():
        with gzip.open(ZHAOPIN, "rt", encoding="utf-8") as src, JSONL.open("w") as dst:
            for line in src:
                rec = json.loads(line)
                dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if not (INDEX / "clauses.sqlite").exists():
        Corpus(INDEX).ingest([JSONL], text_column="description")
    return INDEX


def postings() -> dict[str, tuple[str, str]]:
    """doc_id -> (split half, industry)."""
    from jdsearch.store import ClauseStore

    store = ClauseStore(ensure_index())
    try:
        return {d.doc_id: (half(d.row), d.metadata.get("industry", "")) for d in store.documents()}
    finally:
        store.close()


def load_clauses(kind: str = "duty", *, duty_headings: bool = True, part: str | None = None):
    """Clauses of one kind (optionally only under employers' duty headings) from one half."""
    from jdsearch.store import ClauseStore

    split = postings()
    store = ClauseStore(ensure_index())
    try:
        out = []
        for c in store.clauses(kind=kind):
            if part is not None and split[c.doc_id][0] != part:
                continue
            if duty_headings and not any(h in c.heading for h in DUTY_HEADINGS):
                continue
            out.append(c)
        return out
    finally:
        store.close()


def coarse_tokens(clauses: Sequence) -> list[list[str]]:
    """Each clause's coarse analyser tokens, from the index's token cache (jieba ran at ingest):
    the ``tokens_of`` jdsearch.stages passes to build_themes."""
    from jdsearch.stages import coarse_terms
    from jdsearch.store import ClauseStore

    store = ClauseStore(ensure_index())
    try:
        return coarse_terms(store, clauses)
    finally:
        store.close()


if __name__ == "__main__":
    idx = ensure_index()
    from jdsearch import Corpus

    print(idx, Corpus(idx).stats())
