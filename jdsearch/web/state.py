"""What the app keeps between requests: per-thread search engines and per-index-version views.

Whoosh searchers must not be shared across threads, and opening one (plus its facet tables)
costs far more than answering a query, so every worker thread keeps its own
:class:`~jdsearch.search.SearchEngine` and reopens it only when the index changes; no lock
serialises searches. (The analyser they share is read-only once loaded, and PyStemmer holds the
GIL for each stem.) Duplicate groups, themes and the taxonomy are loaded once per index version.

Requests only read. Duplicate groups and themes are computed (written into the index) by
:meth:`IndexState.prepare` at server start-up; when they are missing at request time, because
the index changed under the running server, the endpoints that need them answer 503 naming the
command that computes them, rather than writing to the index from a GET.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jdsearch.analysis import default_analyzer
from jdsearch.corpus import Corpus, _load_groups, _load_themes
from jdsearch.dupes import Group
from jdsearch.index import search_dir
from jdsearch.search import SearchEngine, SearchResult
from jdsearch.store import DB_NAME, Clause, ClauseStore, JdsearchError
from jdsearch.taxonomy import build_taxonomy
from jdsearch.themes import Area, Theme

T = TypeVar("T")
Signature = tuple[int, int]
WARM_QUERY = "客户档案"
log = logging.getLogger("jdsearch.web")


class IndexUnavailable(JdsearchError):
    """There is no (complete) index in the directory: the API answers 503, not 400."""


class NotComputed(IndexUnavailable):
    """Duplicate groups or themes are missing, and a GET does not compute them: 503."""


@dataclass
class GroupData:
    """Duplicate groups with the lookups the endpoints need."""

    groups: list[Group]
    by_id: dict[str, Group] = field(default_factory=dict)
    by_clause: dict[str, Group] = field(default_factory=dict)

    @classmethod
    def of(cls, groups: list[Group]) -> GroupData:
        data = cls(groups, {g.group_id: g for g in groups})
        data.by_clause = {m.clause_id: g for g in groups for m in g.members}
        return data


@dataclass
class ThemeData:
    """Themes and areas with the lookups the endpoints need."""

    themes: list[Theme]
    areas: list[Area]
    by_id: dict[str, Theme] = field(default_factory=dict)
    by_clause: dict[str, Theme] = field(default_factory=dict)

    @classmethod
    def of(cls, themes: list[Theme], areas: list[Area]) -> ThemeData:
        data = cls(themes, areas, {t.theme_id: t for t in themes})
        data.by_clause = {cid: t for t in themes for cid in t.members}
        return data


class ResponseCache:
    """A small LRU of rendered responses, keyed on the index version and the request.

    Whoosh scores in pure Python: a common word on a 100k-clause index costs tens to hundreds
    of milliseconds. People repeat searches (the instant box re-sends a query after a
    correction, paging and the back button revisit one), so answers are kept until the index
    changes; ``size=0`` turns this off.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class IndexState:
    """One index directory as the web app sees it (thread-safe; one instance per app)."""

    def __init__(self, index_dir: str | Path, *, search_cache: int = 1024) -> None:
        self.index_dir = Path(index_dir)
        self.corpus = Corpus(self.index_dir)
        self.responses = ResponseCache(search_cache)
        self._local = threading.local()  # .held: (engine, signature) of this thread
        self._engines: set[SearchEngine] = set()  # every thread's engine, closed on shutdown
        self._engines_lock = threading.Lock()
        self._compute_lock = threading.RLock()  # the taxonomy loads the themes inside it
        self._cache: dict[str, tuple[Signature, Any]] = {}

    # ---- versioning
    def signature(self) -> Signature | None:
        """(inode, mtime) of the search directory.

        Ingest, reindex, dupes and themes all rewrite that directory (a commit in place or a
        swapped-in rebuild), so one ``stat`` per request tells whether anything changed.
        """
        try:
            st = os.stat(search_dir(self.index_dir))
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def require(self) -> Signature:
        """The current signature, or :class:`IndexUnavailable` when there is no index."""
        sig = self.signature()
        if sig is None or not (self.index_dir / DB_NAME).exists():
            raise IndexUnavailable(
                f"no index at {self.index_dir} (run: jdsearch ingest PATH --index {self.index_dir})"
            )
        return sig

    # ---- search
    def search(self, query: str, **kwargs: Any) -> SearchResult:
        """Run a query on this thread's engine: concurrent searches do not wait for each other."""
        return self.engine().search(query, **kwargs)

    def engine(self) -> SearchEngine:
        """This thread's engine, reopened when the index has changed since it was opened."""
        sig = self.require()
        held: tuple[SearchEngine, Signature] | None = getattr(self._local, "held", None)
        if held is not None and held[1] == sig:
            return held[0]
        if held is not None:  # the index changed: this thread's engine is stale
            self._local.held = None
            self._close(held[0])
        engine = SearchEngine(str(self.index_dir))
        with self._engines_lock:
            self._engines.add(engine)
        self._local.held = (engine, sig)
        return engine

    def _close(self, engine: SearchEngine) -> None:
        with self._engines_lock:
            self._engines.discard(engine)
        engine.close()

    def engines(self) -> int:
        """How many engines are open (one per thread that has searched)."""
        with self._engines_lock:
            return len(self._engines)

    def close(self) -> None:
        """Close every thread's engine (at shutdown, when no request is running)."""
        with self._engines_lock:
            engines, self._engines = self._engines, set()
        for engine in engines:
            engine.close()

    # ---- start-up
    def prepare(self) -> None:
        """Everything a first request would otherwise wait for (or write): load the analyser,
        compute duplicate groups and themes when missing or out of date, load the views and
        run one query on this thread's engine."""
        self.require()
        default_analyzer().terms(WARM_QUERY)  # jieba loads its dictionary on first use
        with self.store() as s:
            missing_groups = not s.get_meta("dupes_state")
        if missing_groups:
            log.info("computing duplicate groups of %s (once per index change)", self.index_dir)
            self.corpus.dupes()
        current, k = self._themes_status()
        if not current:
            log.info("computing themes of %s (once per index change)", self.index_dir)
            self.corpus.themes(k=k)
        self.counts()
        self.groups()
        self.themes()
        self.taxonomy()
        self.warm_search()

    def warm_search(self) -> None:
        """Open this thread's engine and run one query (facets too: they build per-engine
        tables), so a user's first search does not pay for it."""
        self.search(WARM_QUERY, limit=10, facets=True)

    def _themes_status(self) -> tuple[bool, int | None]:
        """Whether the stored themes match the clauses and groups, and the ``k`` they were
        computed with (None: chosen automatically), so a recompute keeps the user's choice."""
        with self.store() as s:
            state = s.get_meta("themes_state") or ""  # "{fingerprint}:{dupes_state}:{k}"
            base = f"{s.fingerprint()}:{s.get_meta('dupes_state')}:"
        last = state.rsplit(":", 1)[-1]
        return state.startswith(base), int(last) if last.isdigit() else None

    # ---- cached views (read-only)
    def cached(self, name: str, load: Callable[[], T]) -> T:
        """``load()`` once per index version (concurrent first requests load once)."""
        sig = self.require()
        hit = self._cache.get(name)
        if hit is not None and hit[0] == sig:
            return hit[1]  # type: ignore[no-any-return]
        with self._compute_lock:
            sig = self.require()
            hit = self._cache.get(name)
            if hit is not None and hit[0] == sig:
                return hit[1]  # type: ignore[no-any-return]
            value = load()
            self._cache[name] = (sig, value)
            return value

    def groups(self) -> GroupData:
        """The stored duplicate groups; :class:`NotComputed` when there are none."""

        def load() -> GroupData:
            with self.store() as s:
                if not s.get_meta("dupes_state"):
                    raise NotComputed(self._missing("duplicate groups", "dupes"))
                return GroupData.of(_load_groups(s))

        return self.cached("groups", load)

    def themes(self) -> ThemeData:
        """The stored themes (as last computed); :class:`NotComputed` when there are none."""

        def load() -> ThemeData:
            with self.store() as s:
                if not s.get_meta("themes_model"):
                    raise NotComputed(self._missing("themes", "themes"))
                return ThemeData.of(*_load_themes(s))

        return self.cached("themes", load)

    def taxonomy(self) -> dict[str, object]:
        """The nested taxonomy of the stored themes, built without recomputing anything."""

        def load() -> dict[str, object]:
            data = self.themes()
            with self.store() as s:
                return build_taxonomy(list(s.clauses()), data.themes, data.areas, s.group_rows())

        return self.cached("taxonomy", load)

    def counts(self) -> dict[str, object]:
        return self.cached("counts", self.corpus.stats)

    def _missing(self, what: str, command: str) -> str:
        return (
            f"{what} are not computed for this index "
            f"(run: jdsearch {command} --index {self.index_dir})"
        )

    # ---- clauses
    @contextmanager
    def store(self) -> Iterator[ClauseStore]:
        self.require()
        store = ClauseStore(self.index_dir)
        try:
            yield store
        finally:
            store.close()

    def clause(self, clause_id: str) -> Clause | None:
        with self.store() as s:
            return s.clause(clause_id)

    def clauses_by_id(self, ids: Iterable[str]) -> dict[str, Clause]:
        """The clauses with these ids (unknown ids are left out)."""
        out: dict[str, Clause] = {}
        with self.store() as s:
            for cid in ids:
                c = s.clause(cid)
                if c is not None:
                    out[cid] = c
        return out
