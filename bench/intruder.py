"""Blind intruder test (Chang et al. 2009) for jdsearch themes vs the hand-wired baseline.

    python bench/intruder.py build                 # write the packet and its key (test half)
    python bench/intruder.py score VERDICTS.json   # score a judge's verdicts against the key

Both systems theme the same duty clauses of the held-out ``test`` half of the Zhaopin postings
(bench/theme_data.py; every parameter was chosen on the other half): jdsearch
(`build_themes`) and ``TfidfVectorizer(tokenizer=jieba.lcut)`` + ``MiniBatchKMeans`` at the
same k (bench/theme_eval.py). For PER_SYSTEM random themes per system with >= 8 distinct
members:

- Part 1, an odd-one-out item: five members plus one member of another theme of the same
  system, shuffled (the intruder's position is in the key);
- Part 2, a card: the theme's label (its own label words, " / "-joined, as both systems have
  them; jdsearch's translation is left out so the format does not tell the systems apart), its
  canonical duty and eight random members. The judge says whether the label describes the
  members and whether the canonical is a complete duty statement.

Items and cards of both systems are mixed, shuffled and numbered; nothing in the packet says
which system made which. Written to bench/out/ (git-ignored: it holds posting text):
``intruder_packet.md`` (all the judge may see) and ``intruder_key.json`` (never show it).

The verdicts file the judge writes (JSON, one entry per item and per card)::

    {"items": {"I01": 4, "I02": 1, ...},            # position 1-6 of the odd statement
     "cards": {"C01": {"label": "yes", "canonical": "no"}, ...}}

``score`` writes bench/results/intruder.json (accuracies per system; no text).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from theme_data import OUT, ROOT, coarse_tokens, load_clauses
from theme_eval import System, SysTheme, run_baseline, run_jdsearch

PACKET = OUT / "intruder_packet.md"
KEY = OUT / "intruder_key.json"
RESULT = ROOT / "bench" / "results" / "intruder.json"
PER_SYSTEM = 40
MIN_MEMBERS = 8
CARD_MEMBERS = 8

INTRO = """# Job-duty groups: a reading test

The statements below are duties from Chinese job postings, grouped by two different
methods (mixed together here; you are not told which made which). Answer from the text alone.

Write your answers as JSON, exactly in this shape (every item and every card):

    {"items": {"I01": 4, "I02": 1, ...},
     "cards": {"C01": {"label": "yes", "canonical": "no"}, ...}}

## Part 1: odd one out

Each item lists six statements. Five come from one group about the same kind of work; one
comes from a different group. Answer with the number (1-6) of the one that does not belong.
"""

CARDS = """## Part 2: group cards

Each card shows a group's label, the statement chosen to represent the group, and eight
statements from the group. Answer two questions per card, "yes" or "no":
- "label": does the label describe what most of the eight statements are about?
- "canonical": is the representative statement a complete duty statement (a whole task
  someone does; not a fragment, a heading, a requirement on the candidate, or a benefit)?
"""


def label_of(t: SysTheme) -> str:
    return " / ".join(t.label[:3])


def pick(system: System, rng: random.Random) -> list[SysTheme]:
    eligible = [t for t in system.themes if len(t.members) >= MIN_MEMBERS]
    return rng.sample(eligible, min(PER_SYSTEM, len(eligible)))


def item(system: System, t: SysTheme, rng: random.Random) -> dict[str, object]:
    """Five members of ``t`` and one member of another theme of the same system, shuffled."""
    other = rng.choice([o for o in system.themes if o.key != t.key and o.members])
    intruder = rng.choice(other.members)
    six = [*rng.sample(t.members, 5), intruder]
    rng.shuffle(six)
    return {
        "system": system.name,
        "theme": t.key,
        "other": other.key,
        "clauses": six,
        "intruder": six.index(intruder) + 1,
    }


def card(system: System, t: SysTheme, rng: random.Random) -> dict[str, object]:
    return {
        "system": system.name,
        "theme": t.key,
        "label": label_of(t),
        "canonical": t.canonical,
        "members": rng.sample(t.members, CARD_MEMBERS),
    }


def build(seed: int) -> None:
    clauses = load_clauses("duty", duty_headings=False, part="test")
    tokens = dict(zip([c.clause_id for c in clauses], coarse_tokens(clauses), strict=True))
    text = {c.clause_id: " ".join(c.text.split()) for c in clauses}
    ours = run_jdsearch(clauses, tokens)
    base = run_baseline(clauses, len(ours.themes))
    rng = random.Random(seed)
    items, cards = [], []
    for system in (ours, base):
        for t in pick(system, rng):
            items.append(item(system, t, rng))
            cards.append(card(system, t, rng))
    rng.shuffle(items)
    rng.shuffle(cards)
    lines = [INTRO]
    key: dict[str, object] = {"seed": seed, "items": {}, "cards": {}}
    for n, it in enumerate(items, 1):
        iid = f"I{n:02d}"
        lines.append(f"### {iid}")
        lines += [f"{i}. {text[c]}" for i, c in enumerate(it["clauses"], 1)]  # type: ignore[arg-type]
        lines.append("")
        key["items"][iid] = {k: it[k] for k in ("system", "theme", "other", "intruder")}  # type: ignore[index]
    lines.append(CARDS)
    for n, c in enumerate(cards, 1):
        cid = f"C{n:02d}"
        lines += [f"### {cid}", f"Label: {c['label']}", f"Representative: {text[c['canonical']]}"]  # type: ignore[index]
        lines += [f"- {text[m]}" for m in c["members"]]  # type: ignore[attr-defined]
        lines.append("")
        key["cards"][cid] = {k: c[k] for k in ("system", "theme", "label")}  # type: ignore[index]
    key["systems"] = {
        s.name: {
            "themes": len(s.themes),
            "units": s.units,
            "unthemed": s.unthemed,
            "seconds": s.seconds,
        }
        for s in (ours, base)
    }
    OUT.mkdir(parents=True, exist_ok=True)
    PACKET.write_text("\n".join(lines), encoding="utf-8")
    KEY.write_text(json.dumps(key, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({"items": len(items), "cards": len(cards), **key["systems"]}, indent=1))  # type: ignore[dict-item]
    print(f"packet: {PACKET}\nkey: {KEY}")


def _yes(v: object) -> bool:
    return str(v).strip().lower() in ("yes", "y", "true", "1")


def score(verdicts_path: Path) -> dict[str, object]:
    key = json.loads(KEY.read_text(encoding="utf-8"))
    verdicts = json.loads(verdicts_path.read_text(encoding="utf-8"))
    items, cards = verdicts.get("items", {}), verdicts.get("cards", {})
    out: dict[str, dict[str, float]] = {}

    def tally(system: str) -> dict[str, float]:
        return out.setdefault(
            system,
            dict.fromkeys(
                ("items", "correct", "cards", "label_yes", "canonical_yes", "unanswered"), 0
            ),
        )

    for iid, k in key["items"].items():
        s = tally(k["system"])
        s["items"] += 1
        s["unanswered"] += iid not in items
        s["correct"] += str(items.get(iid, "")).strip() == str(k["intruder"])
    for cid, k in key["cards"].items():
        s = tally(k["system"])
        v = cards.get(cid) or {}
        s["cards"] += 1
        s["unanswered"] += not v
        s["label_yes"] += _yes(v.get("label"))
        s["canonical_yes"] += _yes(v.get("canonical"))
    for s in out.values():
        s["intruder_accuracy"] = round(s["correct"] / max(s["items"], 1), 4)
        s["label_fit"] = round(s["label_yes"] / max(s["cards"], 1), 4)
        s["canonical_complete"] = round(s["canonical_yes"] / max(s["cards"], 1), 4)
    result = {
        "scored": time.strftime("%Y-%m-%d %H:%M"),
        "verdicts": verdicts_path.name,
        "seed": key["seed"],
        "systems": out,
        "runs": key.get("systems", {}),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=1))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write the packet and key (bench/out/)")
    b.add_argument("--seed", type=int, default=2026)
    s = sub.add_parser("score", help="score a verdicts JSON file")
    s.add_argument("verdicts", type=Path)
    args = ap.parse_args()
    if args.cmd == "score":
        score(args.verdicts)
    else:
        build(args.seed)


if __name__ == "__main__":
    main()
