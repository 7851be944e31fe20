"""The Python API: one object per index directory, mirroring the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from jdsearch import index as search_index
from jdsearch.analysis import decode_groups
from jdsearch.dupes import (
    CROSS_LINGUAL_THRESHOLD,
    DuplicateFinder,
    Group,
    Member,
    near_duplicates_of,
    update_groups,
)
from jdsearch.ingest import IngestReport, Parser, ProgressFn, ingest
from jdsearch.normalize import LANGS
from jdsearch.readers import ReadBudget
from jdsearch.search import SearchEngine, SearchResult
from jdsearch.segment import KINDS
from jdsearch.store import Clause, ClauseStore, Document, JdsearchError, default_index_dir
from jdsearch.taxonomy import build_taxonomy
from jdsearch.taxonomy import export as export_taxonomy
from jdsearch.themes import CONCEPT, Area, Theme, build_themes, group_map

CLAUSE_ID = re.compile(r"[0-9a-fA-F]{16}")


class Corpus:
    """A JD corpus stored in an index directory (default ``$JDSEARCH_INDEX`` or ``./index``).

    >>> corpus = Corpus("index")
    >>> corpus.ingest(["corpus/"])          # doctest: +SKIP
    >>> duties = corpus.clauses(kind="duty", lang="zh-Hant")  # doctest: +SKIP
    """

    def __init__(self, index_dir: str | Path | None = None) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()

    def _store(self, *, create: bool = False) -> ClauseStore:
        return ClauseStore(self.index_dir, create=create)

    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        text_column: str | None = None,
        boilerplate: Iterable[str] = (),
        progress: ProgressFn | None = None,
        budget: ReadBudget | None = None,
        follow_links: bool = False,
    ) -> IngestReport:
        """Parse files/folders into typed clauses and update the search index incrementally.

        Unchanged files are not re-parsed; changed files replace their clauses. ``budget``
        bounds what one file may cost (see ``ReadBudget``); links are followed out of a
        folder only with ``follow_links``.
        """
        store = self._store(create=True)
        try:
            parser = Parser(text_column=text_column, boilerplate=boilerplate, budget=budget)
            report = ingest(
                store,
                [str(p) for p in paths],
                parser=parser,
                progress=progress,
                follow_links=follow_links,
            )
            if report.removed_docs or report.added_docs:
                _refresh_groups(store, report.added_docs)
            search_index.update(store, report.removed_docs, report.added_docs)
            return report
        finally:
            store.close()

    def reindex(self, progress: ProgressFn | None = None) -> int:
        """Rebuild the search index from the clause table; returns clauses indexed."""
        store = self._store()
        try:
            return search_index.rebuild(store, progress=progress)
        finally:
            store.close()

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        lang: str | None = None,
        kind: str | None = None,
        collapse: bool = False,
        facets: bool = False,
    ) -> SearchResult:
        """Ranked clauses for ``query`` (any script or language; see :mod:`jdsearch.search`)."""
        self._store().close()  # a clear error when there is no index at all
        engine = SearchEngine(str(self.index_dir))
        try:
            return engine.search(
                query,
                limit=limit,
                offset=offset,
                lang=lang,
                kind=kind,
                collapse=collapse,
                facets=facets,
            )
        finally:
            engine.close()

    def clauses(self, *, kind: str | None = None, lang: str | None = None) -> list[Clause]:
        """Clauses in document order, filtered by kind (duty/requirement/other) and lang."""
        if kind is not None and kind not in KINDS:
            raise JdsearchError(f"unknown kind {kind!r} (choose from {', '.join(KINDS)})")
        if lang is not None and lang not in LANGS:
            raise JdsearchError(f"unknown lang {lang!r} (choose from {', '.join(LANGS)})")
        store = self._store()
        try:
            return list(store.clauses(kind=kind, lang=lang))
        finally:
            store.close()

    def clause(self, clause_id: str) -> Clause | None:
        store = self._store()
        try:
            return store.clause(clause_id)
        finally:
            store.close()

    def documents(self) -> list[Document]:
        store = self._store()
        try:
            return list(store.documents())
        finally:
            store.close()

    def stats(self) -> dict[str, object]:
        store = self._store()
        try:
            return store.counts()
        finally:
            store.close()

    # ---- duplicates
    def dupes(
        self,
        *,
        threshold: float = 85.0,
        cross_lingual: bool = True,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
        recompute: bool = False,
    ) -> list[Group]:
        """Duplicate groups (singletons omitted), largest first; cached until clauses change.

        ``cross_lingual_threshold`` is the concept-bag similarity an English/Chinese pair needs.
        """
        for name, value in (
            ("threshold", threshold),
            ("cross_lingual_threshold", cross_lingual_threshold),
        ):
            if not 0 < value <= 100:
                raise JdsearchError(f"{name} must be in (0, 100]")
        store = self._store()
        try:
            params = f"{threshold}:{cross_lingual}:{cross_lingual_threshold}"
            state = f"{store.fingerprint()}:{params}"
            if recompute or store.get_meta("dupes_state") != state:
                finder = DuplicateFinder(
                    threshold,
                    cross_lingual=cross_lingual,
                    cross_lingual_threshold=cross_lingual_threshold,
                )
                finder.fit(list(store.clauses()))
                store.save_groups(_group_rows(finder.groups_), state)
                search_index.rebuild(store)
            return _load_groups(store)
        finally:
            store.close()

    def dupes_of(
        self,
        clause_id_or_text: str,
        *,
        threshold: float = 85.0,
        cross_lingual: bool = True,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
    ) -> tuple[Clause | None, list[tuple[Clause, float, str]]]:
        """Near-duplicates of one clause (by id) or of a pasted text.

        A string shaped like a clause id (16 hex digits) must name one: a mistyped id is an
        error, not a 16-character text to match.
        """
        store = self._store()
        try:
            clause = store.clause(clause_id_or_text)
            if clause is None and CLAUSE_ID.fullmatch(clause_id_or_text.strip()):
                raise JdsearchError(f"no clause with id {clause_id_or_text.strip()}")
            text = clause.text if clause else clause_id_or_text
            if not text.strip():
                raise JdsearchError("empty text")
            pool = list(store.clauses())
            exclude = clause.clause_id if clause else None
            return clause, near_duplicates_of(
                text,
                pool,
                threshold,
                cross_lingual=cross_lingual,
                cross_lingual_threshold=cross_lingual_threshold,
                exclude=exclude,
            )
        finally:
            store.close()

    # ---- themes
    def themes(self, *, k: int | None = None, recompute: bool = False) -> list[Theme]:
        """Themes of duties and requirements (k chosen automatically unless given)."""
        if k is not None and k < 2:
            raise JdsearchError("k must be at least 2")
        themes, _ = self._theme_model(k=k, recompute=recompute)
        return themes

    def areas(self) -> list[Area]:
        return self._theme_model()[1]

    def taxonomy(self, *, k: int | None = None) -> dict[str, object]:
        """The nested taxonomy: areas -> themes -> canonical duties -> variants."""
        themes, areas = self._theme_model(k=k)
        store = self._store()
        try:
            return build_taxonomy(list(store.clauses()), themes, areas, store.group_rows())
        finally:
            store.close()

    def export(self, fmt: str, *, k: int | None = None) -> str:
        """The taxonomy as ``json``, ``csv``, ``md`` or ``skos`` (Turtle)."""
        return export_taxonomy(self.taxonomy(k=k), fmt)

    def _theme_model(
        self, *, k: int | None = None, recompute: bool = False
    ) -> tuple[list[Theme], list[Area]]:
        store = self._store()
        try:
            if not store.get_meta("dupes_state"):
                store.close()
                self.dupes()
                store = self._store()
            base = f"{store.fingerprint()}:{store.get_meta('dupes_state')}"
            if recompute or store.get_meta("themes_state") != f"{base}:{k}":
                self._compute_themes(store, k, f"{base}:{k}")
            return _load_themes(store)
        finally:
            store.close()

    def _compute_themes(self, store: ClauseStore, k: int | None, state: str) -> None:
        clauses = list(store.clauses())
        groups = group_map(store.group_rows())
        result = build_themes(
            clauses,
            groups,
            lambda cs: feature_tokens(store, cs),
            k=k,
            describe=lambda cs: chinese_words(store, cs),
        )
        model = {
            "themes": [{**asdict(t), "members": []} for t in result.themes],
            "areas": [asdict(a) for a in result.areas],
            "params": result.params,
        }
        store.save_themes(result.assignment, json.dumps(model, ensure_ascii=False), state)
        search_index.rebuild(store)


def feature_tokens(store: ClauseStore, clauses: list[Clause]) -> list[list[str]]:
    """Cross-lingual concept tokens (so English and Chinese share one space), plus the Chinese
    words that have no concept. Built from the cached analyser tokens: jieba runs once."""
    from jdsearch.concepts import default_mapper

    mapper = default_mapper()
    tokens = search_index.ensure_tokens(store, clauses)
    out = []
    for c in clauses:
        coarse = [g[0] for g in decode_groups(tokens[c.clause_id][0])]
        concepts = mapper.concepts_from_terms(coarse)
        native = [t for t in coarse if not t.isascii() and t not in mapper.zh_concept]
        out.append([CONCEPT + x for x in concepts] + native)
    return out


def concept_tokens(store: ClauseStore, clauses: list[Clause]) -> list[list[str]]:
    """Concept tokens of each clause from the cached analyser tokens (no second jieba pass)."""
    from jdsearch.concepts import default_mapper

    mapper = default_mapper()
    tokens = search_index.ensure_tokens(store, clauses)
    return [
        mapper.concepts_from_terms([g[0] for g in decode_groups(tokens[c.clause_id][0])])
        for c in clauses
    ]


def chinese_words(store: ClauseStore, clauses: list[Clause]) -> list[list[str]]:
    """Coarse Chinese words of each clause, for readable Chinese theme labels."""
    tokens = search_index.ensure_tokens(store, clauses)
    return [
        [g[0] for g in decode_groups(tokens[c.clause_id][0]) if not g[0].isascii()] for c in clauses
    ]


def _load_themes(store: ClauseStore) -> tuple[list[Theme], list[Area]]:
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


INCREMENTAL_LIMIT = 0.1  # above this share of new clauses, recompute groups from scratch


def _refresh_groups(store: ClauseStore, added_docs: set[str]) -> None:
    """Keep stored duplicate groups current after an ingest: incrementally when the change is
    small (new clauses matched against existing groups), else mark them for recomputation."""
    state = store.get_meta("dupes_state")
    if not state:
        return
    parts = state.split(":")
    if len(parts) != 4:  # written by an older version: recompute
        store.set_meta("dupes_state", "")
        return
    _fingerprint, threshold, cross_lingual, cl_threshold = parts
    clauses = list(store.clauses())
    new_ids = {c.clause_id for c in clauses if c.doc_id in added_docs}
    if len(new_ids) > INCREMENTAL_LIMIT * max(len(clauses), 1):
        store.set_meta("dupes_state", "")
        return
    rows = update_groups(
        store.group_rows(),
        clauses,
        new_ids,
        float(threshold),
        cross_lingual_threshold=float(cl_threshold) if cross_lingual == "True" else None,
        concepts_of=lambda cs: concept_tokens(store, list(cs)),
    )
    store.save_groups(rows, f"{store.fingerprint()}:{threshold}:{cross_lingual}:{cl_threshold}")


def _group_rows(groups: list[Group]) -> list[tuple[str, str, str, float, str, int]]:
    return [
        (m.clause_id, g.group_id, g.canonical_id, m.similarity, m.relation, rank)
        for g in groups
        for rank, m in enumerate(g.members)
    ]


def _load_groups(store: ClauseStore) -> list[Group]:
    groups: dict[str, Group] = {}
    for cid, gid, canon, sim, rel, _rank in store.group_rows():
        g = groups.setdefault(gid, Group(gid, canon))
        g.members.append(Member(cid, sim, rel))
    return sorted(groups.values(), key=lambda g: (-len(g.members), g.group_id))
