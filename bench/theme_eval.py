"""Both theme systems on the same real clauses, and the measures that compare them.

- ``jdsearch``: `jdsearch.themes.build_themes` on the clauses, tokens from the index's analyser
  cache (as the pipeline has them), exact duplicates grouped (as duplicate groups would be).
- ``baseline``: what a user wires by hand: ``TfidfVectorizer(tokenizer=jieba.lcut)`` +
  ``MiniBatchKMeans`` at the SAME k (jdsearch's number of themes), on the same unique texts;
  its labels are the top centroid terms (punctuation-only tokens skipped, a kindness to it) and
  its canonical is the member closest to the centroid.
- ``npmi``: NPMI of each theme's top label terms over the postings (a term is in a posting when
  it occurs in its normalised text); ``machine_intruder``: a neutral reader (character-bigram
  TF-IDF, neither system's features) picks the clause least like the other five.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from jdsearch.store import Clause

_PUNCT = re.compile(r"^[\W_]+$")


@dataclass
class SysTheme:
    """One theme of either system, as the judges see it."""

    key: str
    members: list[str]  # unique-text unit clause ids
    label: list[str]  # label terms, best first
    label_text: str  # the label as the system shows it
    canonical: str  # clause id
    size: int = 0


@dataclass
class System:
    name: str
    themes: list[SysTheme]
    unthemed: int = 0  # units left out of every theme
    units: int = 0
    seconds: float = 0.0
    params: dict[str, object] = field(default_factory=dict)


def unique_units(clauses: list[Clause]) -> tuple[list[Clause], dict[str, list[str]]]:
    """One unit per normalised text; groups: first clause id -> all ids with that text."""
    by_norm: dict[str, list[Clause]] = defaultdict(list)
    for c in clauses:
        by_norm[c.norm].append(c)
    units = [cs[0] for cs in by_norm.values()]
    groups = {cs[0].clause_id: [c.clause_id for c in cs] for cs in by_norm.values() if len(cs) > 1}
    return units, groups


def run_jdsearch(clauses: list[Clause], tokens: dict[str, list[str]], **opts: object) -> System:
    from jdsearch.themes import build_themes

    units, groups = unique_units(clauses)
    unit_ids = {u.clause_id for u in units}
    t0 = time.perf_counter()
    r = build_themes(clauses, groups, lambda cs: [tokens[c.clause_id] for c in cs], **opts)
    secs = time.perf_counter() - t0
    themes = [
        SysTheme(
            t.theme_id,
            [m for m in t.members if m in unit_ids],
            t.label_terms,
            f"{t.label_zh} | {t.label_en}",
            t.canonical_id,
            t.size,
        )
        for t in r.themes
    ]
    unthemed = sum(1 for ids in r.unthemed.values() for m in ids if m in unit_ids)
    return System("jdsearch", themes, unthemed, len(units), round(secs, 1), dict(r.params))


def run_baseline(clauses: list[Clause], k: int, random_state: int = 0) -> System:
    import jieba
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    units, _ = unique_units(clauses)
    texts = [u.text for u in units]
    t0 = time.perf_counter()
    vec = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None)
    x = vec.fit_transform(texts)
    km = MiniBatchKMeans(k, random_state=random_state).fit(x)
    secs = time.perf_counter() - t0
    vocab = vec.get_feature_names_out()
    themes = []
    for t in range(k):
        idx = np.nonzero(km.labels_ == t)[0]
        if not len(idx):
            continue
        center = km.cluster_centers_[t]
        label = [str(vocab[j]) for j in np.argsort(-center)[:40] if not _PUNCT.match(vocab[j])][:5]
        sims = np.asarray(x[idx] @ center).ravel()
        canon = units[idx[int(np.argmax(sims))]].clause_id
        themes.append(
            SysTheme(
                f"B{t}", [units[i].clause_id for i in idx], label, " / ".join(label[:3]), canon
            )
        )
    return System("baseline", themes, 0, len(units), round(secs, 1), {"k": k})


# --------------------------------------------------------------------------- NPMI
def posting_texts(clauses: list[Clause]) -> dict[str, str]:
    """doc id -> the posting's clauses' normalised text joined (the NPMI reference corpus)."""
    out: dict[str, list[str]] = defaultdict(list)
    for c in clauses:
        out[c.doc_id].append(c.norm)
    return {d: "\n".join(ts) for d, ts in out.items()}


def npmi(systems: list[System], postings: dict[str, str], top: int = 5) -> dict[str, object]:
    """Mean NPMI over each theme's label-term pairs (co-occurrence in postings)."""
    from jdsearch.normalize import default_normalizer

    norm = default_normalizer()
    terms = {norm.normalize(w) for s in systems for t in s.themes for w in t.label[:top]}
    texts = list(postings.values())
    n = len(texts)
    present: dict[str, set[int]] = {}
    for w in terms:
        if w.isascii():
            pat = re.compile(r"\b" + re.escape(w) + r"\b")
            present[w] = {i for i, t in enumerate(texts) if pat.search(t)}
        else:
            present[w] = {i for i, t in enumerate(texts) if w in t}
    out: dict[str, object] = {}
    for s in systems:
        scores = []
        for t in s.themes:
            ws = list(dict.fromkeys(norm.normalize(w) for w in t.label[:top]))
            pairs = []
            for i, a in enumerate(ws):
                for b in ws[i + 1 :]:
                    pairs.append(_npmi(present[a], present[b], n))
            if pairs:
                scores.append(sum(pairs) / len(pairs))
        out[s.name] = {"themes": len(scores), "mean_npmi": round(float(np.mean(scores)), 4)}
    return out


def _npmi(a: set[int], b: set[int], n: int) -> float:
    joint = len(a & b)
    if not joint:
        return -1.0
    p_ab, p_a, p_b = joint / n, len(a) / n, len(b) / n
    if p_ab >= 1.0:
        return 1.0
    return math.log(p_ab / (p_a * p_b)) / -math.log(p_ab)


# --------------------------------------------------------------------------- intruders
@dataclass
class Item:
    system: str
    theme: str
    clauses: list[str]  # six clause ids, shuffled
    intruder: int  # index of the intruder in ``clauses``


def intruder_items(system: System, n_themes: int, rng: random.Random) -> list[Item]:
    """For ``n_themes`` random themes with >= 5 distinct members: five members plus one
    member of another random theme, shuffled."""
    eligible = [t for t in system.themes if len(t.members) >= 5]
    chosen = rng.sample(eligible, min(n_themes, len(eligible)))
    items = []
    for t in chosen:
        other = rng.choice([o for o in system.themes if o.key != t.key and o.members])
        members = rng.sample(t.members, 5)
        intruder = rng.choice(other.members)
        six = [*members, intruder]
        rng.shuffle(six)
        items.append(Item(system.name, t.key, six, six.index(intruder)))
    return items


def machine_intruder(items: list[Item], by_id: dict[str, Clause]) -> dict[str, float]:
    """Accuracy of a neutral reader per system: character-bigram TF-IDF (fit on the items'
    own texts), the clause with the lowest mean cosine to the other five is the intruder."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = sorted({by_id[c].norm for it in items for c in it.clauses})
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 2)).fit(texts)
    hits: dict[str, list[int]] = defaultdict(list)
    for it in items:
        x = vec.transform([by_id[c].norm for c in it.clauses])
        sim = (x @ x.T).toarray()
        np.fill_diagonal(sim, 0.0)
        guess = int(np.argmin(sim.sum(axis=1)))
        hits[it.system].append(int(guess == it.intruder))
    return {s: round(sum(h) / len(h), 4) for s, h in sorted(hits.items())}
