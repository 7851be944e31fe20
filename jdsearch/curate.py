"""Human decisions, stored as data and applied after every computation (a person beats the model).

The decisions live in ``decisions.json`` in the index folder: one JSON document, sorted keys,
one entry per decision, each with ``when``, ``who`` ($JDSEARCH_USER, else $USER) and an
optional ``reason`` — readable, diffable, fit for version control and for sharing. A decision
names clauses by their document and normalised text (``{"doc", "norm", "text"}``), never by a
position, so it survives edits elsewhere in the file and re-ingests; themes and groups by their
stable ids (:mod:`jdsearch.stable`), with a member clause as the anchor when an id is gone.

Decision types (``type``):

- ``kind``: a clause's kind (duty / requirement / other) overrides the segmenter's.
- ``group-accept`` / ``group-reject`` / ``group-split`` / ``group-move`` / ``group-canonical``:
  pin a group's members together; "not duplicates" (no two of the members share a group);
  split members off into their own group; move one clause into another group; choose the
  canonical wording.
- ``theme-rename`` (labels en / zh-Hans / zh-Hant), ``theme-merge``, ``theme-split``,
  ``theme-canonical``, ``theme-drop`` ("not a theme": its clauses are left unthemed).
- ``boilerplate``: a regular expression stripped from postings at the next ingest.

:func:`finish_groups` and :func:`finish_themes` are called where a stage saves its result;
:func:`apply_kinds` where ingest has written clause rows. Each records, per decision, whether it
applied or why it no longer does (``meta.curation_status``); nothing is dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jdsearch.store import Clause, ClauseStore, JdsearchError

FILE = "decisions.json"
KINDS = ("duty", "requirement", "other")
GROUP_TYPES = ("group-accept", "group-reject", "group-split", "group-move", "group-canonical")
THEME_TYPES = ("theme-rename", "theme-merge", "theme-split", "theme-canonical", "theme-drop")
TYPES = ("kind", *GROUP_TYPES, *THEME_TYPES, "boilerplate")
LABEL_LANGS = ("en", "zh-Hans", "zh-Hant")
CLAUSE_ID = re.compile(r"[0-9a-f]{16}")
GROUP_ID = re.compile(r"[0-9a-f]{12}")
IN_FORCE = "in force"


# --------------------------------------------------------------------------- the file
def path_of(index_dir: Path) -> Path:
    return Path(index_dir) / FILE


def load(index_dir: Path) -> list[dict[str, Any]]:
    """The decisions in the order they were made (an absent file: none yet)."""
    p = path_of(index_dir)
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise JdsearchError(f"cannot read {p}: {exc}") from None
    items = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(d, dict) for d in items):
        raise JdsearchError(f"cannot read {p}: no list of decisions")
    return items


def save(index_dir: Path, decisions: Sequence[dict[str, Any]]) -> None:
    """Write atomically (temp file + rename): a crash leaves the old file or the new one.
    The caller holds the index's write lock."""
    p = path_of(index_dir)
    body = {"format": "jdsearch decisions 1", "decisions": list(decisions)}
    text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    tmp = p.with_name(p.name + ".tmp")
    try:
        tmp.write_text(text, "utf-8")
        os.replace(tmp, p)
    except OSError as exc:
        raise JdsearchError(f"cannot write {p}: {exc.strerror}") from None


def who() -> str:
    return os.environ.get("JDSEARCH_USER") or os.environ.get("USER") or "unknown"


def new_decision(decision_type: str, reason: str = "", **fields: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "type": decision_type,
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "who": who(),
        **fields,
    }
    if reason:
        d["reason"] = reason
    return d


def append(index_dir: Path, decision: dict[str, Any]) -> dict[str, Any]:
    decisions = load(index_dir)
    n = max((int(d.get("id", 0)) for d in decisions if str(d.get("id", "")).isdigit()), default=0)
    decision = {**decision, "id": f"{n + 1:04d}"}
    save(index_dir, [*decisions, decision])
    return decision


# --------------------------------------------------------------------------- clause keys
def key_of(c: Clause) -> dict[str, str]:
    """What names a clause in a decision: its document and normalised wording (the text is
    kept for people reading the file)."""
    return {"doc": c.doc_id, "norm": c.norm, "text": c.text}


def one_key(store: ClauseStore, c: Clause) -> dict[str, Any]:
    """:func:`key_of` for a decision about this very clause (a canonical choice): a document
    that repeats the wording gets ``nth``, the clause's place among the repeats in document
    order, so the one a person clicked is the one chosen (no ``nth``: the first)."""
    key: dict[str, Any] = key_of(c)
    rows = store.q(  # this document's repeats only, in the order Keys resolves them
        "SELECT clause_id FROM clauses WHERE doc_id = ? AND norm = ? ORDER BY position",
        (c.doc_id, c.norm),
    )
    nth = [cid for (cid,) in rows].index(c.clause_id)
    if nth > 0:
        key["nth"] = nth
    return key


class Keys:
    """Resolves clause keys (document + normalised text) to the clause ids of today's index."""

    def __init__(self, store: ClauseStore) -> None:
        self.ids: dict[tuple[str, str], list[str]] = {}
        rows = store.q("SELECT clause_id, doc_id, norm FROM clauses ORDER BY doc_id, position")
        for cid, doc, norm in rows:
            self.ids.setdefault((doc, norm), []).append(cid)

    def __call__(self, key: dict[str, Any] | None) -> list[str]:
        """The clauses a key names, in document order; a key with ``nth`` puts that repeat
        first (the one a single-clause decision means)."""
        if not key:
            return []
        ids = self.ids.get((key.get("doc", ""), key.get("norm", "")), [])
        nth = int(key.get("nth") or 0)
        if 0 < nth < len(ids):
            return [ids[nth], *ids[:nth], *ids[nth + 1 :]]
        return ids

    def many(self, keys: Iterable[dict[str, str]]) -> list[str]:
        return [cid for k in keys for cid in self(k)]


def resolve_clause(store: ClauseStore, ref: str) -> Clause:
    """A clause from a clause id or its exact wording (or a wording only one clause contains)."""
    ref = ref.strip()
    if not ref:
        raise JdsearchError("empty clause reference")
    if CLAUSE_ID.fullmatch(ref):
        c = store.clause(ref)
        if c is None:
            raise JdsearchError(f"no clause with id {ref}")
        return c
    rows = _matching(store, ref)
    if not rows:
        raise JdsearchError(f"no clause reads {ref!r} (give a clause id or its wording)")
    if len(rows) > 1:
        raise JdsearchError(f"{len(rows)} clauses read {ref!r}; give a clause id")
    c = store.clause(rows[0])
    assert c is not None
    return c


# --------------------------------------------------------------------------- status
def _status(store: ClauseStore) -> dict[str, str]:
    return dict(json.loads(store.get_meta("curation_status") or "{}"))


def _record(store: ClauseStore, status: dict[str, str]) -> None:
    merged = {**_status(store), **status}
    with store.transaction():
        store.set_meta("curation_status", json.dumps(merged, sort_keys=True))


def statuses(store: ClauseStore, decisions: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Each decision's state: in force, not applied yet (its stage is not computed), or why it
    no longer applies."""
    known = _status(store)
    return {str(d.get("id")): known.get(str(d.get("id")), "not applied yet") for d in decisions}


# --------------------------------------------------------------------------- kinds
def apply_kinds(store: ClauseStore, index_dir: Path) -> set[str]:
    """Set the kind of every clause a ``kind`` decision names; returns the documents changed
    (queued for the search index, whose kind filter and facets follow). The caller bumps
    the generation when the set is not empty and nothing else did."""
    decisions = [d for d in load(index_dir) if d.get("type") == "kind"]
    if not decisions:
        return set()
    keys = Keys(store)
    status: dict[str, str] = {}
    changed: set[str] = set()
    with store.transaction():
        for d in decisions:
            ids = keys(d.get("clause"))
            if not ids:
                status[d["id"]] = "no longer applies: the clause is not in the index"
                continue
            marks = ",".join("?" * len(ids))
            rows = store.q(
                f"SELECT clause_id, doc_id FROM clauses WHERE clause_id IN ({marks}) AND kind<>?",
                [*ids, d["kind"]],
            ).fetchall()
            if rows:
                store.db.execute(
                    f"UPDATE clauses SET kind=? WHERE clause_id IN ({marks})", [d["kind"], *ids]
                )
                changed.update(r[1] for r in rows)
            status[d["id"]] = IN_FORCE
        if changed:
            store.queue(sorted(changed))
    _record(store, status)
    return changed


def boilerplate_patterns(index_dir: Path) -> list[str]:
    return [str(d["pattern"]) for d in load(index_dir) if d.get("type") == "boilerplate"]


# --------------------------------------------------------------------------- groups
def finish_groups(store: ClauseStore, groups: list[Any], index_dir: Path | None = None) -> list:
    """Stable ids (old ids kept where membership overlaps), then the group decisions. Called
    with a stage's new groups before they are stored; returns the groups to store."""
    from jdsearch import stable

    _, old = stable.memberships(store)
    new = [(g.group_id, {m.clause_id for m in g.members}) for g in groups]
    kept = stable.match(old, [s for _, s in new])
    taken = {k for k in kept if k is not None}
    for g, k in zip(groups, kept, strict=True):
        if k is not None:
            g.group_id = k
        elif g.group_id in taken:  # the finder's id now belongs to a kept group
            g.group_id = _mint_group(g.group_id, taken)
            taken.add(g.group_id)
    index_dir = index_dir or _index_dir(store)
    decisions = [d for d in load(index_dir) if d.get("type") in GROUP_TYPES]
    if decisions:
        groups = GroupEditor(store, groups).apply(decisions)
    return groups


def _mint_group(seed: str, taken: set[str]) -> str:
    n = 1
    while True:
        gid = hashlib.sha1(f"{seed}:{n}".encode()).hexdigest()[:12]
        if gid not in taken:
            return gid
        n += 1


def _index_dir(store: ClauseStore) -> Path:
    return Path(store.dir)


@dataclass
class _Outcome:
    ok: bool
    why: str = ""


class GroupEditor:
    """Applies group decisions to a list of :class:`jdsearch.dupes.Group` (idempotent: applying
    twice gives what applying once gives)."""

    def __init__(self, store: ClauseStore, groups: list[Any]) -> None:
        self.store = store
        self.keys = Keys(store)
        self.groups = {g.group_id: g for g in groups}
        self.clauses: dict[str, Clause] = {}
        self.touched: dict[str, list[dict[str, Any]]] = {}  # clause id -> decisions on it

    def apply(self, decisions: Sequence[dict[str, Any]]) -> list:
        status = {}
        for d in decisions:
            out = getattr(self, "_" + d["type"].replace("-", "_"))(d)
            status[d["id"]] = IN_FORCE if out.ok else f"no longer applies: {out.why}"
        _record(self.store, status)
        groups = [g for g in self.groups.values() if len(g.members) > 1]
        self._record_curated(groups)
        return sorted(groups, key=lambda g: (-len(g.members), g.group_id))

    def _touch(self, d: dict[str, Any], ids: Iterable[str]) -> None:
        for cid in ids:
            self.touched.setdefault(cid, []).append(d)

    def _record_curated(self, groups: list[Any]) -> None:
        """group id -> {"decisions", "modified"} for the groups holding a clause a decision
        moved, kept or pinned: exports mark those duty concepts as curated by people."""
        out: dict[str, dict[str, Any]] = {}
        for g in groups:
            ds = [d for m in g.members for d in self.touched.get(m.clause_id, [])]
            if ds:
                out[g.group_id] = {
                    "decisions": sorted({str(d["id"]) for d in ds}),
                    "modified": max(str(d.get("when", "")) for d in ds),
                }
        with self.store.transaction():
            self.store.set_meta("curated_groups", json.dumps(out, sort_keys=True))

    # -- helpers
    def _group_of(self, cid: str) -> Any | None:
        for g in self.groups.values():
            if any(m.clause_id == cid for m in g.members):
                return g
        return None

    def _take(self, cid: str) -> Any | None:
        """Remove a clause from its group; returns the member (None when ungrouped)."""
        g = self._group_of(cid)
        if g is None:
            return None
        member = next(m for m in g.members if m.clause_id == cid)
        g.members.remove(member)
        if g.canonical_id == cid and g.members:
            self._set_canonical(g, g.members[0].clause_id)
        if not g.members:
            del self.groups[g.group_id]
        return member

    def _clause(self, cid: str) -> Clause | None:
        if cid not in self.clauses:
            c = self.store.clause(cid)
            if c is None:
                return None
            self.clauses[cid] = c
        return self.clauses[cid]

    def _add(self, g: Any, cid: str, member: Any | None) -> None:
        from jdsearch.dupes import Member, text_similarity

        canon, c = self._clause(g.canonical_id), self._clause(cid)
        sim = 100.0
        if canon is not None and c is not None and canon.clause_id != cid:
            sim = round(text_similarity(canon.norm, c.norm, c.lang == "en"), 1)
        rel = "near" if canon is None or c is None or canon.lang == c.lang else "cross-script"
        g.members.append(Member(cid, sim, rel, member.value if member else ""))

    def _set_canonical(self, g: Any, cid: str) -> None:
        from jdsearch.dupes import CANONICAL

        old = g.canonical_id
        g.canonical_id = cid
        for m in g.members:
            if m.clause_id == cid:
                m.relation, m.similarity = CANONICAL, 100.0
            elif m.clause_id == old and m.relation == CANONICAL:
                m.relation = "near"
        g.members.sort(key=lambda m: (m.relation != CANONICAL, -m.similarity, m.clause_id))

    def _new_group(self, ids: list[str], members: dict[str, Any]) -> None:
        from jdsearch.dupes import Group

        gid = _mint_group(ids[0], set(self.groups))
        g = Group(gid, ids[0])
        for cid in ids:
            self._add(g, cid, members.get(cid))
        self._set_canonical(g, ids[0])
        self.groups[gid] = g

    # -- decisions
    def _group_accept(self, d: dict[str, Any]) -> _Outcome:
        ids = self.keys.many(d.get("members", []))
        if len(ids) < 2:
            return _Outcome(False, "fewer than two of its clauses are in the index")
        self._touch(d, ids)
        homes = [self._group_of(cid) for cid in ids]
        home = next((g for g in homes if g is not None and g.group_id == d.get("group")), None)
        home = home or next((g for g in homes if g is not None), None)
        if home is None:
            self._new_group(ids, {})
            return _Outcome(True)
        for cid in ids:
            if self._group_of(cid) is not home:
                self._add(home, cid, self._take(cid))
        return _Outcome(True)

    def _group_reject(self, d: dict[str, Any]) -> _Outcome:
        ids = set(self.keys.many(d.get("members", [])))
        if len(ids) < 2:
            return _Outcome(False, "fewer than two of its clauses are in the index")
        self._touch(d, sorted(ids))
        for g in list(self.groups.values()):
            inside = [m.clause_id for m in g.members if m.clause_id in ids]
            keep = g.canonical_id if g.canonical_id in inside else (inside[0] if inside else "")
            for cid in inside:
                if cid != keep:
                    self._take(cid)
        return _Outcome(True)

    def _group_split(self, d: dict[str, Any]) -> _Outcome:
        ids = self.keys.many(d.get("members", []))
        if not ids:
            return _Outcome(False, "its clauses are not in the index")
        self._touch(d, [*ids, *self.keys.many(d.get("rest", []))])
        homes = {id(self._group_of(cid)) for cid in ids}
        g = self._group_of(ids[0])
        if len(homes) == 1 and g is not None and len(g.members) == len(ids):
            return _Outcome(True)  # already a group of their own
        members = {cid: self._take(cid) for cid in ids}
        if len(ids) > 1:
            self._new_group(ids, members)
        return _Outcome(True)

    def _group_move(self, d: dict[str, Any]) -> _Outcome:
        ids = self.keys(d.get("clause"))
        target_ids = self.keys(d.get("to"))
        if not ids:
            return _Outcome(False, "the clause is not in the index")
        if not target_ids:
            return _Outcome(False, "the target group's clause is not in the index")
        self._touch(d, ids)
        target = self._group_of(target_ids[0])
        for cid in ids:
            if target is not None and self._group_of(cid) is target:
                continue
            member = self._take(cid)
            if target is None:
                self._new_group([target_ids[0], cid], {cid: member})
                target = self._group_of(cid)
            else:
                self._add(target, cid, member)
        return _Outcome(True)

    def _group_canonical(self, d: dict[str, Any]) -> _Outcome:
        ids = self.keys(d.get("clause"))
        g = self._group_of(ids[0]) if ids else None
        if g is None:
            return _Outcome(False, "the clause is not in the index or in no group")
        self._touch(d, ids[:1])
        if g.canonical_id != ids[0]:
            self._set_canonical(g, ids[0])
        return _Outcome(True)


def resave_groups(store: ClauseStore, index_dir: Path) -> None:
    """Apply the group decisions to the stored groups now (same generation and parameters)."""
    from jdsearch import stages

    st = store.stage("dupes")
    if st is None:
        return
    groups = finish_groups(store, stages.load_groups(store), index_dir)
    rows = [
        (m.clause_id, g.group_id, g.canonical_id, m.similarity, m.relation, rank, m.value)
        for g in groups
        for rank, m in enumerate(g.members)
    ]
    old_templates = store.group_templates()
    templates = [(g.group_id, old_templates.get(g.group_id, g.template)) for g in groups]
    store.save_groups(rows, st.generation, st.params, edges=store.dupe_edges(), templates=templates)


# --------------------------------------------------------------------------- themes
def finish_themes(store: ClauseStore, result: Any, index_dir: Path | None = None) -> None:
    """Stable theme and area ids, then the theme decisions; changes ``result`` (``themes``,
    ``areas``, ``assignment``) in place before it is stored."""
    from jdsearch import stable

    themes, areas, assignment = result.themes, result.areas, result.assignment
    old_theme, _ = stable.memberships(store)
    used = set(json.loads(store.get_meta("theme_ids_used") or "[]")) | set(old_theme)
    old_area = _old_areas(_stored_areas(store), old_theme)
    used |= set(old_area)
    mint = _Minter(used)
    by_kind: dict[str, list[Any]] = {}
    for t in themes:
        by_kind.setdefault(t.kind, []).append(t)
    renamed: dict[str, str] = {}
    follow = set(curated_themes(store))
    for ts in by_kind.values():
        new = [(t.theme_id, set(t.members)) for t in ts]
        renamed.update(stable.assign(old_theme, new, mint.theme, follow=follow))
    area_members = {
        a.area_id: {cid for t in themes if t.area_id == a.area_id for cid in t.members}
        for a in areas
    }
    area_renamed = stable.assign(old_area, list(area_members.items()), mint.area)
    for t in themes:
        t.theme_id = renamed[t.theme_id]
        t.area_id = area_renamed.get(t.area_id, t.area_id)
    for a in areas:
        a.area_id = area_renamed[a.area_id]
        a.theme_ids = [renamed.get(tid, tid) for tid in a.theme_ids]
    result.assignment = assignment = {cid: t.theme_id for t in themes for cid in t.members}
    decisions = [d for d in load(index_dir or _index_dir(store)) if d.get("type") in THEME_TYPES]
    fresh = {tid for tid in renamed.values() if tid not in old_theme}
    ThemeEditor(store, themes, areas, assignment, mint, fresh).apply(decisions)
    with store.transaction():
        store.set_meta("theme_ids_used", json.dumps(sorted(mint.used)))


def pinned_themes(
    store: ClauseStore, by_id: dict[str, Clause], groups: dict[str, list[str]]
) -> tuple[list[Any], dict[str, str]]:
    """The themes a person curated (renamed, merged into, split off, gave a canonical), as
    stored, for a full refit to keep: ``(themes, clause id -> theme id)``.

    Why pin rather than re-find: on a refit k-means moves most boundaries and leaves many
    clauses in the unthemed remainder, so a curated theme often has no successor to carry its
    label, merge or canonical. A person's decision beats the model: the refit clusters the other
    clauses only. A pinned theme loses clauses that left the index, changed kind or were
    dropped by a person; duplicates of its clauses that were never themed join it."""
    curated = curated_themes(store)
    if not curated:
        return [], {}
    from jdsearch import stages

    themes, _ = stages.load_themes(store)
    before = store.theme_assignment()
    dropped = unthemed(store, _index_dir(store))
    canon_of = {m: canon for canon, ms in groups.items() for m in ms}
    pinned: list[Any] = []
    held: dict[str, str] = {}
    for t in themes:
        if t.theme_id not in curated:
            continue
        ok = {c for c in t.members if c in by_id and by_id[c].kind == t.kind} - dropped
        mates = {
            m
            for c in ok
            for m in groups.get(canon_of.get(c, ""), ())
            if m in by_id and by_id[m].kind == t.kind and m not in before
        }
        ids = sorted((ok | mates) - dropped - set(held))
        if ids:
            t.members = ids
            pinned.append(t)
            held.update({c: t.theme_id for c in ids})
    return pinned, held


def keep_pinned(store: ClauseStore, result: Any, pinned: list[Any], by_id: dict[str, Clause]):  # type: ignore[no-untyped-def]
    """Add the pinned themes to a refit's ``result``, each in the new area that holds most of
    its old area's clauses (its old area when the refit left none of that kind)."""
    if not pinned:
        return
    from jdsearch.stable import describe_members, memberships
    from jdsearch.themes import Area

    _make_room(result, {t.theme_id for t in pinned})

    stored = _stored_areas(store)
    old_area = _old_areas(stored, memberships(store)[0])
    old_area_of = {tid: a for a in stored for tid in a.theme_ids}
    new_area = {
        a.area_id: {c for t in result.themes if t.area_id == a.area_id for c in t.members}
        for a in result.areas
    }
    for t in pinned:
        old = old_area_of.get(t.theme_id)
        want = old_area.get(old.area_id, set()) if old else set()
        same_kind = [a for a in result.areas if a.kind == t.kind]
        area = max(
            same_kind,
            key=lambda a: (len(new_area[a.area_id] & want), len(new_area[a.area_id])),
            default=None,
        )
        if area is None:
            area = (
                Area(old.area_id, old.kind, old.label_en, old.label_zh)
                if old
                else Area(t.theme_id.rstrip("0123456789") + "A0", t.kind, t.label_en, t.label_zh)
            )
            result.areas.append(area)
            new_area[area.area_id] = set()
        t.area_id = area.area_id
        area.theme_ids.append(t.theme_id)
        result.themes.append(t)
        result.assignment.update({c: t.theme_id for c in t.members})
    describe_members(result, by_id)


def _make_room(result: Any, ids: set[str]) -> None:
    """The refit numbers its themes D01, D02 … afresh: one that has a pinned theme's number
    takes the next free one, so every theme in ``result`` has its own id before matching."""
    taken = ids | {t.theme_id for t in result.themes}
    for t in result.themes:
        if t.theme_id not in ids:
            continue
        prefix = re.sub(r"\d+$", "", t.theme_id)
        n = 1
        while f"{prefix}{n:02d}" in taken:
            n += 1
        old, t.theme_id = t.theme_id, f"{prefix}{n:02d}"
        taken.add(t.theme_id)
        for a in result.areas:
            a.theme_ids = [t.theme_id if x == old else x for x in a.theme_ids]
        for cid in t.members:
            result.assignment[cid] = t.theme_id


def _stored_areas(store: ClauseStore) -> list[Any]:
    """The areas of the stored themes model (each with its theme ids)."""
    from jdsearch.themes import Area

    raw = json.loads(store.get_meta("themes_model") or "{}")
    return [Area(**a) for a in raw.get("areas", [])]


def _old_areas(areas: Sequence[Any], old_theme: dict[str, set[str]]) -> dict[str, set[str]]:
    """area id -> the clauses of its themes."""
    return {
        a.area_id: {cid for tid in a.theme_ids for cid in old_theme.get(tid, ())} for a in areas
    }


class _Minter:
    """New ids that were never used before in this index: D27 after D26, DA5 after DA4."""

    def __init__(self, used: set[str]) -> None:
        self.used = used

    def fresh(self, prefix: str) -> str:
        pat = re.compile(re.escape(prefix) + r"(\d+)")
        n = max((int(m.group(1)) for u in self.used if (m := pat.fullmatch(u))), default=0)
        new = f"{prefix}{n + 1:02d}" if not prefix.endswith("A") else f"{prefix}{n + 1}"
        self.used.add(new)
        return new

    def theme(self, seed: str) -> str:
        if seed not in self.used:
            self.used.add(seed)
            return seed
        return self.fresh(re.sub(r"\d+$", "", seed))

    def area(self, seed: str) -> str:
        return self.theme(seed)


class ThemeEditor:
    """Applies theme decisions to themes, areas and the clause -> theme assignment."""

    def __init__(
        self,
        store: ClauseStore,
        themes: list[Any],
        areas: list[Any],
        assignment: dict[str, str],
        mint: _Minter,
        fresh: set[str] | None = None,
    ) -> None:
        self.store = store
        self.fresh = set(fresh or ())  # ids minted by this run: a re-found theme may take back
        # the id its decision names; a theme that kept its own id never gives it up
        self.keys = Keys(store)
        self.themes = themes
        self.areas = areas
        self.assignment = assignment
        self.mint = mint
        self.curated: dict[str, dict[str, Any]] = {}
        self.made = {  # decision id -> the theme it curated in the last apply
            did: tid for tid, c in curated_themes(store).items() for did in c["decisions"]
        }
        self._stored: dict[str, str] | None = None

    def by_id(self, tid: str) -> Any | None:
        return next((t for t in self.themes if t.theme_id == tid), None)

    def find(self, d: dict[str, Any], field: str = "theme") -> Any | None:
        """The theme a decision names: by id, else the theme holding its anchor clause."""
        want = str(d.get(field, ""))
        t = self.by_id(want)
        if t is None:
            for cid in self.keys(d.get(field + "_anchor")):
                t = self.by_id(self.assignment.get(cid, ""))
                if t is not None:
                    break
            if t is not None and want and t.theme_id in self.fresh - set(self.curated):
                self.fresh.discard(t.theme_id)
                self._reid(t, want)  # a curated theme re-found by a refit keeps its id
        return t

    def _reid(self, t: Any, new: str) -> None:
        old = t.theme_id
        t.theme_id = new
        self.mint.used.add(new)
        for cid, tid in self.assignment.items():
            if tid == old:
                self.assignment[cid] = new
        for a in self.areas:
            a.theme_ids = [new if x == old else x for x in a.theme_ids]

    def apply(self, decisions: Sequence[dict[str, Any]]) -> None:
        status = {}
        for d in decisions:
            out = getattr(self, "_" + d["type"].replace("-", "_"))(d)
            status[d["id"]] = IN_FORCE if out.ok else f"no longer applies: {out.why}"
        self._refresh()
        _record(self.store, status)
        with self.store.transaction():
            self.store.set_meta("curated_themes", json.dumps(self.curated, sort_keys=True))

    def _mark(self, t: Any, d: dict[str, Any]) -> None:
        c = self.curated.setdefault(t.theme_id, {"decisions": [], "modified": ""})
        c["decisions"].append(d["id"])
        c["modified"] = max(c["modified"], str(d.get("when", "")))

    def _refresh(self) -> None:
        """Members, sizes and area lists from the assignment after the edits."""
        members: dict[str, list[str]] = {}
        for cid, tid in sorted(self.assignment.items()):
            members.setdefault(tid, []).append(cid)
        keep = []
        for t in self.themes:
            ms = members.get(t.theme_id, [])
            if not ms:
                continue
            t.members = sorted(ms, key=lambda cid: (cid != t.canonical_id, cid))
            if t.canonical_id not in ms:
                self._pin(t, t.members[0])
            t.size = len(ms)
            keep.append(t)
        self.themes[:] = keep
        ids = {t.theme_id for t in keep}
        for a in self.areas:
            a.theme_ids = [tid for tid in a.theme_ids if tid in ids]
        for t in keep:
            area = next((a for a in self.areas if a.area_id == t.area_id), None)
            if area is not None and t.theme_id not in area.theme_ids:
                area.theme_ids.append(t.theme_id)

    def _pin(self, t: Any, cid: str) -> None:
        c = self.store.clause(cid)
        t.canonical_id = cid
        t.canonical_text = c.text if c else t.canonical_text

    def _theme_rename(self, d: dict[str, Any]) -> _Outcome:
        t = self.find(d)
        if t is None:
            return _Outcome(False, f"theme {d.get('theme')} is gone")
        labels = d.get("labels", {})
        if labels.get("en"):
            t.label_en = labels["en"]
        zh = labels.get("zh-Hans") or _t2s(labels.get("zh-Hant", ""))
        if zh:
            t.label_zh = zh
        self._mark(t, d)
        self.curated[t.theme_id]["labels"] = {
            **self.curated[t.theme_id].get("labels", {}),
            **{k: v for k, v in labels.items() if v},
        }
        return _Outcome(True)

    def _theme_merge(self, d: dict[str, Any]) -> _Outcome:
        src, dst = self.find(d), self.find(d, "into")
        if dst is None:
            return _Outcome(False, f"theme {d.get('into')} is gone")
        if src is None or src is dst:
            if any(t == d.get("theme") for t in self.assignment.values()):
                return _Outcome(False, f"theme {d.get('theme')} is gone")
            self._mark(dst, d)
            return _Outcome(True)  # merged already (no clause left in the source)
        for cid, tid in list(self.assignment.items()):
            if tid == src.theme_id:
                self.assignment[cid] = dst.theme_id
        self._mark(dst, d)
        return _Outcome(True)

    def _theme_split(self, d: dict[str, Any]) -> _Outcome:
        ids = self.keys.many(d.get("members", []))
        themed = [cid for cid in ids if cid in self.assignment]
        known = {t.theme_id for t in self.themes}
        if themed:
            parent = self.by_id(self.assignment[themed[0]])
        elif ids and d.get("theme") in known:  # a refit left them unthemed: the person's split
            parent = self.by_id(str(d["theme"]))
        else:
            return _Outcome(False, "its clauses are not themed any more")
        already = {self.assignment.get(c) for c in ids}
        if len(already) == 1 and sum(1 for v in self.assignment.values() if v in already) == len(
            ids
        ):
            self._mark(parent, d)  # still curated: a full refit pins it, labels stay
            return _Outcome(True)  # the clauses are a theme of their own
        made = self.made.get(d["id"])
        if made is not None and already == {made} and self._only_joined(made, ids):
            # the theme this split made (kept by id matching) and clauses the model added to it
            # since: the split holds; splitting again would move its clauses to a new id
            self._mark(parent, d)
            return _Outcome(True)
        from copy import deepcopy

        t = deepcopy(parent)
        t.theme_id = self.mint.fresh(re.sub(r"\d+$", "", parent.theme_id))
        t.label_en = (parent.label_en + " (split)").strip()
        t.label_zh = (parent.label_zh + "（分）").strip()
        t.members = ids
        self._pin(t, ids[0])
        self.themes.append(t)
        for cid in ids:
            self.assignment[cid] = t.theme_id
        self._mark(t, d)
        return _Outcome(True)

    def _before(self) -> dict[str, str]:
        """The assignment as stored before this run's changes: read once, and only when a split
        needs it (every themes update builds an editor; most have no split to check)."""
        if self._stored is None:
            self._stored = self.store.theme_assignment()
        return self._stored

    def _only_joined(self, tid: str, ids: Sequence[str]) -> bool:
        """Whether theme ``tid`` holds, beside ``ids``, only clauses that were unthemed or in it
        before: a refit that put the split clauses back with their old parent under the split's
        id has undone the split, and it must be made again."""
        before = self._before()
        return all(
            before.get(cid) in (None, tid)
            for cid, t in self.assignment.items()
            if t == tid and cid not in ids
        )

    def _theme_canonical(self, d: dict[str, Any]) -> _Outcome:
        ids = [cid for cid in self.keys(d.get("clause")) if cid in self.assignment]
        if not ids:  # a refit left it unthemed: a person said it is that theme's duty
            known = {t.theme_id for t in self.themes}
            ids = self.keys(d.get("clause"))
            if not ids or d.get("theme") not in known:
                return _Outcome(False, "the clause is not themed any more")
            self.assignment[ids[0]] = str(d["theme"])
        t = self.by_id(self.assignment[ids[0]])
        self._pin(t, ids[0])
        self._mark(t, d)
        return _Outcome(True)

    def _theme_drop(self, d: dict[str, Any]) -> _Outcome:
        """Its clauses are left unthemed, wherever a recompute put them (a theme left empty
        disappears); by clause, so a refit that re-finds the theme under a new id obeys too."""
        ids = self.keys.many(d.get("members", []))
        if not ids:
            return _Outcome(False, "its clauses are not in the index")
        for cid in ids:
            self.assignment.pop(cid, None)
        return _Outcome(True)


def _t2s(text: str) -> str:
    if not text:
        return ""
    import opencc

    return str(opencc.OpenCC("t2s").convert(text))


def resave_themes(store: ClauseStore, index_dir: Path) -> None:
    """Apply the theme decisions to the stored themes now (same generation and parameters)."""
    from jdsearch import stages

    st = store.stage("themes")
    if st is None:
        return
    themes, areas = stages.load_themes(store)

    @dataclass
    class Stored:
        themes: list[Any]
        areas: list[Any]
        assignment: dict[str, str]

    result = Stored(themes, areas, store.theme_assignment())
    finish_themes(store, result, index_dir)
    from dataclasses import asdict

    model = json.loads(store.get_meta("themes_model") or "{}")
    model["themes"] = [{**asdict(t), "members": []} for t in result.themes]
    model["areas"] = [asdict(a) for a in result.areas]
    store.save_themes(
        result.assignment, json.dumps(model, ensure_ascii=False), st.generation, st.params
    )


def curated_groups(store: ClauseStore) -> dict[str, dict[str, Any]]:
    """group id -> {"decisions", "modified"} for groups a person's decision shaped."""
    return dict(json.loads(store.get_meta("curated_groups") or "{}"))


def curated_themes(store: ClauseStore) -> dict[str, dict[str, Any]]:
    """theme id -> {"decisions", "modified", "labels"} for themes a person changed."""
    return dict(json.loads(store.get_meta("curated_themes") or "{}"))


# --------------------------------------------------------------------------- making decisions
def _group_ref(store: ClauseStore, ref: str) -> tuple[str, list[str]]:
    """(group id, member clause ids) from a group id or a member clause (id or wording)."""
    rows: dict[str, list[str]] = {}
    for cid, gid, *_ in store.group_rows():
        rows.setdefault(gid, []).append(cid)
    if store.stage("dupes") is None:
        raise JdsearchError("duplicate groups are not computed (run: jdsearch dupes)")
    ref = ref.strip()
    if ref in rows:
        return ref, rows[ref]
    group_of = {cid: gid for gid, ids in rows.items() for cid in ids}
    try:
        found = [resolve_clause(store, ref).clause_id]
    except JdsearchError:  # a wording several clauses have is fine when they share a group
        found = _matching(store, ref)
        if not found or len({group_of.get(cid) for cid in found}) != 1:
            raise
    gid = group_of.get(found[0])
    if gid is None:
        raise JdsearchError(f"clause {found[0]} is in no duplicate group")
    return gid, rows[gid]


def _matching(store: ClauseStore, ref: str) -> list[str]:
    exact = [r[0] for r in store.q("SELECT clause_id FROM clauses WHERE text=?", (ref,))]
    if exact:
        return exact
    like = "%" + ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = "SELECT clause_id FROM clauses WHERE text LIKE ? ESCAPE '\\'"
    return [r[0] for r in store.q(sql, (like,))]


def _theme_ref(store: ClauseStore, ref: str) -> tuple[str, dict[str, str]]:
    """(theme id, anchor key: its canonical clause) of a stored theme."""
    from jdsearch import stages

    if store.stage("themes") is None:
        raise JdsearchError("themes are not computed (run: jdsearch themes)")
    themes, _ = stages.load_themes(store)
    t = next((t for t in themes if t.theme_id == ref.strip()), None)
    if t is None and not re.fullmatch(r"[A-Z]+\d+", ref.strip()):  # a member's wording
        assignment = store.theme_assignment()
        found = {assignment.get(cid) for cid in _matching(store, ref.strip())} - {None}
        if len(found) > 1:
            raise JdsearchError(f"clauses reading {ref.strip()!r} are in {len(found)} themes")
        t = next((t for t in themes if t.theme_id in found), None)
    if t is None:
        known = ", ".join(sorted(t.theme_id for t in themes)[:8])
        raise JdsearchError(
            f"no theme {ref.strip()!r} and no themed clause reads so (themes: {known} …)"
        )
    c = store.clause(t.canonical_id)
    return t.theme_id, key_of(c) if c else {}


def _keys(store: ClauseStore, refs: Sequence[str]) -> list[dict[str, str]]:
    if not refs:
        raise JdsearchError("name at least one clause (id or wording)")
    return _unique([key_of(resolve_clause(store, r)) for r in refs])


def _unique(keys: list[dict[str, str]]) -> list[dict[str, str]]:
    """One key per (document, wording), in a stable order: two copies are one decision."""
    seen = {(k["doc"], k["norm"]): k for k in keys}
    return [seen[x] for x in sorted(seen)]


def make(store: ClauseStore, kind: str, args: dict[str, Any], reason: str = "") -> dict[str, Any]:
    """A decision of type ``kind`` from a user's arguments (clause ids or wordings, group or
    theme ids), checked against the index; raises JdsearchError with a one-line reason."""
    a = {k: v for k, v in args.items() if v not in (None, "", [], ())}

    def need(name: str) -> Any:
        if name not in a:
            raise JdsearchError(f"{kind} needs {name}")
        return a[name]

    if kind == "kind":
        if need("kind") not in KINDS:
            raise JdsearchError(f"unknown kind {a['kind']!r} (choose from {', '.join(KINDS)})")
        c = resolve_clause(store, need("clause"))
        return new_decision(kind, reason, clause=key_of(c), kind=a["kind"])
    if kind in ("group-accept", "group-reject"):
        gid, ids = _group_ref(store, need("group"))
        members = _unique([key_of(c) for c in store.clauses_by_id(ids).values()])
        return new_decision(kind, reason, group=gid, members=members)
    if kind == "group-split":
        gid, ids = _group_ref(store, need("group"))
        keys = _keys(store, need("members"))
        by_id = {cid for k in keys for cid in Keys(store)(k)}
        if not by_id <= set(ids):
            raise JdsearchError(f"not every clause named is in group {gid}")
        rest = _unique([key_of(c) for c in store.clauses_by_id(set(ids) - by_id).values()])
        if not rest:
            raise JdsearchError("a split must leave at least one clause in the group")
        return new_decision(kind, reason, group=gid, members=keys, rest=rest)
    if kind == "group-move":
        c = resolve_clause(store, need("clause"))
        gid, ids = _group_ref(store, need("to"))
        canon = next(r[2] for r in store.group_rows() if r[1] == gid)
        target = store.clause(canon)
        assert target is not None
        return new_decision(kind, reason, clause=key_of(c), group=gid, to=key_of(target))
    if kind == "group-canonical":
        c = resolve_clause(store, need("clause"))
        gid, _ = _group_ref(store, c.clause_id)
        return new_decision(kind, reason, clause=one_key(store, c), group=gid)
    if kind == "theme-rename":
        tid, anchor = _theme_ref(store, need("theme"))
        labels = {lang: a[lang] for lang in LABEL_LANGS if a.get(lang)}
        if not labels:
            raise JdsearchError("theme-rename needs a label (en, zh-Hans or zh-Hant)")
        return new_decision(kind, reason, theme=tid, theme_anchor=anchor, labels=labels)
    if kind == "theme-merge":
        tid, anchor = _theme_ref(store, need("theme"))
        into, into_anchor = _theme_ref(store, need("into"))
        if tid == into:
            raise JdsearchError("a theme cannot be merged with itself")
        kinds = {t.theme_id: t.kind for t in stages_themes(store)}
        if kinds.get(tid) != kinds.get(into):
            raise JdsearchError("a duty theme and a requirement theme cannot be merged")
        return new_decision(
            kind, reason, theme=tid, theme_anchor=anchor, into=into, into_anchor=into_anchor
        )
    if kind == "theme-split":
        tid, anchor = _theme_ref(store, need("theme"))
        keys = _keys(store, need("members"))
        assignment = store.theme_assignment()
        if any(assignment.get(cid) != tid for k in keys for cid in Keys(store)(k)):
            raise JdsearchError(f"not every clause named is in theme {tid}")
        return new_decision(kind, reason, theme=tid, theme_anchor=anchor, members=keys)
    if kind == "theme-canonical":
        c = resolve_clause(store, need("clause"))
        tid = store.theme_assignment().get(c.clause_id)
        if tid is None:
            raise JdsearchError(f"clause {c.clause_id} is in no theme")
        return new_decision(kind, reason, clause=one_key(store, c), theme=tid)
    if kind == "theme-drop":
        tid, anchor = _theme_ref(store, need("theme"))
        ids = [cid for cid, t in store.theme_assignment().items() if t == tid]
        members = _unique([key_of(c) for c in store.clauses_by_id(ids).values()])
        return new_decision(kind, reason, theme=tid, members=members)
    if kind == "boilerplate":
        try:
            re.compile(need("pattern"))
        except re.error as exc:
            raise JdsearchError(f"bad pattern {a['pattern']!r}: {exc}") from None
        return new_decision(kind, reason, pattern=a["pattern"])
    raise JdsearchError(f"unknown decision {kind!r} (choose from {', '.join(TYPES)})")


def log(store: ClauseStore, index_dir: Path) -> list[dict[str, Any]]:
    """Every decision with its state (``status``), oldest first."""
    decisions = load(index_dir)
    states = statuses(store, decisions)
    for d in decisions:
        if d.get("type") == "boilerplate":
            states[d["id"]] = IN_FORCE if _patterns_applied(store, d) else "applies at next ingest"
    return [{**d, "status": states[str(d.get("id"))]} for d in decisions]


def _patterns_applied(store: ClauseStore, d: dict[str, Any]) -> bool:
    return d.get("pattern") in json.loads(store.get_meta("applied_boilerplate") or "[]")


def stages_themes(store: ClauseStore) -> list[Any]:
    from jdsearch import stages

    return list(stages.load_themes(store)[0])


def unthemed(store: ClauseStore, index_dir: Path) -> set[str]:
    """Clauses people said belong to no theme (``theme-drop``): never placed into one."""
    keys = Keys(store)
    return {
        cid
        for d in load(index_dir)
        if d.get("type") == "theme-drop"
        for cid in keys.many(d.get("members", []))
    }
