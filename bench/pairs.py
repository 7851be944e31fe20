"""Blind-judge packet for duplicate precision: random (member, canonical) pairs, before and after.

    python bench/pairs.py sample [--postings 6000] [--per 100]   # writes packet + key
    python bench/pairs.py score                                    # after the judge has answered

Postings of ``zhaopin_2018_dev_20k`` are split in two halves by a hash of their doc id: the
*tune* half (thresholds and rules were looked at there) and the *report* half, which alone is
sampled here. "before" is the algorithm before the h/dupes merge (``474dd89^1``), "after"
the working tree; both run on the same clauses. For each system and relation (near, variant,
cross-lingual) up to ``--per`` random group members are paired with their group's canonical.

Written:
- bench/out/judge/packet.jsonl — shuffled items {item, question, a, b}: the only thing the judge
  sees (clause text: never committed);
- bench/pairs/key.json — item -> system, relation, clause ids, similarity (committed: no text);
- bench/pairs/verdicts.json — to be written by the judge: {"item": "yes"|"no"} (committed).
``score`` prints and writes bench/results/dupes-judged.json: precision per system and relation.
Questions: near and cross-lingual "Would a taxonomy editor merge these into one statement?";
variant "Same requirement, different value?".
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from dupes_real import load_clauses  # noqa: E402

PACKET = ROOT / "bench" / "out" / "judge" / "packet.jsonl"
KEY = ROOT / "bench" / "pairs" / "key.json"
VERDICTS = ROOT / "bench" / "pairs" / "verdicts.json"
RESULT = ROOT / "bench" / "results" / "dupes-judged.json"
MERGE = "Would a taxonomy editor merge these into one statement?"
VARIANT_Q = "Same requirement, different value?"


def half(doc_id: str) -> str:
    return "tune" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 2 == 0 else "report"


def old_module():  # type: ignore[no-untyped-def]
    src = subprocess.run(
        ["git", "show", "474dd89^1:jdsearch/dupes.py"],  # main before the h/dupes merge
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = ROOT / "bench" / "out" / "old_dupes.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(src, "utf-8")
    spec = importlib.util.spec_from_file_location("old_dupes", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["old_dupes"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def members(groups, system: str) -> dict[str, list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[dict[str, object]]] = {}
    for g in groups:
        for m in g.members[1:]:
            rel = m.relation if m.relation in ("near", "variant", "cross-lingual") else None
            if rel:
                out.setdefault(rel, []).append(
                    {
                        "system": system,
                        "relation": rel,
                        "member": m.clause_id,
                        "canonical": g.canonical_id,
                        "similarity": m.similarity,
                    }
                )
    return out


def sample(
    postings: int, per: int, seed: int, after_only: bool = False, relations: tuple[str, ...] = ()
) -> None:
    from jdsearch.dupes import DuplicateFinder

    clauses = [c for c in load_clauses() if half(c.doc_id) == "report"]
    docs = sorted({c.doc_id for c in clauses})
    bilingual = {c.doc_id for c in clauses if c.lang == "en"}
    keep = set(random.Random(seed).sample(docs, min(postings, len(docs)))) | bilingual
    clauses = [c for c in clauses if c.doc_id in keep]
    print(f"{len(clauses)} clauses from {len(keep)} postings of the report half", flush=True)
    after = DuplicateFinder(cross_lingual=True).fit(clauses).groups_
    print("after done", flush=True)
    systems = [("after", after)]
    if not after_only:
        before = old_module().DuplicateFinder(cross_lingual=True).fit(clauses).groups_
        print("before done", flush=True)
        systems.insert(0, ("before", before))
    rng = random.Random(seed)
    items = []
    for system, groups in systems:
        for rel, ms in sorted(members(groups, system).items()):
            if relations and rel not in relations:
                continue
            items += rng.sample(ms, min(per, len(ms)))
    rng.shuffle(items)
    by_id = {c.clause_id: c for c in clauses}
    PACKET.parent.mkdir(parents=True, exist_ok=True)
    KEY.parent.mkdir(parents=True, exist_ok=True)
    key = {}
    with PACKET.open("w", encoding="utf-8") as fh:
        for n, it in enumerate(items, 1):
            question = VARIANT_Q if it["relation"] == "variant" else MERGE
            a, b = by_id[str(it["canonical"])].text, by_id[str(it["member"])].text
            fh.write(
                json.dumps({"item": n, "question": question, "a": a, "b": b}, ensure_ascii=False)
                + "\n"
            )
            key[str(n)] = it
    KEY.write_text(
        json.dumps(
            {"postings": len(keep), "clauses": len(clauses), "seed": seed, "items": key}, indent=1
        )
    )
    print(f"wrote {PACKET} ({len(items)} items) and {KEY}")


def score() -> None:
    key = json.loads(KEY.read_text())["items"]
    verdicts = json.loads(VERDICTS.read_text())
    table: dict[str, dict[str, list[int]]] = {}
    for n, it in key.items():
        v = verdicts.get(n)
        if v is None:
            continue
        cell = table.setdefault(it["system"], {}).setdefault(it["relation"], [0, 0])
        cell[0] += v == "yes"
        cell[1] += 1
    out = {
        s: {r: {"yes": y, "judged": t, "precision": round(y / t, 3)} for r, (y, t) in rels.items()}
        for s, rels in table.items()
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("command", choices=["sample", "score"])
    ap.add_argument("--postings", type=int, default=6000)
    ap.add_argument("--per", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--after-only", action="store_true", help="sample the working tree only")
    ap.add_argument("--relations", default="", help="comma-separated, e.g. near,variant")
    ap.add_argument("--tag", default="", help="suffix of the packet/key/verdict/result files")
    args = ap.parse_args()
    if args.tag:
        global PACKET, KEY, VERDICTS, RESULT
        PACKET = PACKET.with_name(f"packet-{args.tag}.jsonl")
        KEY = KEY.with_name(f"key-{args.tag}.json")
        VERDICTS = VERDICTS.with_name(f"verdicts-{args.tag}.json")
        RESULT = RESULT.with_name(f"dupes-judged-{args.tag}.json")
    if args.command == "sample":
        rels = tuple(filter(None, args.relations.split(",")))
        sample(args.postings, args.per, args.seed, args.after_only, rels)
    else:
        score()


if __name__ == "__main__":
    main()
