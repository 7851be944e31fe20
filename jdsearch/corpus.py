"""The Python API: one long-lived object per index directory, used by the CLI and the web app.

A :class:`Corpus` opens the clause database and the search index once (per thread: SQLite
connections and engine searchers are not shared across threads) and reopens the engine only
when the search stage moved to a new generation. Writes take the index's write lock (one
writer at a time, a clear message to the second). Reads never block: when a derived stage is
behind the clause table, a read repairs it if no writer is at work, and otherwise answers from
what there is and says so (``stale``).

Stage modules are imported lazily, so a command pays only for what it uses.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jdsearch.store import (
    Clause,
    ClauseStore,
    Document,
    IndexUnavailable,
    JdsearchError,
    default_index_dir,
)

if TYPE_CHECKING:  # imported lazily at run time
    from jdsearch.analysis import Analyzer
    from jdsearch.dupes import Group
    from jdsearch.ingest import IngestOptions, IngestReport, ProgressFn
    from jdsearch.readers import ReadBudget
    from jdsearch.search import SearchResult, Views
    from jdsearch.themes import Area, Theme

CLAUSE_ID = re.compile(r"[0-9a-fA-F]{16}")
# mirror jdsearch.dupes (kept here so importing this module stays light); a test checks them
CROSS_LINGUAL_THRESHOLD = 60.0
CROSS_LINGUAL_DEFAULT = False
KINDS = ("duty", "requirement", "other")
LANGS = ("en", "zh-Hans", "zh-Hant")


@dataclass
class GroupView:
    """The stored duplicate groups with lookups, and whether they are behind the clauses."""

    groups: list[Group]
    stale: bool = False
    by_id: dict[str, Group] = field(default_factory=dict)
    by_clause: dict[str, Group] = field(default_factory=dict)


@dataclass
class ThemeView:
    themes: list[Theme]
    areas: list[Area]
    stale: bool = False
    by_id: dict[str, Theme] = field(default_factory=dict)
    by_clause: dict[str, Theme] = field(default_factory=dict)


class Corpus:
    """A JD corpus stored in an index directory (default ``$JDSEARCH_INDEX`` or ``./index``).

    >>> corpus = Corpus("index")
    >>> corpus.ingest(["corpus/"])          # doctest: +SKIP
    >>> duties = corpus.clauses(kind="duty", lang="zh-Hant")  # doctest: +SKIP
    """

    def __init__(self, index_dir: str | Path | None = None) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self._local = threading.local()
        self._lock = threading.RLock()
        self._views: Views | None = None
        self._cache: dict[str, tuple[tuple[object, ...], Any]] = {}
        self._readers: list[Any] = []
        self._stores: list[ClauseStore] = []

    # ------------------------------------------------------------------ plumbing
    def store(self) -> ClauseStore:
        """This thread's connection to the clause database (opened once)."""
        st: ClauseStore | None = getattr(self._local, "store", None)
        if st is None:
            st = ClauseStore(self.index_dir)
            self._local.store = st
            with self._lock:
                self._stores.append(st)
        return st

    def close(self) -> None:
        """Close this thread's connection and searcher (a later call opens them again)."""
        st = getattr(self._local, "store", None)
        if st is not None:
            with self._lock:
                if st in self._stores:
                    self._stores.remove(st)
            st.close()
            self._local.store = None
        held = getattr(self._local, "reader", None)
        if held is not None:
            self._drop_reader(held[1])

    def close_all(self) -> None:
        """Close every thread's connection and searcher (at shutdown, when no call is running)."""
        with self._lock:
            readers, self._readers = self._readers, []
            stores, self._stores = self._stores, []
            views, self._views = self._views, None
        for r in readers:
            r.close()
        for s in stores:
            s.close()
        if views is not None:
            views.close()
        self._local = threading.local()

    def open_readers(self) -> int:
        """How many engine searchers are open (one per thread that has searched)."""
        with self._lock:
            return len(self._readers)

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self, command: str) -> Iterator[ClauseStore]:
        """The write lock and a fresh writer connection (which migrates an older schema)."""
        from jdsearch.lock import WriteLock

        self.index_dir.mkdir(parents=True, exist_ok=True) if command == "ingest" else None
        if not (self.index_dir / "clauses.sqlite").exists() and command != "ingest":
            ClauseStore(self.index_dir).close()  # the "no index" message
        lock = WriteLock(self.index_dir, command)
        lock.require()
        try:
            store = ClauseStore(self.index_dir, create=True)
            try:
                yield store
            finally:
                store.close()
        finally:
            lock.release()
            with self._lock:
                self._cache.clear()
                self._views = None

    @property
    def analyzer(self) -> Analyzer:
        """The shared analyser, as queries use it (jieba's dictionary is read as needed)."""
        from jdsearch.analysis import Analyzer, query_analyzer
        from jdsearch.normalize import Normalizer, load_variants

        extra = self._user_variants(self.store())
        if not extra:
            return query_analyzer()

        def build() -> Analyzer:
            return Analyzer(Normalizer(load_variants(extra)), light=True)

        return self._cached("analyzer", self.store(), build)  # type: ignore[no-any-return]

    @staticmethod
    def _user_variants(store: ClauseStore) -> dict[str, str]:
        import json

        return dict(json.loads(store.get_meta("user_variants") or "{}"))

    # ------------------------------------------------------------------ writing
    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        text_column: str | None = None,
        boilerplate: Iterable[str] | None = None,
        variants: dict[str, str] | None = None,
        progress: ProgressFn | None = None,
        engine: str | None = None,
        options: IngestOptions | None = None,
        update_stages: bool = True,
        budget: ReadBudget | None = None,
        follow_links: bool = False,
    ) -> IngestReport:
        """Parse files/folders into typed clauses and bring every stage up to date.

        Unchanged files are not re-parsed; changed files replace their clauses. The search
        index is updated in place; duplicate groups and themes, when they have been computed
        before, are brought up to date in the same call (``update_stages=False`` leaves them
        marked stale instead). ``engine`` (whoosh or tantivy) is chosen at the first ingest.

        ``boilerplate`` (extra regular expressions to strip) and ``variants`` (extra wording
        pairs, variant -> mainland, e.g. from a TSV) are recorded in the index and used by every
        later ingest and query until given again; changing them re-parses every file.
        ``budget`` bounds what one file may cost (see ``ReadBudget``); links are followed out
        of a folder only with ``follow_links``.
        """
        from jdsearch import index as search_index
        from jdsearch import stages
        from jdsearch.engines import ENGINES
        from jdsearch.ingest import Parser, ingest

        if engine is not None and engine not in ENGINES:
            raise JdsearchError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
        import json

        from jdsearch.normalize import Normalizer, load_variants

        with self._writing("ingest") as store:
            self._choose_engine(store, engine)
            with store.transaction():
                if boilerplate is not None:
                    store.set_meta("user_boilerplate", json.dumps(list(boilerplate)))
                if variants is not None:
                    store.set_meta("user_variants", json.dumps(dict(sorted(variants.items()))))
            from jdsearch import curate

            patterns = json.loads(store.get_meta("user_boilerplate") or "[]")
            curated = curate.boilerplate_patterns(self.index_dir)
            patterns += [p for p in curated if p not in patterns]
            extra = self._user_variants(store)
            parser = Parser(
                text_column=text_column,
                boilerplate=patterns,
                normalizer=Normalizer(load_variants(extra)) if extra else None,
                budget=budget,
            )
            report = ingest(
                store,
                [str(p) for p in paths],
                parser=parser,
                progress=progress,
                options=options,
                follow_links=follow_links,
            )
            kind_docs = curate.apply_kinds(store, self.index_dir)  # people's kinds win
            with store.transaction():
                store.set_meta("applied_boilerplate", json.dumps(patterns))
                if kind_docs and report.generation is None:
                    report.generation = store.bump_generation()
            report.added_docs |= kind_docs
            report.stages["search"] = search_index.sync(store, progress)
            if report.clauses_written:
                from jdsearch.analysis import write_lexicon

                write_lexicon()  # jieba is loaded now: later queries start without it
            if update_stages:
                # incremental only for the changes this run made; anything older (a killed run's)
                # is unknown here, so the groups are then recomputed whole
                changed = report.generation is not None
                report.stages["dupes"] = stages.refresh_dupes(
                    store,
                    report.added_docs if changed else None,
                    report.removed_docs if changed else None,
                )
                report.stages["themes"] = stages.refresh_themes(store)
            report.totals = store.counts()
            return report

    def _choose_engine(self, store: ClauseStore, engine: str | None) -> None:
        current = store.get_meta("engine")
        if current is None:
            with store.transaction():
                store.set_meta("engine", engine or "whoosh")
        elif engine is not None and engine != current:
            raise JdsearchError(
                f"index at {self.index_dir} uses the {current} engine; to switch, run "
                f"jdsearch reindex --engine {engine}"
            )

    def reindex(self, progress: ProgressFn | None = None, *, engine: str | None = None) -> int:
        """Rebuild the search index from the clause table; returns clauses indexed."""
        from jdsearch import index as search_index
        from jdsearch.engines import ENGINES

        if engine is not None and engine not in ENGINES:
            raise JdsearchError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
        with self._writing("reindex") as store:
            if engine is not None:
                with store.transaction():
                    store.set_meta("engine", engine)
            return search_index.rebuild(store, progress)

    def repair(self) -> dict[str, str]:
        """Bring every stage that is behind the clause table up to date (waits for the lock)."""
        from jdsearch import index as search_index
        from jdsearch import stages

        with self._writing("repair") as store:
            return {
                "search": search_index.sync(store),
                "dupes": stages.refresh_dupes(store),
                "themes": stages.refresh_themes(store),
            }

    # ------------------------------------------------------------------ search
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
        """Ranked clauses for ``query`` (any script or language; see :mod:`jdsearch.search`).

        ``lang``/``kind`` narrow the query's own filters (a facet click on ``lang:en …``).
        """
        from jdsearch import search as S

        if not 1 <= limit <= S.MAX_LIMIT:
            raise S.QuerySyntaxError(f"limit must be between 1 and {S.MAX_LIMIT}")
        if offset < 0:
            raise S.QuerySyntaxError("offset must be >= 0")
        pq = S.parse_query(query)
        for name, value in (("lang", lang), ("kind", kind)):
            if value:
                S.check_filter(name, value)
                pq.filters[name] = [v for v in pq.filters.get(name, [value]) if v == value]
        store = self.store()
        stale, warning = self._search_state(store)
        reader = self._reader(store)
        views = self.views(store)
        planner = S.QueryPlanner(self.analyzer, self._vocab(store))
        plan = planner.plan(pq)
        if (pq.terms or pq.phrases) and plan.all_terms is None and not pq.filters:
            raise S.QuerySyntaxError("query has no searchable words (only stopwords)")
        flt = S.resolve_filters(store, views, pq, self.analyzer.normalizer.normalize)
        if pq.filters.get("kind") == [] or pq.filters.get("lang") == []:
            flt.allow = flt.allow[:0] if flt.allow is not None else _empty()
        ranked, mode, q = S.run(
            reader, plan, flt, limit=limit, offset=offset, collapse=collapse, views=views
        )
        hits = self._hits(store, views, ranked, plan, collapse)
        result = S.SearchResult(
            total=ranked.total, hits=hits, mode=mode, stale=stale, warning=warning
        )
        if facets:
            result.facets = S.facets(views, reader.matches(q, flt))
        return result

    def _search_state(self, store: ClauseStore) -> tuple[bool, str]:
        """(stale, warning): repairs a search index that is behind when no writer is at work."""
        from jdsearch import index as search_index

        ok, why = search_index.status(store)
        if ok:
            return False, ""
        if search_index.location(store, store.stage(search_index.STAGE)) is None:
            raise JdsearchError(
                f"no search index in {self.index_dir} "
                "(run: jdsearch ingest PATH or jdsearch reindex)"
            )
        if not store.readonly and self._try_repair():
            ok, why = search_index.status(store)
            if ok:
                return False, ""
        return True, f"stale results: {why}"

    def _try_repair(self) -> bool:
        """Apply waiting index changes if the write lock is free (never waits for a writer)."""
        from jdsearch import index as search_index
        from jdsearch.lock import WriteLock

        lock = WriteLock(self.index_dir, "search (repairing the index)")
        try:
            if not lock.acquire(wait=0):
                return False
        except JdsearchError:
            return False
        try:
            with ClauseStore(self.index_dir, create=True) as store:
                search_index.sync(store)
            return True
        except JdsearchError:
            return False
        finally:
            lock.release()

    def searcher(self) -> Any:
        """This thread's engine searcher (each thread that searches has its own)."""
        return self._reader(self.store())

    def _reader(self, store: ClauseStore) -> Any:
        """This thread's engine searcher, reopened when the search stage has moved on."""
        from jdsearch import index as search_index

        st = store.stage(search_index.STAGE)
        key = (st.location, st.generation, st.serial) if st else None
        held = getattr(self._local, "reader", None)
        if held is not None and held[0] == key:
            return held[1]
        if held is not None:
            self._drop_reader(held[1])
        engine, _ = search_index.open_current(store)
        reader = engine.reader()
        with self._lock:
            self._readers.append(reader)
        self._local.reader = (key, reader)
        return reader

    def _drop_reader(self, reader: Any) -> None:
        with self._lock:
            if reader in self._readers:
                self._readers.remove(reader)
        reader.close()
        self._local.reader = None

    def views(self, store: ClauseStore | None = None) -> Views:
        """Per-clause facts (facet codes, collapse keys, labels) for the current generations."""
        from jdsearch.search import Views

        store = store or self.store()
        key = self._version(store)
        with self._lock:
            if self._views is None or self._views.key != key:
                # the old views close with their last user (another thread may be reading)
                normalize = self.analyzer.normalizer.normalize
                self._views = Views(ClauseStore(self.index_dir), key, normalize)
            return self._views

    def version(self) -> tuple[object, ...]:
        """Changes whenever clauses, groups or themes change (a cache key for answers)."""
        return self._version(self.store())

    def _version(self, store: ClauseStore) -> tuple[object, ...]:
        """Changes whenever clauses, groups or themes change."""
        return (store.generation(), int(store.get_meta("serial") or 0))

    def _vocab(self, store: ClauseStore) -> dict[str, int]:
        return self._cached("vocab", store, store.vocab)

    def _cached(self, name: str, store: ClauseStore, load: Any) -> Any:
        key = self._version(store)
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == key:
                return hit[1]
        value = load()
        with self._lock:
            self._cache[name] = (key, value)
        return value

    def _hits(
        self, store: ClauseStore, views: Views, ranked: Any, plan: Any, collapse: bool
    ) -> list:
        from jdsearch.search import Hit, highlight

        if not ranked.cnums:
            return []
        marks = ",".join("?" * len(ranked.cnums))
        rows = {
            r[0]: r
            for r in store.q(
                "SELECT c.cnum, c.clause_id, c.doc_id, c.source, c.section, c.lang, c.kind, c.text,"
                " d.title, d.company, d.city, d.date FROM clauses c "
                f"LEFT JOIN documents d USING (doc_id) WHERE c.cnum IN ({marks})",
                ranked.cnums,
            )
        }
        theme_codes, themes = views.codes("theme")
        group_codes, groups = views.codes("group")
        hits = []
        for cnum, score in zip(ranked.cnums, ranked.scores, strict=True):
            row = rows.get(cnum)
            if row is None:  # deleted since the (stale) index was written
                continue
            _, cid, doc_id, source, section, lang, kind, text, title, company, city, date = row
            spans, marked = highlight(self.analyzer, text, plan.highlight, plan.inside)
            hit = Hit(
                clause_id=cid,
                doc_id=doc_id,
                source=source,
                section=section,
                lang=lang,
                kind=kind,
                text=text,
                score=round(score, 4),
                highlight=marked,
                spans=spans,
                theme=_label(theme_codes, themes, cnum),
                group=_label(group_codes, groups, cnum),
                title=title or "",
                company=company or "",
                city=city or "",
                date=date or "",
            )
            if collapse:
                hit.variants, hit.documents = self._collapse_counts(views, cnum)
            hits.append(hit)
        return hits

    def _collapse_counts(self, views: Views, cnum: int) -> tuple[int, int]:
        import numpy as np

        codes, _ = views.codes("collapse")
        docs, _ = views.codes("doc_id")
        if cnum >= len(codes) or not codes[cnum]:
            return 1, 1
        same = np.nonzero(codes == codes[cnum])[0]
        return len(same), len(np.unique(docs[same[same < len(docs)]]))

    # ------------------------------------------------------------------ clauses
    def clauses(self, *, kind: str | None = None, lang: str | None = None) -> list[Clause]:
        """Clauses in document order, filtered by kind (duty/requirement/other) and lang."""
        if kind is not None and kind not in KINDS:
            raise JdsearchError(f"unknown kind {kind!r} (choose from {', '.join(KINDS)})")
        if lang is not None and lang not in LANGS:
            raise JdsearchError(f"unknown lang {lang!r} (choose from {', '.join(LANGS)})")
        return list(self.store().clauses(kind=kind, lang=lang))

    def clause(self, clause_id: str) -> Clause | None:
        return self.store().clause(clause_id)

    def clauses_by_id(self, ids: Iterable[str]) -> dict[str, Clause]:
        return self.store().clauses_by_id(ids)

    def documents(self) -> list[Document]:
        return list(self.store().documents())

    def document(self, doc_id: str) -> Document | None:
        return self.store().document(doc_id)

    def stats(self) -> dict[str, object]:
        return self.store().counts()

    def status(self) -> dict[str, object]:
        """Every stage: the generation it reflects and whether it is current."""
        from jdsearch import index as search_index
        from jdsearch import stages
        from jdsearch.lock import holder, is_locked

        store = self.store()
        gen = store.generation()
        out: dict[str, object] = {"generation": gen, "engine": search_index.engine_name(store)}
        ok, why = search_index.status(store)
        out["search"] = {"current": ok, "reason": why}
        for name in ("dupes", "themes"):
            st = store.stage(name)
            out[name] = (
                {"current": stages.is_current(store, name), "generation": st.generation}
                if st
                else {"current": False, "computed": False}
            )
        out["writer"] = holder(self.index_dir) if is_locked(self.index_dir) else ""
        return out

    # ------------------------------------------------------------------ duplicates
    def dupes(
        self,
        *,
        threshold: float = 85.0,
        cross_lingual: bool = CROSS_LINGUAL_DEFAULT,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
        recompute: bool = False,
    ) -> list[Group]:
        """Duplicate groups (singletons omitted), largest first; computed when the clauses or
        the parameters changed, stored until they change again.

        Relations: exact, near, cross-script, variant (the same requirement with another value:
        2年/3年, 本科/硕士) and — when ``cross_lingual`` — cross-lingual (translations, which
        need dictionary evidence covering ``cross_lingual_threshold`` percent of both sides;
        off by default: their blind-judged precision has not reached 0.90).
        """
        from jdsearch import stages

        for name, value in (
            ("threshold", threshold),
            ("cross_lingual_threshold", cross_lingual_threshold),
        ):
            if not 0 < value <= 100:
                raise JdsearchError(f"{name} must be in (0, 100]")
        params = stages.dupes_params(threshold, cross_lingual, cross_lingual_threshold)
        if recompute or not stages.is_current(self.store(), "dupes", params):
            with self._writing("dupes") as store:
                if recompute or not stages.is_current(store, "dupes", params):
                    stages.compute_dupes(store, threshold, cross_lingual, cross_lingual_threshold)
        return self.group_view().groups

    def group_view(self) -> GroupView:
        """The stored groups as they are (``stale`` when behind the clauses); never computes."""
        from jdsearch import stages

        def load() -> GroupView:
            store = self.store()
            groups = stages.load_groups(store)
            view = GroupView(groups, stale=not stages.is_current(store, "dupes"))
            view.by_id = {g.group_id: g for g in groups}
            view.by_clause = {m.clause_id: g for g in groups for m in g.members}
            return view

        store = self.store()
        if store.stage("dupes") is None:
            raise NotComputed(self._missing("duplicate groups", "dupes"))
        return self._cached("groups", store, load)  # type: ignore[no-any-return]

    def dupes_of(
        self,
        clause_id_or_text: str,
        *,
        threshold: float = 85.0,
        cross_lingual: bool = CROSS_LINGUAL_DEFAULT,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
    ) -> tuple[Clause | None, list[tuple[Clause, float, str]]]:
        """Near-duplicates and variants of one clause (by id) or of a pasted text.

        A string shaped like a clause id (16 hex digits) must name one: a mistyped id is an
        error, not a 16-character text to match. The matcher (every clause's statement) is
        built once per index version and kept, so repeated calls do not re-analyse the corpus.
        """
        from jdsearch.search import clean_query

        store = self.store()
        clause = store.clause(clause_id_or_text)
        if clause is None and CLAUSE_ID.fullmatch(clause_id_or_text.strip()):
            raise JdsearchError(f"no clause with id {clause_id_or_text.strip()}")
        text = clause.text if clause else clean_query(clause_id_or_text)
        if not text.strip():
            raise JdsearchError("empty text")
        matcher = self._matcher(threshold, cross_lingual, cross_lingual_threshold)
        return clause, matcher.of(text, exclude=clause.clause_id if clause else None)

    def _matcher(self, threshold: float, cross: bool, cl: float) -> Any:
        from jdsearch import stages
        from jdsearch.dupes import DupeMatcher

        def build() -> Any:
            store = self.store()
            return DupeMatcher(
                list(store.clauses()),
                threshold,
                cross_lingual=cross,
                cross_lingual_threshold=cl,
                terms_of=lambda cs: stages.coarse_terms(store, cs),
            )

        return self._cached(f"matcher:{threshold}:{cross}:{cl}", self.store(), build)

    # ------------------------------------------------------------------ themes
    def themes(self, *, k: int | None = None, recompute: bool = False) -> list[Theme]:
        """Themes of duties and requirements (``k`` per kind, or chosen from the data when
        None); computed — with duplicate groups first, if needed — when anything they depend
        on changed or another ``k`` is asked for, stored until then."""
        from jdsearch import stages

        if k is not None and k < 2:
            raise JdsearchError("k must be at least 2")
        store = self.store()
        if not stages.is_current(store, "dupes"):
            self._bring_dupes_up_to_date()
        params = stages.stored_params(self.store(), "themes")
        current = stages.is_current(self.store(), "themes") and (params or {}).get("k") == k
        if recompute or not current:
            from jdsearch.stable import carry_themes

            with self._writing("themes") as store:
                if recompute or not carry_themes(store, k):  # small changes keep the themes
                    stages.compute_themes(store, k)
        return self.theme_view().themes

    def prepare_stages(self) -> dict[str, str]:
        """Duplicate groups and themes present and current, as a server needs them: computed
        with defaults when never computed, else refreshed with the parameters they were
        computed with (the user's k is kept). Waits for a writer at work."""
        from jdsearch import stages

        store = self.store()
        if stages.is_current(store, "dupes") and stages.is_current(store, "themes"):
            return {"dupes": "current", "themes": "current"}
        with self._writing("prepare") as store:
            if store.stage("dupes") is None:
                stages.compute_dupes(store, 85.0, CROSS_LINGUAL_DEFAULT, CROSS_LINGUAL_THRESHOLD)
                done = {"dupes": "computed"}
            else:
                done = {"dupes": stages.refresh_dupes(store)}
            if store.stage("themes") is None:
                stages.compute_themes(store, None)
                done["themes"] = "computed"
            else:
                done["themes"] = stages.refresh_themes(store)
            return done

    def _bring_dupes_up_to_date(self) -> None:
        from jdsearch import stages

        with self._writing("dupes") as store:
            if store.stage("dupes") is None:
                stages.compute_dupes(store, 85.0, CROSS_LINGUAL_DEFAULT, CROSS_LINGUAL_THRESHOLD)
            elif not stages.is_current(store, "dupes"):
                stages.refresh_dupes(store)

    def areas(self) -> list[Area]:
        return self.theme_view().areas

    def theme_view(self) -> ThemeView:
        """The stored themes as they are (``stale`` when behind); never computes."""
        from jdsearch import stages

        def load() -> ThemeView:
            store = self.store()
            themes, areas = stages.load_themes(store)
            view = ThemeView(themes, areas, stale=not stages.is_current(store, "themes"))
            view.by_id = {t.theme_id: t for t in themes}
            view.by_clause = {cid: t for t in themes for cid in t.members}
            return view

        store = self.store()
        if store.stage("themes") is None:
            raise NotComputed(self._missing("themes", "themes"))
        return self._cached("themes", store, load)  # type: ignore[no-any-return]

    def taxonomy(self, *, k: int | None = None, compute: bool = True) -> dict[str, object]:
        """The nested taxonomy: areas -> themes -> canonical duties -> variants.

        ``compute=False`` (the web app) uses the stored themes as they are.
        """
        from jdsearch.taxonomy import build_taxonomy

        if compute:
            self.themes(k=k)

        def load() -> dict[str, object]:
            view = self.theme_view()
            store = self.store()
            ids = {cid for t in view.themes for cid in t.members}
            by_id = store.clauses_by_id(ids)
            tax = build_taxonomy(
                list(by_id.values()),
                view.themes,
                view.areas,
                store.member_rows(),
                store.group_templates(),
            )
            from jdsearch.curate import curated_themes

            curated = curated_themes(store)
            for area in tax["areas"]:  # type: ignore[attr-defined]
                for node in area["themes"]:
                    if node["theme_id"] in curated:
                        node["curated"] = curated[node["theme_id"]]
            tax["stale"] = view.stale
            return tax

        return self._cached("taxonomy", self.store(), load)  # type: ignore[no-any-return]

    def export(
        self, fmt: str, *, k: int | None = None, compute: bool = True, base_iri: str | None = None
    ) -> str:
        """The taxonomy as ``json``, ``csv``, ``md`` or ``skos`` (Turtle; ``base_iri`` such as
        ``https://example.org/jd/`` prefixes its IRIs instead of ``urn:jdsearch:``)."""
        from jdsearch.taxonomy import export as export_taxonomy

        if base_iri is not None and not re.fullmatch(r"[a-zA-Z][\w+.-]*:\S*[/#:]", base_iri):
            raise JdsearchError(
                f"base IRI {base_iri!r} must be absolute and end with /, # or : "
                "(e.g. https://example.org/jd/)"
            )
        return export_taxonomy(self.taxonomy(k=k, compute=compute), fmt, base_iri)

    # ------------------------------------------------------------------ curation
    def decide(self, decision_type: str, reason: str = "", **args: Any) -> dict[str, Any]:
        """Record a human decision (see :mod:`jdsearch.curate` for the types and their
        arguments) in the index's decisions file and apply it at once; returns the decision
        with its ``status``. Clauses are named by id or wording, groups by id or a member."""
        from jdsearch import curate

        if decision_type in curate.GROUP_TYPES and self.store().stage("dupes") is None:
            self._bring_dupes_up_to_date()  # decided on what a person sees: compute it first
        if decision_type in curate.THEME_TYPES and self.store().stage("themes") is None:
            self.themes()
        with self._writing("curate") as store:
            decision = curate.make(store, decision_type, args, reason)
            decision = curate.append(self.index_dir, decision)
            self._apply_decision(store, decision)
            states = curate.statuses(store, [decision])
        return {**decision, "status": states[decision["id"]]}

    def _apply_decision(self, store: ClauseStore, decision: dict[str, Any]) -> None:
        from jdsearch import curate, stages
        from jdsearch import index as search_index

        kind = decision["type"]
        if kind == "kind":
            docs = curate.apply_kinds(store, self.index_dir)
            if docs:
                with store.transaction():
                    store.bump_generation()
                search_index.sync(store)
                if store.stage("dupes") is not None:
                    stages.refresh_dupes(store, docs, set())
                stages.refresh_themes(store)
        elif kind in curate.GROUP_TYPES:
            curate.resave_groups(store, self.index_dir)
        elif kind in curate.THEME_TYPES:
            curate.resave_themes(store, self.index_dir)

    def decisions(self) -> list[dict[str, Any]]:
        """Every decision, oldest first, each with its ``status`` (in force, or why not)."""
        from jdsearch import curate

        return curate.log(self.store(), self.index_dir)

    def _missing(self, what: str, command: str) -> str:
        return (
            f"{what} are not computed for this index "
            f"(run: jdsearch {command} --index {self.index_dir})"
        )


class NotComputed(IndexUnavailable):
    """Duplicate groups or themes have never been computed for this index."""


def _label(codes: Any, values: list[str], cnum: int) -> str:
    if cnum < len(codes) and codes[cnum]:
        return values[int(codes[cnum]) - 1]
    return ""


def _empty() -> Any:
    import numpy as np

    return np.zeros(0, dtype=np.int64)
