"""What the app keeps between requests: one open search engine and per-index-version caches.

Opening the Whoosh index costs far more than answering a query, so the app keeps one
:class:`~jdsearch.search.SearchEngine` and reopens it only when the index changes. Duplicate
groups, themes and the taxonomy are loaded once per index version for the same reason.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jdsearch.corpus import Corpus
from jdsearch.dupes import Group
from jdsearch.index import search_dir
from jdsearch.search import SearchEngine, SearchResult
from jdsearch.store import DB_NAME, Clause, ClauseStore, JdsearchError
from jdsearch.themes import Area, Theme

T = TypeVar("T")
Signature = tuple[int, int]


class IndexUnavailable(JdsearchError):
    """There is no (complete) index in the directory: the API answers 503, not 400."""


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
    of milliseconds, and the facet counts visit every match. People repeat searches (the
    instant box re-sends a query after a correction, paging and the back button revisit one),
    so answers are kept until the index changes; ``size=0`` turns this off.
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
        self._engine: SearchEngine | None = None
        self._engine_sig: Signature | None = None
        self._search_lock = threading.Lock()
        self._compute_lock = threading.RLock()
        self._cache: dict[str, tuple[Signature | None, Any]] = {}

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
        """Run a query on the shared engine (Whoosh searchers are not shared across threads)."""
        with self._search_lock:
            return self._current_engine().search(query, **kwargs)

    def _current_engine(self) -> SearchEngine:
        sig = self.require()
        if self._engine is None or sig != self._engine_sig:
            self.close()
            self._engine = SearchEngine(str(self.index_dir))
            self._engine_sig = sig
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    # ---- cached views
    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per index version (concurrent first requests compute once)."""
        with self._compute_lock:
            sig = self.require()
            hit = self._cache.get(name)
            if hit is not None and hit[0] == sig:
                return hit[1]  # type: ignore[no-any-return]
            value = compute()
            # computing groups or themes rebuilds the search index: key on the state after it
            self._cache[name] = (self.signature(), value)
            return value

    def groups(self) -> GroupData:
        return self.cached("groups", lambda: GroupData.of(self.corpus.dupes()))

    def themes(self) -> ThemeData:
        def load() -> ThemeData:
            themes = self.corpus.themes()
            return ThemeData.of(themes, self.corpus.areas())

        return self.cached("themes", load)

    def taxonomy(self) -> dict[str, object]:
        return self.cached("taxonomy", self.corpus.taxonomy)

    def counts(self) -> dict[str, object]:
        return self.cached("counts", self.corpus.stats)

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
