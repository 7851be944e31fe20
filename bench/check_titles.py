"""Title lines: how often the job title on a posting's first line is found, and how often a
first line that is not a title is taken for one.

    python bench/check_titles.py               # writes bench/results/check_titles.json
    python bench/check_titles.py --show 20     # also prints misses and false titles (stdout)

Positives are real titles put on the first line of their own posting, the way a saved .txt
posting starts: the zhaopin ``title`` + ``description``, and the Google ``Title`` + its
responsibilities and qualifications. Negatives are the same postings without the title line:
their first line (岗位职责：, 1、…, a sentence, a company blurb) must not be taken for a title.
A description whose own first line repeats
its title (bigram overlap >= 0.5) is counted in ``first_line_taken`` but not as a false title.
Postings are split in two halves by a hash of their text; the word list was written looking at
the ``dev`` half only, the ``test`` half is reported as the held-out figure.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from check_numbers import data_dir, postings  # noqa: E402

from jdsearch.segment import Segmenter  # noqa: E402


def half(text: str) -> str:
    return "dev" if hashlib.sha1(text.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text.lower())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def alike(line: str, title: str) -> bool:
    """The description repeats its own title on its first line ("语文教师" under 语文教师)."""
    a, b = _bigrams(line), _bigrams(title)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.5


def zhaopin(path: Path) -> list[tuple[str, str]]:
    return [(r["title"].strip(), r["description"]) for r in postings(path) if r["title"].strip()]


def google(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    docs = []
    for r in rows:
        parts = [
            f"{name}:\n{r[name]}"
            for name in ("Responsibilities", "Minimum Qualifications", "Preferred Qualifications")
            if r.get(name, "").strip()
        ]
        if r.get("Title", "").strip() and parts:
            docs.append((r["Title"].strip(), "\n".join(parts)))
    return docs


def score(docs: list[tuple[str, str]], seg: Segmenter, show: int, label: str) -> dict:
    out: dict[str, dict[str, float | int]] = {}
    for part in ("dev", "test"):
        chosen = [(t, b) for t, b in docs if half(t + b) == part]
        found = [seg.segment(f"{t}\n{b}", detect_title=True).title for t, b in chosen]
        false = [seg.segment(b, detect_title=True).title for _, b in chosen]
        hits = sum(f == t for f, (t, _) in zip(found, chosen, strict=True))
        titled = [f for f in false if f]
        wrong = [f for f, (t, _) in zip(false, chosen, strict=True) if f and not alike(f, t)]
        out[part] = {
            "postings": len(chosen),
            "title_found": hits,
            "recall": round(hits / max(1, len(chosen)), 4),
            "first_line_taken": len(titled),
            "false_titles": len(wrong),
            "false_title_rate": round(len(wrong) / max(1, len(chosen)), 4),
        }
        if part == "dev" and show:
            misses = [t for f, (t, _) in zip(found, chosen, strict=True) if f != t]
            for t in misses[:show]:
                print(f"{label} MISS  {t!r}")
            for f in wrong[:show]:
                print(f"{label} FALSE {f!r}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--out", default="check_titles.json")
    args = ap.parse_args()
    root = data_dir()
    zh = root / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
    en = root / "google" / "job_skills_2018_dev.csv"
    if not zh.exists() or not en.exists():
        sys.exit(f"skipped: no data under {root}")
    seg = Segmenter()
    result = {
        "zhaopin": score(zhaopin(zh), seg, args.show, "zh"),
        "google": score(google(en), seg, args.show, "en"),
    }
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
