"""The derived stages after the clause table: duplicate groups and themes.

Each stage reads the clauses (and the analyser tokens cached at ingest), computes, and stores
its result in one SQLite transaction together with the clause-table generation it was computed
from and its parameters (``stages`` table). Labels are joined at query time, so no stage ever
rewrites the search index. The caller holds the write lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict

from jdsearch.store import Clause, ClauseStore, JdsearchError

ProgressFn = Callable[[int, int, str], None]


# --------------------------------------------------------------------------- parameters
def dupes_params(
    threshold: float, cross_lingual: bool, cross_lingual_threshold: float, finder: str = ""
) -> str:
    """The user's parameters (what makes stored groups current for a request), plus the
    finder's own (what stored pairs depend on)."""
    return json.dumps(
        {
            "threshold": threshold,
            "cross_lingual": cross_lingual,
            "cross_lingual_threshold": cross_lingual_threshold,
            "finder": finder,
        },
        sort_keys=True,
    )


def user_params(params: str) -> dict[str, object]:
    """The part of stored dupes parameters a request is compared on."""
    try:
        data = json.loads(params)
    except ValueError:
        return {}
    data.pop("finder", None)
    return data


def themes_params(k: int | None, dupes_generation: int) -> str:
    return json.dumps({"k": k, "dupes_generation": dupes_generation}, sort_keys=True)


def stored_params(store: ClauseStore, stage: str) -> dict[str, object] | None:
    st = store.stage(stage)
    if st is None:
        return None
    try:
        return json.loads(st.params)  # type: ignore[no-any-return]
    except ValueError:
        return None


def is_current(store: ClauseStore, stage: str, params: str | None = None) -> bool:
    """The stage was computed from the clause table as it is now (and, if given, with these
    parameters; themes also need the duplicate groups they were computed from)."""
    st = store.stage(stage)
    if st is None or st.generation != store.generation():
        return False
    if params is not None and user_params(st.params) != user_params(params):
        return False
    if stage == "dupes":
        from jdsearch.dupes import RULES_VERSION

        finder = str((stored_params(store, "dupes") or {}).get("finder", ""))
        return finder.endswith(f":r={RULES_VERSION}")  # groups of older rules are behind
    if stage == "themes":
        dupes = store.stage("dupes")
        stored = stored_params(store, "themes") or {}
        return dupes is not None and stored.get("dupes_generation") == dupes.generation
    return True


# --------------------------------------------------------------------------- tokens
def coarse_terms(store: ClauseStore, clauses: Sequence[Clause]) -> list[list[str]]:
    """The analyser's coarse terms of each clause, from the token cache (jieba runs once)."""
    return _tokens(store, clauses)


def _tokens(store: ClauseStore, clauses: Sequence[Clause]) -> list[list[str]]:
    from jdsearch.index import coarse_tokens

    by_norm = coarse_tokens(store, [c.norm for c in clauses])
    return [by_norm.get(c.norm, []) for c in clauses]


# --------------------------------------------------------------------------- duplicates
def _finder(store: ClauseStore, threshold: float, cross_lingual: bool, cl_threshold: float):  # type: ignore[no-untyped-def]
    from jdsearch.dupes import DuplicateFinder

    return DuplicateFinder(
        threshold,
        cross_lingual=cross_lingual,
        cross_lingual_threshold=cl_threshold,
        terms_of=lambda cs: _tokens(store, cs),
    )


def _save_finder(store: ClauseStore, finder, generation: int, params: str) -> None:  # type: ignore[no-untyped-def]
    from jdsearch.curate import finish_groups

    groups = finish_groups(store, finder.groups_)  # stable ids, then the human decisions
    rows = [
        (m.clause_id, g.group_id, g.canonical_id, m.similarity, m.relation, rank, m.value)
        for g in groups
        for rank, m in enumerate(g.members)
    ]
    templates = [(g.group_id, g.template) for g in groups]
    store.save_groups(rows, generation, params, edges=finder.edges_, templates=templates)


def compute_dupes(
    store: ClauseStore, threshold: float, cross_lingual: bool, cross_lingual_threshold: float
) -> None:
    """All duplicate groups from scratch, stored with the generation they describe."""
    gen = store.generation()
    finder = _finder(store, threshold, cross_lingual, cross_lingual_threshold)
    finder.fit(list(store.clauses()))
    params = dupes_params(threshold, cross_lingual, cross_lingual_threshold, finder.params)
    _save_finder(store, finder, gen, params)


def refresh_dupes(
    store: ClauseStore, added_docs: set[str] | None = None, removed_docs: set[str] | None = None
) -> str:
    """Bring stored groups up to the clause table, with their own parameters. When the ingest
    that just ran says which documents it added, only pairs with a new clause are verified
    (the stored verified pairs are reused: exactly the groups a full run gives); otherwise —
    changes of unknown origin, such as a killed earlier run's — from scratch."""
    params = stored_params(store, "dupes")
    if params is None:
        return "not computed"
    if is_current(store, "dupes"):
        return "current"
    threshold = float(params["threshold"])  # type: ignore[arg-type]
    cross = bool(params["cross_lingual"])
    cl = float(params["cross_lingual_threshold"])  # type: ignore[arg-type]
    old = store.stage("dupes")
    finder = _finder(store, threshold, cross, cl)
    incremental = (
        added_docs is not None
        and old is not None
        and old.generation == store.generation() - 1  # only this ingest's changes are missing
        and params.get("finder") == finder.params  # the stored pairs were verified alike
    )
    clauses = list(store.clauses())
    if incremental:
        new_ids = {c.clause_id for c in clauses if c.doc_id in (added_docs or ())}
        finder.update(clauses, new_ids, store.dupe_edges())
    else:
        finder.fit(clauses)
    _save_finder(
        store, finder, store.generation(), dupes_params(threshold, cross, cl, finder.params)
    )
    return "updated" if incremental else "recomputed"


def load_groups(store: ClauseStore) -> list:  # list[Group]
    from jdsearch.dupes import Group, Member

    templates = store.group_templates()
    groups: dict[str, Group] = {}
    for cid, gid, canon, sim, rel, _rank, value in store.member_rows():
        g = groups.setdefault(gid, Group(gid, canon, template=templates.get(gid, "")))
        g.members.append(Member(cid, sim, rel, value))
    return sorted(groups.values(), key=lambda g: (-len(g.members), g.group_id))


# --------------------------------------------------------------------------- themes
def compute_themes(store: ClauseStore, k: int | None) -> None:
    """Themes from scratch (needs current duplicate groups), stored with their generation.
    Features are each clause's own coarse analyser terms (from the token cache); themes.py
    damps the generic ones and adds concept tokens itself when the corpus mixes languages."""
    from jdsearch.themes import build_themes, group_map

    dupes = store.stage("dupes")
    if dupes is None:
        raise JdsearchError("themes need duplicate groups first (run: jdsearch dupes)")
    gen = store.generation()
    clauses = list(store.clauses())
    result = build_themes(
        clauses, group_map(store.group_rows()), lambda cs: coarse_terms(store, cs), k=k
    )
    from jdsearch.curate import finish_themes

    finish_themes(store, result)  # stable ids, then the human decisions
    model = {
        "themes": [{**asdict(t), "members": []} for t in result.themes],
        "areas": [asdict(a) for a in result.areas],
        "params": result.params,
        "unthemed": {kind: len(ids) for kind, ids in result.unthemed.items()},
        # which clauses the fit left out: a later small change carries them as they are
        "unthemed_ids": {kind: sorted(ids) for kind, ids in result.unthemed.items()},
    }
    store.save_themes(
        result.assignment,
        json.dumps(model, ensure_ascii=False),
        gen,
        themes_params(k, dupes.generation),
    )


def refresh_themes(store: ClauseStore) -> str:
    """Recompute stored themes after a change, with the k they were computed with."""
    params = stored_params(store, "themes")
    if params is None:
        return "not computed"
    if is_current(store, "themes"):
        return "current"
    from jdsearch.stable import carry_themes

    if carry_themes(store):  # a small change: new clauses join existing themes (stable ids)
        return "updated"
    k = params.get("k")
    compute_themes(store, int(k) if isinstance(k, int) else None)
    return "recomputed"


def load_themes(store: ClauseStore) -> tuple[list, list]:  # (list[Theme], list[Area])
    from jdsearch.themes import Area, Theme

    raw = store.get_meta("themes_model")
    if not raw:
        return [], []
    model = json.loads(raw)
    members: dict[str, list[str]] = {}
    for cid, tid in sorted(store.theme_assignment().items()):
        members.setdefault(tid, []).append(cid)
    themes = []
    for t in model["themes"]:
        t["members"] = sorted(
            members.get(t["theme_id"], []), key=lambda cid: (cid != t["canonical_id"], cid)
        )
        themes.append(Theme(**t))
    return themes, [Area(**a) for a in model["areas"]]
