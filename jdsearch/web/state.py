"""What the app keeps between requests: one long-lived :class:`~jdsearch.corpus.Corpus` (the
same core object the CLI uses) and a cache of rendered search answers.

The corpus keeps one SQLite connection and one engine searcher per worker thread, reopened when
the index moves on, so concurrent searches do not wait for each other. Requests only read:
duplicate groups and themes are computed at server start-up when missing (:meth:`prepare`);
when an ingest changes the index under the running server, the ingest itself brings them up to
date, and in the meantime reads answer from the stored state marked ``stale``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

from jdsearch.corpus import Corpus, GroupView, NotComputed, ThemeView
from jdsearch.store import DB_NAME, Clause, IndexUnavailable

__all__ = ["IndexState", "IndexUnavailable", "NotComputed", "ResponseCache"]
WARM_QUERY = "客户档案"
log = logging.getLogger("jdsearch.web")


class ResponseCache:
    """A small LRU of rendered responses, keyed on the index version and the request.

    People repeat searches (the instant box re-sends a query after a correction, paging and the
    back button revisit one), so answers are kept until the index changes; ``size=0`` turns
    this off.
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

    def require(self) -> tuple[object, ...]:
        """The index version (changes with any write), or 503 when there is no index."""
        if not (self.index_dir / DB_NAME).is_file():
            raise IndexUnavailable(
                f"no index at {self.index_dir} (run: jdsearch ingest PATH --index {self.index_dir})"
            )
        return self.corpus.version()

    # ---- start-up
    def prepare(self) -> None:
        """Everything a first request would otherwise wait for (or write): load the analyser,
        compute duplicate groups and themes when missing or behind, load the views."""
        self.require()
        self.corpus.analyzer.terms(WARM_QUERY)  # jieba loads its dictionary on first use
        log.info("bringing duplicate groups and themes of %s up to date", self.index_dir)
        self.corpus.prepare_stages()  # computed when missing; refreshed keeping the user's k
        self.counts()
        self.groups()
        self.themes()
        self.taxonomy()
        self.warm_search()

    def warm_search(self) -> None:
        """Open this thread's searcher and run one query with facets (they build per-index
        tables), so a user's first search does not pay for it."""
        self.search(WARM_QUERY, limit=10, facets=True)

    # ---- reads
    def search(self, query: str, **kwargs: Any) -> Any:
        self.require()
        return self.corpus.search(query, **kwargs)

    def groups(self) -> GroupView:
        self.require()
        return self.corpus.group_view()

    def themes(self) -> ThemeView:
        self.require()
        return self.corpus.theme_view()

    def taxonomy(self) -> dict[str, object]:
        self.require()
        return self.corpus.taxonomy(compute=False)

    def counts(self) -> dict[str, object]:
        self.require()
        return self.corpus.stats()

    def clause(self, clause_id: str) -> Clause | None:
        self.require()
        return self.corpus.clause(clause_id)

    def clauses_by_id(self, ids: Iterable[str]) -> dict[str, Clause]:
        self.require()
        return self.corpus.clauses_by_id(ids)

    def engine(self) -> Any:
        """This thread's engine searcher."""
        self.require()
        return self.corpus.searcher()

    def engines(self) -> int:
        """How many engine searchers are open (one per thread that has searched)."""
        return self.corpus.open_readers()

    def close(self) -> None:
        self.corpus.close_all()
