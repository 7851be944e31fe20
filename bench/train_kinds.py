"""Train the clause-kind model -> jdsearch/data/kinds_model.npz. Run by hand (a few minutes).

    python bench/train_kinds.py                 # fit, tune the context bonus on dev, write model
    python bench/train_kinds.py --C 2 --dry-run # try settings, write nothing

Reproducible: the data split is a hash of each posting's key (bench/kinds_data.py), the solver
is deterministic, and every setting is recorded in the model's metadata and in
bench/results/kinds-train.json.

Training data (train split only, weak labels, text *without* its heading):
zhaopin clauses under clear-cut employer headings, their s2twp rewrites, Google's columns,
O*NET tasks, the sample corpus 000-003 and the hand-written English `other` lines. Identical
matching forms are merged (majority label), so a boilerplate line repeated by one employer in
hundreds of postings counts once. English is weighted up to a fixed share of the total (it is a
few thousand clauses against 200,000 Chinese ones), and English `other` to a fixed share of
English.

Label cleaning (--clean, default 0.1): two models, each fitted on half of the clauses, score
the other half; heading-derived labels they find implausible (p < 0.1) are dropped before the
final fit.

Selection on dev only: C and the English shares on held-out weak labels (text only); the
context bonus (one number per heading category) on the dev hand labels, since on weak labels
the heading *is* the label. The test split and the test hand labels are never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kinds_data as kd

from jdsearch.kinds import (
    CONTEXTS,
    FEATURES_VERSION,
    HASH_BITS,
    KINDS,
    LANG_GROUPS,
    KindModel,
    hashed_features,
    lang_group,
)

MODEL_PATH = kd.ROOT / "jdsearch" / "data" / "kinds_model.npz"
RESULTS = kd.ROOT / "bench" / "results"
BONUS_GRID = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def merged_training_rows(items: list[kd.Item]) -> list[tuple[str, str, str, bool]]:
    """(norm, lang, label, trusted) of the train split, identical (norm, lang) merged by majority.

    trusted: the label comes from a labelled source (Google's columns, O*NET, the seed lines)
    rather than from a posting's heading, so label cleaning leaves it alone.
    """
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    trusted: set[tuple[str, str]] = set()
    for it in items:
        if it.split == "train" and it.label and it.norm.strip():
            key = (it.norm, it.lang)
            votes[key][it.label] += 1
            if it.source in ("google", "onet", "seed"):
                trusted.add(key)
    rows = []
    for (norm, lang), c in votes.items():
        (top, n), *rest = [*c.most_common(2), ("", 0)]
        if rest[0][1] == n:  # a tie says nothing
            continue
        rows.append((norm, lang, top, (norm, lang) in trusted))
    return rows


def clean_labels(rows, X, y, w, C: float, threshold: float):  # type: ignore[no-untyped-def]
    """Cross-fitted label cleaning (as in confident learning): a model fitted on one half of
    the postings' clauses scores the other half; a heading-derived label the model gives less
    than ``threshold`` probability is dropped (a contact line under 任职要求, a requirement
    under 岗位职责). Returns the mask of rows kept."""
    half = np.array([zlib.crc32(r[0].encode()) & 1 for r in rows])
    proba = np.zeros(len(rows))
    for h in (0, 1):
        fit_on, score = half != h, half == h
        clf = _lr(C).fit(X[fit_on], y[fit_on], sample_weight=w[fit_on])
        proba[score] = clf.predict_proba(X[score])[np.arange(score.sum()), y[score]]
    trusted = np.array([r[3] for r in rows])
    return trusted | (proba >= threshold)


def weights_for(rows: list[tuple[str, str, str]], en_share: float, en_other: float) -> np.ndarray:
    """Sample weights: English = en_share of the total, English `other` = en_other of English."""
    lang = np.array(["en" if r[1] == "en" else "zh" for r in rows])
    label = np.array([r[2] for r in rows])
    w = np.ones(len(rows))
    zh_total = float((lang == "zh").sum())
    en_total = zh_total * en_share / (1 - en_share)
    en_oth = (lang == "en") & (label == "other")
    en_rest = (lang == "en") & ~en_oth
    w[en_oth] = en_total * en_other / max(en_oth.sum(), 1)
    w[en_rest] = en_total * (1 - en_other) / max(en_rest.sum(), 1)
    return w


def matrix(rows: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    """Binary hashed features scaled by 1/sqrt(count), exactly as KindModel.text_scores."""
    from scipy.sparse import csr_matrix, vstack

    parts = []
    for start in range(0, len(rows), 20000):
        batch = rows[start : start + 20000]
        r, c, counts = hashed_features([b[0] for b in batch], [b[1] for b in batch])
        vals = (1.0 / np.sqrt(counts[r])).astype(np.float32)
        parts.append(csr_matrix((vals, (r, c)), shape=(len(batch), 1 << HASH_BITS)))
    return vstack(parts).tocsr()


def _lr(C: float):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000, tol=1e-4)


def fit(rows, C: float, en_share: float, en_other: float, clean: float):  # type: ignore[no-untyped-def]
    """The classifier, after label cleaning when ``clean`` > 0; and what cleaning dropped."""
    X = matrix(rows)
    y = np.array([KINDS.index(r[2]) for r in rows])
    w = weights_for(rows, en_share, en_other)
    dropped: dict[str, int] = {}
    if clean > 0:
        keep = clean_labels(rows, X, y, w, C, clean)
        dropped = dict(Counter(r[2] for r, k in zip(rows, keep, strict=True) if not k))
        X, y = X[keep], y[keep]
        w = weights_for([r for r, k in zip(rows, keep, strict=True) if k], en_share, en_other)
    return _lr(C).fit(X, y, sample_weight=w), dropped


def prune(coef: np.ndarray, keep: int) -> np.ndarray:
    """The (buckets, kinds) table with only the ``keep`` buckets of largest weight span."""
    span = coef.max(axis=0) - coef.min(axis=0)
    weights = np.zeros_like(coef.T)
    top = np.argsort(-span)[:keep]
    weights[top] = coef.T[top]
    return weights


def weak_dev(model: KindModel, items: list[kd.Item]) -> dict[str, float]:
    """Dev-split accuracy on weak labels from the wording alone, per language."""
    out = {}
    for lang in ("en", "zh-Hans", "zh-Hant"):
        group = [
            it
            for it in items
            if it.split == "dev"
            and it.label
            and it.lang == lang
            and it.source in ("zhaopin", "zhaopin-tw", "google")
        ]
        pred = model.predict([it.norm for it in group], [it.lang for it in group])
        out[lang] = round(
            sum(p == it.label for p, it in zip(pred, group, strict=True)) / len(group), 4
        )
    return out


def hand_dev(items: list[kd.Item]) -> list[tuple[kd.Item, str]]:
    """Every hand label of the dev split: the random sample and the fragment candidates."""
    from eval_kinds import read_hand_labels

    labels = {**read_hand_labels("frag-dev"), **read_hand_labels("dev")}
    by_key = {it.key: it for it in items if it.split == "dev"}
    return [(by_key[k], kind) for k, (kind, _) in labels.items() if k in by_key]


def _nll(z: np.ndarray, truth: np.ndarray) -> float:
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(truth)), truth].mean())


def _fit_one(base: np.ndarray, truth: np.ndarray, k: int) -> dict[str, object]:
    """The bonus for kind ``k`` with the least log-loss over BONUS_GRID."""
    grid = []
    for b in BONUS_GRID:
        z = base.copy()
        z[:, k] += b
        acc = float((z.argmax(axis=1) == truth).mean())
        grid.append((round(_nll(z, truth), 4), b, round(acc, 4)))
    nll, b, acc = min(grid)
    return {"clauses": len(truth), "bonus": b, "nll": nll, "accuracy": acc, "grid": grid}


def tune_bonus(model: KindModel, items: list[kd.Item]) -> tuple[np.ndarray, dict]:
    """The heading-context bonus: for each language group (Chinese, English) and each
    explicit context (the heading right above says duty / requirement / other), one number
    added to that kind's logit.

    Fitted on the dev *hand* labels (on weak labels the heading is the label itself), by
    log-loss: on a hundred clauses accuracy is flat over a wide range, the likelihood still
    says how far to trust the heading. A heading can only raise its own kind (bonus >= 0).
    Chinese takes the bonus fitted on both groups together, English its own (where it has 20
    labelled clauses): in 5-fold cross-validation on the dev labels (by posting) a
    Chinese-only fit scored the same as the pooled one, an English-only fit 0.7 points above
    it (0.986 vs 0.979). Inherited contexts (~requirement: an address under 工作地址 after
    任职要求, or a sub-list under 渠道管理 inside 岗位职责) get none: what they hold differs
    from corpus to corpus.
    """
    prior = np.zeros((len(LANG_GROUPS), len(CONTEXTS), len(KINDS)), dtype=np.float32)
    pairs = hand_dev(items)
    its = [p[0] for p in pairs]
    base = model.text_scores([it.norm for it in its], [it.lang for it in its])
    truth = np.array([KINDS.index(p[1]) for p in pairs])
    ctx = np.array([it.context for it in its])
    group = np.array([lang_group(it.lang) for it in its])
    chosen: dict[str, object] = {}
    for c, name in enumerate(CONTEXTS):
        if name not in KINDS:
            continue
        k = KINDS.index(name)
        rows = ctx == name
        pooled = _fit_one(base[rows], truth[rows], k) if rows.sum() >= 20 else None
        for g, gname in enumerate(LANG_GROUPS):
            sub = rows & (group == g)
            own = gname == "en" and sub.sum() >= 20
            fit = _fit_one(base[sub], truth[sub], k) if own else pooled
            if fit is not None:
                prior[g, c, k] = fit["bonus"]  # type: ignore[assignment]
            chosen[f"{gname}:{name}"] = fit or {"clauses": int(sub.sum()), "bonus": 0.0}
    return prior, chosen


def ensure_loadable_model(path: Path) -> None:
    """Segmenting the postings types their clauses, so a model must load (the items do not
    depend on the kinds). After a feature change the old file no longer fits: start from an
    all-zero model in its place."""
    from jdsearch.kinds import _packaged_model

    try:
        KindModel.from_file(path)
    except (OSError, ValueError) as exc:
        print(f"packaged model unusable ({exc}); writing an all-zero one to segment with")
        zero = np.zeros((1 << HASH_BITS, len(KINDS)))
        KindModel(
            zero,
            np.zeros(len(KINDS)),
            np.zeros((len(CONTEXTS), len(KINDS))),
            {"features": FEATURES_VERSION, "kinds": list(KINDS), "placeholder": True},
        ).save(path)
        _packaged_model.cache_clear()


def refit_bonus(path: Path, report_path: Path, items: list[kd.Item]) -> None:
    """Re-fit only the context bonus of a model file (the text model is kept)."""
    model = KindModel.from_file(path, keep_prior=False)
    model.prior, chosen = tune_bonus(model, items)
    model.meta["contexts"] = list(CONTEXTS)
    model.meta.setdefault("report", {})["context_bonus"] = chosen  # type: ignore[union-attr]
    print(json.dumps(chosen, indent=1, ensure_ascii=False))
    model.save(path)
    if report_path.exists():
        meta = json.loads(report_path.read_text("utf-8"))
        meta["contexts"] = list(CONTEXTS)
        meta.setdefault("report", {})["context_bonus"] = chosen
        report_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--C", type=float, default=4.0)
    ap.add_argument("--keep", type=int, default=150_000, help="feature buckets kept in the file")
    ap.add_argument("--en-share", type=float, default=0.25)
    ap.add_argument("--en-other", type=float, default=0.08)
    ap.add_argument("--clean", type=float, default=0.0, help="label-cleaning threshold (0: off)")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--report", type=Path, default=RESULTS / "kinds-train.json")
    ap.add_argument(
        "--bonus-only", action="store_true", help="keep the model in --out, re-fit its bonus"
    )
    args = ap.parse_args()
    data = kd.data_dir()
    if data is None:
        sys.exit("no ../shared/data (set JDSEARCH_DATA)")
    ensure_loadable_model(MODEL_PATH)
    items = kd.all_items(data)
    if args.bonus_only:
        return refit_bonus(args.out, args.report, items)
    rows = merged_training_rows(items)
    t0 = time.perf_counter()
    clf, dropped = fit(rows, args.C, args.en_share, args.en_other, args.clean)
    fit_s = time.perf_counter() - t0
    meta = {
        "features": FEATURES_VERSION,
        "kinds": list(KINDS),
        "contexts": list(CONTEXTS),
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "dry_run", "report")},
        "train_rows": len(rows),
        "train_rows_by": dict(Counter(f"{'en' if r[1] == 'en' else 'zh'}:{r[2]}" for r in rows)),
    }
    no_prior = np.zeros((len(LANG_GROUPS), len(CONTEXTS), len(KINDS)), dtype=np.float32)
    full = KindModel(clf.coef_.T, clf.intercept_, no_prior, meta)
    model = KindModel(prune(clf.coef_, args.keep), clf.intercept_, no_prior, meta)
    report: dict[str, object] = {
        "buckets_used": int((np.abs(clf.coef_).max(axis=0) > 0).sum()),
        "buckets_kept": args.keep,
        "dev_weak_text_only_full": weak_dev(full, items),
        "dev_weak_text_only_pruned": weak_dev(model, items),
        "cleaning_dropped": dropped,
        "fit_seconds": round(fit_s, 1),
        "solver_iterations": int(clf.n_iter_[0]),
    }
    model.prior, report["context_bonus"] = tune_bonus(model, items)
    meta["report"] = report
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.dry_run:
        return
    model.save(args.out)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
