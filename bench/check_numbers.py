"""Numbers kept: how many pieces of real postings lost a leading number to a list marker.

    python bench/check_numbers.py                    # the 20k zhaopin postings
    python bench/check_numbers.py --show 20          # also print 20 examples per problem (stdout)
    python bench/check_numbers.py --out NAME.json    # result file name under bench/results/

Each posting's ``description`` is segmented as ``jdsearch ingest`` does (the ``title`` column
passed as the section title). A text piece (clause, heading or title) *lost a number* when a
marker piece ends right where it starts, the marker ends in a numeral, and that numeral read with
the piece's first characters is a quantity: ``2.2`` + ``年以上…``, ``1.5`` + ``-2.5万/月``,
``1.18`` + ``-30岁``, ``一、`` + ``二线城市``. A quantity line that became a *heading* (no clause
at all, so the requirement is never typed) is counted apart, and so are other boundary
problems found by their shape (see ``boundary_problems``). Examples are printed, never written:
postings stay out of the repository. The timing is the segmentation alone, one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from jdsearch.segment import Segmentation, Segmenter  # noqa: E402

TEXT_KINDS = ("clause", "heading", "title")
# what follows a number in a quantity: years, ages, money, ranges, percentages, counts
_QUANTITY = re.compile(
    r"\d+(?:[.．]\d+)?\s*(?:[-~～—–至到]\s*\d|年|个月|月|岁|周岁|歳|万|千|百|元|块|[kKwW](?![A-Za-z])"
    r"|%|％|以上|以下|小时|天|人|倍|届|后|险|[AaVv]\d?)"
)
_CN_QUANTITY = re.compile(
    r"[一二三四五六七八九十]\s*[、,，]\s*[一二三四五六七八九十](?:线|级|类|星|本)"
)
_QUANTITY_HEADING = re.compile(r"\d\s*(?:年|岁|周岁)")


from realdata import data_dir  # noqa: E402


def postings(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def lost_numbers(text: str, seg: Segmentation) -> list[tuple[str, str]]:
    """(marker, piece text) for every text piece whose leading number went into the marker."""
    markers = {p.end: p for p in seg.pieces if p.kind == "marker"}
    found = []
    for p in seg.pieces:
        if p.kind not in TEXT_KINDS or p.start not in markers:
            continue
        mark = text[markers[p.start].start : p.start]
        tail = re.search(r"\d+(?:[.．]\d+)?$", mark)
        body = text[p.start : p.end]
        glued = (tail.group(0) if tail else "") + body
        if (tail and not body[:1].isdigit() and _QUANTITY.match(glued)) or _CN_QUANTITY.match(
            mark + body
        ):
            found.append((mark, body))
    return found


def quantity_headings(text: str, seg: Segmentation) -> list[str]:
    """Headings that state a quantity (an age or years of experience): requirements, not titles."""
    return [
        text[p.start : p.end]
        for p in seg.pieces
        if p.kind == "heading" and _QUANTITY_HEADING.search(text[p.start : p.end])
    ]


_UNSPLIT_NUMBER = re.compile(r"^(?:\d{1,2}[、，,]|\d{1,2}[.．](?!\d)|[（(]\d{1,2}[)）])")
_GLUED_HEADING = re.compile(
    r"^【?(?:岗位职责|工作职责|职位描述|岗位描述|工作内容|任职要求|任职资格|岗位要求|职位要求)】?\s*[:：]"
)
UI_LEFTOVERS = ("查看职位地图",)


def boundary_problems(text: str, seg: Segmentation) -> dict[str, list[str]]:
    """Other pieces a reader would call wrong, found by their shape.

    ``unsplit_marker``: a clause that still starts with its list number ("1、20-30岁…");
    ``glued_heading``: a clause that starts with a list heading ("岗位职责：负责…");
    ``last_heading``: a heading with nothing after it (an address at the end of a posting);
    ``ui_leftover``: the job board's "查看职位地图" kept as a heading or clause.
    """
    texts = sorted((p for p in seg.pieces if p.kind in TEXT_KINDS), key=lambda p: p.start)
    found: dict[str, list[str]] = {k: [] for k in PROBLEMS}
    for c in seg.clauses:
        if _UNSPLIT_NUMBER.match(c.text):
            found["unsplit_marker"].append(c.text)
        if _GLUED_HEADING.match(c.text):
            found["glued_heading"].append(c.text)
    if texts and texts[-1].kind == "heading":
        last = text[texts[-1].start : texts[-1].end]
        if not last.rstrip().endswith((":", "：")):
            found["last_heading"].append(last)
    found["ui_leftover"] += [
        text[p.start : p.end] for p in texts if text[p.start : p.end].strip() in UI_LEFTOVERS
    ]
    return found


PROBLEMS = ("unsplit_marker", "glued_heading", "last_heading", "ui_leftover")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--out", default="check_numbers.json")
    args = ap.parse_args()
    path = args.data or data_dir() / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
    if not path.exists():
        sys.exit(f"skipped: no data at {path}")
    rows = postings(path)
    seg = Segmenter()
    chars = sum(len(r["description"]) for r in rows)
    t0 = time.perf_counter()
    results = [(r["description"], seg.segment(r["description"], r.get("title", ""))) for r in rows]
    secs = time.perf_counter() - t0
    lost = [(i, m, b) for i, (t, s) in enumerate(results) for m, b in lost_numbers(t, s)]
    heads = [(i, h) for i, (t, s) in enumerate(results) for h in quantity_headings(t, s)]
    problems = {k: 0 for k in PROBLEMS}
    shown = {k: 0 for k in PROBLEMS}
    for i, (t, s) in enumerate(results):
        for k, items in boundary_problems(t, s).items():
            problems[k] += len(items)
            for item in items[: max(0, args.show - shown[k])]:
                print(f"{k.upper()}  #{i} {item[:60]!r}")
            shown[k] += len(items)
    result = {
        "data": path.name,
        "postings": len(rows),
        "clauses": sum(len(s.clauses) for _, s in results),
        "lost_number_pieces": len(lost),
        "postings_with_lost_number": len({i for i, _, _ in lost}),
        "quantity_headings": len(heads),
        **problems,
        "segment_seconds": round(secs, 2),
        "mb_per_s": round(len("".join(r["description"] for r in rows).encode()) / 1e6 / secs, 2),
        "chars": chars,
        "python": platform.python_version(),
    }
    out = ROOT / "bench" / "results" / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    for i, m, b in lost[: args.show]:
        print(f"LOST  #{i} marker={m!r} text={b[:50]!r}")
    for i, h in heads[: args.show]:
        print(f"HEAD  #{i} {h[:60]!r}")


if __name__ == "__main__":
    main()
