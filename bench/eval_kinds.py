"""Clause-kind accuracy per language: held-out weak labels and hand labels. Run by hand.

    python bench/eval_kinds.py                   # evaluate -> bench/results/kinds.json
    python bench/eval_kinds.py --legacy          # also the cue-regex classifier it replaced
    python bench/eval_kinds.py sample --set test # items to label -> bench/out/label-test.tsv
    python bench/eval_kinds.py import --set test CODES   # codes -> bench/labels/kinds-test.tsv

Two yardsticks, both on postings the model never saw (the split is by posting,
``bench/kinds_data.py``):

* held-out weak labels: every test-split clause under a clear-cut employer heading
  (岗位职责 / 任职要求 / 福利待遇 …; Google's columns), scored *without* the heading (the model
  must read the wording) and *with* it (what ingest does);
  The heading figures on weak labels flatter: there the heading is also the label;
* hand labels (``bench/labels/kinds-{dev,test}.tsv``): clauses sampled at random from held-out
  postings and labelled by reading them (kind and fragment flag), keyed by a hash of posting
  key and text, never the text. The dev set tuned the context bonus and the fragment rule; the
  test set is reported and was labelled before any model's predictions on it were looked at;
* fragment sets (``kinds-frag-dev.tsv``, ``kinds-frag.tsv``): short or dangling held-out
  clauses (where fragments are), labelled the same way; dev shaped the rule, test reports it.

Label codes for ``import`` (one line per item: ``index<TAB>code``): d / r / o for duty /
requirement / other, upper case (D / R / O) when the clause is a fragment.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kinds_data as kd

LABELS = kd.ROOT / "bench" / "labels"
RESULTS = kd.ROOT / "bench" / "results"
KINDS = ("duty", "requirement", "other")
CODE = {"d": "duty", "r": "requirement", "o": "other"}
FRAG_PLAN = [
    ("zh-Hans", "zhaopin", 80, 1),
    ("zh-Hant", "zhaopin-tw", 50, 1),
    ("en", "google", 30, 2),
]
HAND_PLAN = {  # set -> [(lang, source, count, max per posting)]
    "test": [
        ("zh-Hans", "zhaopin", 220, 2),
        ("zh-Hant", "zhaopin-tw", 150, 2),
        ("zh-Hant", "corpus", 90, 90),
        ("en", "google", 230, 8),
    ],
    "dev": [
        ("zh-Hans", "zhaopin", 100, 2),
        ("zh-Hant", "zhaopin-tw", 100, 2),
        ("en", "google", 100, 4),
    ],
    # short or dangling test-split clauses (where fragments are): the fragment rule's yardstick
    "frag": FRAG_PLAN,
    "frag-dev": FRAG_PLAN,  # the same plan drawn from the dev split
}
SPLIT_OF_SET = {"test": "test", "dev": "dev", "frag": "test", "frag-dev": "dev"}
_FRAG_CANDIDATE = re.compile(r"(^[,，、;；)）])|([,，、:：/]\s*$)")


def frag_candidate(it: kd.Item) -> bool:
    """Short (at most 8 Chinese characters / Latin words / numbers) or ending mid-sentence.

    Broader than the fragment rule on purpose, so its misses show too.
    """
    units = len(re.findall(r"[\u3400-\u9fff]|[A-Za-z]+|\d+", it.text))
    return units <= 8 or bool(_FRAG_CANDIDATE.search(it.text))


# --------------------------------------------------------------------------- hand labels
def hand_sample(items: list[kd.Item], which: str) -> list[kd.Item]:
    """The items of a hand-label set: a seeded random draw from held-out postings."""
    rng = random.Random(f"kinds-hand-{which}")
    chosen: list[kd.Item] = []
    seen: set[str] = set()
    for lang, source, count, per_doc in HAND_PLAN[which]:
        split = SPLIT_OF_SET[which]
        pool = [
            it
            for it in items
            if it.source == source and it.split == split and (source != "corpus" or it.lang == lang)
        ]
        if which.startswith("frag"):
            taken_keys = {it.key for it in hand_sample(items, split)}
            pool = [it for it in pool if frag_candidate(it) and it.key not in taken_keys]
        rng.shuffle(pool)
        per: Counter[str] = Counter()
        taken = 0
        for it in pool:
            if taken == count:
                break
            if per[it.doc] >= per_doc or it.key in seen:
                continue
            per[it.doc] += 1
            seen.add(it.key)
            chosen.append(it)
            taken += 1
    return chosen


def read_hand_labels(which: str) -> dict[str, tuple[str, bool]]:
    """key -> (kind, fragment) from bench/labels/kinds-<set>.tsv."""
    path = LABELS / f"kinds-{which}.tsv"
    out: dict[str, tuple[str, bool]] = {}
    if not path.exists():
        return out
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _lang, _source, kind, frag = line.split("\t")
        out[key] = (kind, frag == "1")
    return out


def cmd_sample(items: list[kd.Item], which: str) -> None:
    kd.OUT.mkdir(parents=True, exist_ok=True)
    path = kd.OUT / f"label-{which}.tsv"
    with path.open("w", encoding="utf-8") as f:
        for i, it in enumerate(hand_sample(items, which)):
            text = it.text.replace("\t", " ").replace("\n", " ")
            f.write(f"{i}\t{it.key}\t{it.lang}\t{it.source}\t{it.heading}\t{text}\n")
    print(f"wrote {path}")


def cmd_import(items: list[kd.Item], which: str, codes_path: Path) -> None:
    sample = hand_sample(items, which)
    codes: dict[int, str] = {}
    for line in codes_path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            idx, code = line.split()[:2]
            codes[int(idx)] = code
    missing = [i for i in range(len(sample)) if i not in codes]
    if missing:
        sys.exit(f"no code for items {missing[:10]}… ({len(missing)})")
    LABELS.mkdir(parents=True, exist_ok=True)
    rows = ["# key\tlang\tsource\tkind\tfragment  (bench/eval_kinds.py; text never stored)"]
    for i, it in enumerate(sample):
        code = codes[i]
        if code.lower() not in CODE:
            sys.exit(f"item {i}: bad code {code!r}")
        frag = "1" if code.isupper() else "0"
        rows.append(f"{it.key}\t{it.lang}\t{it.source}\t{CODE[code.lower()]}\t{frag}")
    out = LABELS / f"kinds-{which}.tsv"
    out.write_text("\n".join(rows) + "\n", "utf-8")
    print(f"wrote {out}: {len(sample)} labels")


# --------------------------------------------------------------------------- scoring
def confusion(truth: list[str], pred: list[str]) -> dict[str, dict[str, int]]:
    m = {t: dict.fromkeys(KINDS, 0) for t in KINDS}
    for t, p in zip(truth, pred, strict=True):
        m[t][p] += 1
    return m


def report(truth: list[str], pred: list[str]) -> dict[str, object]:
    n = len(truth)
    right = sum(t == p for t, p in zip(truth, pred, strict=True))
    return {
        "n": n,
        "accuracy": round(right / n, 4) if n else None,
        "confusion": confusion(truth, pred),
    }


def predict(model, items: list[kd.Item], with_context: bool) -> list[str]:  # type: ignore[no-untyped-def]
    contexts = [it.context for it in items] if with_context else None
    return model.predict([it.norm for it in items], [it.lang for it in items], contexts)


def legacy_predict(items: list[kd.Item], with_context: bool) -> list[str]:
    from legacy_kinds import legacy_kind

    return [legacy_kind(it, with_context) for it in items]


def weak_eval(model, items: list[kd.Item], legacy: bool) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Test-split clauses under clear-cut headings, per language, without and with heading."""
    groups: dict[str, list[kd.Item]] = defaultdict(list)
    for it in items:
        if it.split == "test" and it.label and it.source in ("zhaopin", "zhaopin-tw", "google"):
            groups[it.lang].append(it)
    out: dict[str, object] = {}
    for lang in ("en", "zh-Hans", "zh-Hant"):
        group = groups[lang]
        truth = [it.label or "" for it in group]
        row: dict[str, object] = {
            "postings": len({it.doc for it in group}),
            "text_only": report(truth, predict(model, group, False)),
            "with_heading": report(truth, predict(model, group, True)),
        }
        if legacy:
            row["legacy_text_only"] = report(truth, legacy_predict(group, False))
            row["legacy_with_heading"] = report(truth, legacy_predict(group, True))
        out[lang] = row
    return out


def hand_eval(model, items: list[kd.Item], which: str, legacy: bool) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from jdsearch.kinds import is_fragment

    labels = read_hand_labels(which)
    if not labels:
        return {"missing": f"bench/labels/kinds-{which}.tsv"}
    by_key = {it.key: it for it in items if it.split == SPLIT_OF_SET[which]}
    found = [(by_key[k], kind, frag) for k, (kind, frag) in labels.items() if k in by_key]
    out: dict[str, object] = {"labels": len(labels), "matched": len(found)}
    for lang in ("en", "zh-Hans", "zh-Hant", "all"):
        group = [f for f in found if lang == "all" or f[0].lang == lang]
        its = [g[0] for g in group]
        truth = [g[1] for g in group]
        typed = predict(model, its, True)
        row: dict[str, object] = {
            "text_only": report(truth, predict(model, its, False)),
            "with_heading": report(truth, typed),
        }
        if legacy:
            row["legacy_text_only"] = report(truth, legacy_predict(its, False))
            row["legacy_with_heading"] = report(truth, legacy_predict(its, True))
        frag_truth = [g[2] for g in group]
        frag_pred = [is_fragment(it.norm, k) for it, k in zip(its, typed, strict=True)]
        tp = sum(t and p for t, p in zip(frag_truth, frag_pred, strict=True))
        row["fragments"] = {
            "labelled": sum(frag_truth),
            "flagged": sum(frag_pred),
            "precision": round(tp / max(sum(frag_pred), 1), 3),
            "recall": round(tp / max(sum(frag_truth), 1), 3),
            "accuracy": round(
                sum(t == p for t, p in zip(frag_truth, frag_pred, strict=True))
                / max(len(group), 1),
                3,
            ),
        }
        out[lang] = row
    corpus = [f for f in found if f[0].source == "corpus"]
    if corpus:
        its = [g[0] for g in corpus]
        out["zh-Hant-sample-corpus-004"] = report([g[1] for g in corpus], predict(model, its, True))
    return out


def speed(model, items: list[kd.Item]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Clauses per second of CPU time for the whole typing step (features, model, field rule,
    fragment flag), best of three; and, for scale, jieba.lcut alone on the same clauses (the
    cost Chinese word features would add)."""
    import jieba

    from jdsearch.kinds import type_clauses

    sample = [it for it in items if it.split == "test"][:20000]
    norms = [it.norm for it in sample]
    langs = [it.lang for it in sample]
    ctx = [it.context for it in sample]
    type_clauses(norms[:200], langs[:200], ctx[:200])  # load the model, jieba's tagger
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        type_clauses(norms, langs, ctx)
        best = min(best, time.process_time() - t0)
    jieba.lcut(norms[0])
    t0 = time.process_time()
    for n in norms:
        jieba.lcut(n)
    jieba_s = time.process_time() - t0
    return {
        "clauses": len(sample),
        "cpu_seconds": round(best, 3),
        "clauses_per_cpu_second": int(len(sample) / best),
        "jieba_lcut_alone_per_cpu_second": int(len(sample) / jieba_s),
    }


def model_file(path: Path | None) -> dict[str, object]:
    """Size on disk and load time (best of five cold reads of the file, wall clock)."""
    from importlib import resources

    from jdsearch.kinds import MODEL_FILE, KindModel

    if path is None:
        with resources.as_file(resources.files("jdsearch.data").joinpath(MODEL_FILE)) as p:
            return model_file(Path(p))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        KindModel.from_file(path)
        best = min(best, time.perf_counter() - t0)
    with np.load(path, allow_pickle=False) as z:
        used = int(z["buckets"].shape[0])
    return {"bytes": path.stat().st_size, "buckets_used": used, "load_seconds": round(best, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("command", nargs="?", default="eval", choices=["eval", "sample", "import"])
    ap.add_argument("codes", nargs="?", type=Path)
    ap.add_argument("--set", default="test", choices=list(HAND_PLAN))
    ap.add_argument("--model", type=Path, help="a model file (default: the packaged one)")
    ap.add_argument("--legacy", action="store_true", help="also score the old cue regexes")
    ap.add_argument("--out", type=Path, default=RESULTS / "kinds.json")
    args = ap.parse_intermixed_args()
    data = kd.data_dir()
    if data is None:
        sys.exit("no ../shared/data (set JDSEARCH_DATA)")
    items = kd.all_items(data)
    if args.command == "sample":
        return cmd_sample(items, args.set)
    if args.command == "import":
        return cmd_import(items, args.set, args.codes)
    from jdsearch.kinds import MODEL_VERSION, KindModel

    model = KindModel.from_file(args.model) if args.model else KindModel.load()
    result = {
        "model_version": MODEL_VERSION if not args.model else str(args.model),
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "held_out_weak_labels": weak_eval(model, items, args.legacy),
        "hand_dev": hand_eval(model, items, "dev", args.legacy),
        "hand_test": hand_eval(model, items, "test", args.legacy),
        "hand_fragments_dev": hand_eval(model, items, "frag-dev", args.legacy),
        "hand_fragments_test": hand_eval(model, items, "frag", args.legacy),
        "speed": speed(model, items),
        "model_file": model_file(args.model),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
