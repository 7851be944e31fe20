"""The Python API: one object per index directory, mirroring the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from jdsearch.ingest import IngestReport, Parser, ProgressFn, ingest
from jdsearch.normalize import LANGS
from jdsearch.segment import KINDS
from jdsearch.store import Clause, ClauseStore, Document, JdsearchError, default_index_dir


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
    ) -> IngestReport:
        """Parse files/folders into typed clauses; unchanged files are not re-parsed."""
        store = self._store(create=True)
        try:
            parser = Parser(text_column=text_column, boilerplate=boilerplate)
            return ingest(store, [str(p) for p in paths], parser=parser, progress=progress)
        finally:
            store.close()

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
