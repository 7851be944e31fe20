"""Stable ids: a recomputed stage keeps the ids of the groups and themes it found again.

A new run's sets (duplicate groups, themes, areas) are matched one-to-one to the previous run's
by membership overlap: the Jaccard index of their clause ids, maximised over all pairings with
the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``). A new set keeps the old id
when its partner's Jaccard is at least :data:`KEEP_JACCARD`; otherwise it gets a new id, never
one used before (so a ``theme:`` filter, a SKOS URI or a decision never silently points at
other clauses).

Why 0.5: the sets of one run are disjoint (a clause is in one group, one theme), and
``J(A, B) >= 0.5`` means more than half of ``A ∪ B`` is shared, so ``A`` can have at most one
such partner in the other run and the match is unambiguous whatever the pairing algorithm.
Below it a set has lost or gained as many members as it kept: another set, not the same one
changed. The Hungarian step only matters for the weaker pairs under that bar (reported as
``overlap`` in :func:`match`), and keeps the matching optimal if the bar is changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence, Set

import numpy as np

KEEP_JACCARD = 0.5


def memberships(store) -> tuple[dict[str, set[str]], dict[str, set[str]]]:  # type: ignore[no-untyped-def]
    """(theme id -> clause ids, group id -> clause ids) as stored: what ``match`` compares."""
    themes: dict[str, set[str]] = {}
    for cid, tid in store.theme_assignment().items():
        themes.setdefault(tid, set()).add(cid)
    groups: dict[str, set[str]] = {}
    for cid, gid, *_ in store.group_rows():
        groups.setdefault(gid, set()).add(cid)
    return themes, groups


def jaccard(a: Set[str], b: Set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def match(
    old: Mapping[str, Set[str]], new: Sequence[Set[str]], threshold: float = KEEP_JACCARD
) -> list[str | None]:
    """For each new set, the old id it keeps (Jaccard >= ``threshold`` with the old set it is
    paired with), else None. Only sets that share a member are compared: the overlap graph is
    split into connected components and each is paired with the Hungarian algorithm, so
    tens of thousands of groups cost what their overlaps cost, not n²."""
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    old_ids = list(old)
    owner: dict[str, list[int]] = defaultdict(list)
    for j, oid in enumerate(old_ids):
        for m in old[oid]:
            owner[m].append(j)
    pairs: dict[tuple[int, int], float] = {}
    for i, s in enumerate(new):
        for j in {j for m in s for j in owner.get(m, ())}:
            pairs[(i, j)] = jaccard(s, old[old_ids[j]])
    out: list[str | None] = [None] * len(new)
    if not pairs:
        return out
    n_new, n_old = len(new), len(old_ids)
    rows = np.array([i for i, _ in pairs], dtype=np.int64)
    cols = np.array([n_new + j for _, j in pairs], dtype=np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_new + n_old,) * 2)
    _, comp = connected_components(graph, directed=False)
    members: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i, j in pairs:
        members[int(comp[i])][0].append(i)
        members[int(comp[i])][1].append(j)
    for news, olds in members.values():
        news, olds = sorted(set(news)), sorted(set(olds))
        score = np.array([[pairs.get((i, j), 0.0) for j in olds] for i in news])
        r, c = linear_sum_assignment(score, maximize=True)
        for a, b in zip(r.tolist(), c.tolist(), strict=True):
            if score[a, b] >= threshold:
                out[news[a]] = old_ids[olds[b]]
    return out


def assign(
    old: Mapping[str, Set[str]],
    new: Sequence[tuple[str, Set[str]]],
    mint: Callable[[str], str],
    threshold: float = KEEP_JACCARD,
) -> dict[str, str]:
    """new run's id -> stable id: the matched old id, else ``mint(new_id)`` (a fresh id)."""
    kept = match(old, [s for _, s in new], threshold)
    return {nid: (k if k is not None else mint(nid)) for (nid, _), k in zip(new, kept, strict=True)}


def overlap_report(old: Mapping[str, Set[str]], new: Mapping[str, Set[str]]) -> dict[str, float]:
    """How many old ids survive with their membership: share kept at all, and kept with a
    Jaccard of at least 0.8 (the issue's yardstick)."""
    if not old:
        return {"old": 0, "kept": 1.0, "kept_0_8": 1.0}
    kept = [oid for oid in old if oid in new]
    strong = [oid for oid in kept if jaccard(old[oid], new[oid]) >= 0.8]
    return {
        "old": len(old),
        "kept": len(kept) / len(old),
        "kept_0_8": len(strong) / len(old),
    }


# --------------------------------------------------------------------------- themes carried over
CARRY_SHARE = 0.10


def carry_themes(store, k: int | None = None) -> bool:  # type: ignore[no-untyped-def]
    """Bring stored themes up to a small change of the clauses without refitting: clauses that
    left are dropped, new ones join the theme of a duplicate they have, else the nearest theme
    of their kind (cosine to the theme's TF-IDF centroid over the clustering tokens), as
    BERTopic's ``transform`` places new documents. k-means refitted on a corpus with one more
    posting moves most boundaries (measured: 36% of themes kept their membership on the sample
    corpus), so a refit is kept for large changes — more than ``CARRY_SHARE`` of the themed
    clauses added or removed, where the old themes no longer describe the corpus — and for
    ``jdsearch themes --k/--recompute``. Returns False when it did not apply (the caller then
    recomputes). The caller holds the write lock."""
    import json
    from dataclasses import asdict
    from types import SimpleNamespace

    from jdsearch import stages
    from jdsearch.curate import finish_themes, unthemed

    st, dupes = store.stage("themes"), store.stage("dupes")
    params = stages.stored_params(store, "themes") or {}
    if st is None or dupes is None or (k is not None and params.get("k") != k):
        return False
    old = store.theme_assignment()
    themes, areas = stages.load_themes(store)
    if not themes:
        return False
    clauses = [c for c in store.clauses() if c.kind in ("duty", "requirement")]
    by_id = {c.clause_id: c for c in clauses}
    kind_of = {t.theme_id: t.kind for t in themes}
    kept = {
        cid: tid for cid, tid in old.items() if cid in by_id and by_id[cid].kind == kind_of.get(tid)
    }
    from jdsearch.themes import is_fragment

    model = json.loads(store.get_meta("themes_model") or "{}")
    left_out = {cid for ids in model.get("unthemed_ids", {}).values() for cid in ids}
    skip = unthemed(store, store.dir) | left_out  # dropped by a person or by the fit: not new
    added = [
        c
        for c in clauses
        if c.clause_id not in kept and c.clause_id not in skip and not is_fragment(c)
    ]
    if len(old) - len(kept) + len(added) > CARRY_SHARE * max(len(clauses), 1):
        return False
    assignment = dict(kept)
    _place(store, clauses, added, assignment, themes)
    result = SimpleNamespace(themes=themes, areas=areas, assignment=assignment)
    _describe(store, result, by_id)
    finish_themes(store, result)
    model["themes"] = [{**asdict(t), "members": []} for t in result.themes]
    model["unthemed_ids"] = {
        kind: [cid for cid in ids if cid in by_id]
        for kind, ids in model.get("unthemed_ids", {}).items()
    }
    model["areas"] = [asdict(a) for a in result.areas]
    store.save_themes(
        result.assignment,
        json.dumps(model, ensure_ascii=False),
        store.generation(),
        stages.themes_params(
            params.get("k") if isinstance(params.get("k"), int) else None, dupes.generation
        ),
    )
    return True


def _place(store, clauses, added, assignment, themes) -> None:  # type: ignore[no-untyped-def]
    """New clauses into existing themes: a duplicate's theme first, else the nearest centroid."""
    if not added:
        return
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    from jdsearch import stages

    group_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for cid, gid, *_ in store.group_rows():
        group_of[cid] = gid
        members.setdefault(gid, []).append(cid)
    by_id = {c.clause_id: c for c in clauses}
    rest = []
    for c in added:
        mates = [m for m in members.get(group_of.get(c.clause_id, ""), []) if m in assignment]
        mates = [m for m in mates if by_id[m].kind == c.kind]
        if mates:
            assignment[c.clause_id] = assignment[mates[0]]
        else:
            rest.append(c)
    if not rest:
        return
    from jdsearch.themes import own_words

    tokens = [own_words(t) for t in stages.coarse_terms(store, clauses)]  # the fit's own words
    vec = TfidfVectorizer(analyzer=lambda toks: toks, min_df=1, sublinear_tf=True)
    x = normalize(vec.fit_transform(tokens))
    row = {c.clause_id: i for i, c in enumerate(clauses)}
    tids = [t.theme_id for t in themes]
    cents = []
    for tid in tids:
        idx = [row[cid] for cid, t in assignment.items() if t == tid and cid in row]
        cents.append(np.asarray(x[idx].mean(axis=0)).ravel() if idx else np.zeros(x.shape[1]))
    cent = normalize(np.vstack(cents))
    kinds = np.array([t.kind for t in themes])
    for c in rest:
        sims = np.asarray(x[row[c.clause_id]] @ cent.T).ravel()
        sims[kinds != c.kind] = -1.0
        if sims.max() > -1.0:
            assignment[c.clause_id] = tids[int(np.argmax(sims))]


def _describe(store, result, by_id) -> None:  # type: ignore[no-untyped-def]
    """Sizes, languages and document counts of the themes after clauses moved."""
    from collections import Counter

    members: dict[str, list[str]] = {}
    for cid, tid in sorted(result.assignment.items()):
        members.setdefault(tid, []).append(cid)
    for t in result.themes:
        ms = members.get(t.theme_id, [])
        t.members = sorted(ms, key=lambda cid: (cid != t.canonical_id, cid))
        t.size = len(ms)
        cs = [by_id[m] for m in ms if m in by_id]
        t.langs = dict(sorted(Counter(c.lang for c in cs).items()))
        t.documents = len({c.doc_id for c in cs})
        if ms and t.canonical_id not in ms:
            t.canonical_id, t.canonical_text = ms[0], by_id[ms[0]].text
