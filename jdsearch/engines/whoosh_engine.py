"""The Whoosh engine (pure Python, embedded; the default).

Whoosh receives pre-analysed terms (a trivial tokenizer splits on spaces), so jieba runs once
per distinct clause text at ingest, never inside Whoosh. Only the clause number is stored; the
clause itself is read from SQLite.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from whoosh import columns, scoring, writing
from whoosh import index as windex
from whoosh import query as Q
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.searching import Searcher

from jdsearch.engines import EVERY, And, Every, Filter, IndexDoc, Node, Or, Phrase, Ranked, Term
from jdsearch.store import JdsearchError

_READ_ERRORS = (OSError, EOFError, struct.error, zlib.error, ValueError, KeyError)


class SpaceTokenizer(Tokenizer):
    """Terms separated by single spaces, sequential positions: the analyser already ran."""

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for term in value.split(" "):
            if not term:
                continue
            t.text = term
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = term
            if positions:
                t.pos = pos
            if chars:
                t.startchar = t.endchar = start_char
            yield t
            pos += 1


def schema() -> Schema:
    return Schema(
        # a column only: NUMERIC would also index 16 trie terms per value (half the cost)
        cnum=COLUMN(columns.NumericColumn("Q")),
        doc_id=ID,
        kind=ID,
        lang=ID,
        body=TEXT(analyzer=SpaceTokenizer(), phrase=True),
        gram=TEXT(analyzer=SpaceTokenizer(), phrase=False),
    )


def create(path: Path) -> WhooshEngine:
    path.mkdir(parents=True, exist_ok=True)
    return WhooshEngine(path, windex.create_in(str(path), schema()))


def open(path: Path) -> WhooshEngine:
    try:
        if not windex.exists_in(str(path)):
            raise JdsearchError(f"no search index in {path.parent.parent}: run jdsearch reindex")
        return WhooshEngine(path, windex.open_dir(str(path)))
    except JdsearchError:
        raise
    except Exception as exc:  # whoosh raises many types for damaged files
        raise corrupt(path, exc) from None


def corrupt(path: Path, exc: BaseException) -> JdsearchError:
    first = (str(exc).strip().splitlines() or [""])[0]
    return JdsearchError(
        f"corrupt search index in {path.parent.parent} ({type(exc).__name__}: {first}): "
        "run jdsearch reindex"
    )


class WhooshEngine:
    name = "whoosh"

    def __init__(self, path: Path, ix: windex.Index) -> None:
        self.path = path
        self.ix = ix

    def writer(self, expected_docs: int = 0) -> WhooshWriter:
        return WhooshWriter(self.ix, expected_docs)

    def reader(self) -> WhooshReader:
        return WhooshReader(self.path, self.ix)


class WhooshWriter:
    def __init__(self, ix: windex.Index, expected_docs: int) -> None:
        # Whoosh's pool spills postings to pickled runs once its size estimate passes limitmb
        # (~170 bytes a posting): size it for the batch; big batches use both cores.
        procs = min(2, os.cpu_count() or 1) if expected_docs >= 20000 else 1
        limitmb = min(1024, max(128, expected_docs * 30 * 200 // (1 << 20) // procs))
        if procs > 1:
            self.w = ix.writer(procs=procs, limitmb=limitmb, multisegment=True)
        else:
            self.w = ix.writer(limitmb=limitmb)
        self.bulk = procs > 1

    def add(self, docs: Iterable[IndexDoc]) -> None:
        add = self.w.add_document
        for d in docs:
            add(
                cnum=d.cnum,
                doc_id=d.doc_id,
                kind=d.kind,
                lang=d.lang,
                body=" ".join(d.body),
                gram=" ".join(d.gram),
            )

    def delete_docs(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self.w.delete_by_term("doc_id", doc_id)

    def commit(self) -> None:
        if self.bulk:
            self.w.commit()
        else:
            self.w.commit(mergetype=writing.MERGE_SMALL)

    def cancel(self) -> None:
        self.w.cancel()


class WhooshReader:
    """One searcher (use one per thread: Whoosh searchers are not shared across threads)."""

    def __init__(self, path: Path, ix: windex.Index) -> None:
        self.path = path
        try:
            self.s: Searcher = ix.searcher(weighting=scoring.BM25F())
        except _READ_ERRORS as exc:
            raise corrupt(path, exc) from None
        self._cnum_of_doc: np.ndarray | None = None

    def close(self) -> None:
        self.s.close()

    def count(self) -> int:
        return int(self.s.doc_count())

    # ---- queries
    def search(self, q: Node, flt: Filter, limit: int) -> Ranked:
        if flt.empty:
            return Ranked()
        try:
            wq = compile_node(q)
            allowed = self._filter(flt)
            mask = compile_node(flt.exclude) if flt.exclude is not None else None
            r = self.s.search(wq, limit=limit, filter=allowed, mask=mask)
            n = r.scored_length()
            # Whoosh skips blocks that cannot reach the top, so its own count is an estimate:
            # the exact total is one unscored pass over the matches
            total = n if n < limit else self._count(wq, allowed, mask)
            col = self.s.reader().column_reader("cnum")
            return Ranked(
                cnums=[int(col[r.docnum(i)]) for i in range(n)],
                scores=[float(r.score(i)) for i in range(n)],
                total=total,
            )
        except _READ_ERRORS as exc:
            raise corrupt(self.path, exc) from None

    def _count(self, wq: Q.Query, allowed: Q.Query | set[int] | None, mask: Q.Query | None) -> int:
        r = self.s.search(wq, limit=None, scored=False, filter=allowed, mask=mask)
        return len(r.docs())

    def matches(self, q: Node, flt: Filter) -> np.ndarray:
        """Clause numbers of every match (unscored)."""
        if flt.empty:
            return np.zeros(0, dtype=np.int64)
        try:
            r = self.s.search(
                compile_node(q),
                limit=None,
                scored=False,
                filter=self._filter(flt),
                mask=compile_node(flt.exclude) if flt.exclude is not None else None,
            )
            docs = np.fromiter(r.docs(), dtype=np.int64)
        except _READ_ERRORS as exc:
            raise corrupt(self.path, exc) from None
        return np.sort(self._cnums()[docs])

    # ---- filters
    def _filter(self, flt: Filter) -> Q.Query | set[int] | None:
        parts: list[Q.Query] = []
        for name, values in (("kind", flt.kinds), ("lang", flt.langs)):
            if values:
                terms = [Q.Term(name, v) for v in values]
                parts.append(terms[0] if len(terms) == 1 else Q.Or(terms))
        fq = (parts[0] if len(parts) == 1 else Q.And(parts)) if parts else None
        if flt.allow is None:
            return fq
        docs = self._docnums(flt.allow)
        if fq is not None:
            docs &= set(self.s.docs_for_query(fq))
        return docs

    def _cnums(self) -> np.ndarray:
        """docnum -> cnum (-1 for deleted documents), read once per searcher from the column."""
        if self._cnum_of_doc is None:
            reader = self.s.reader()
            n = reader.doc_count_all()
            col = reader.column_reader("cnum")
            arr = np.fromiter((col[d] for d in range(n)), dtype=np.int64, count=n)
            if reader.has_deletions():
                alive = np.zeros(n, dtype=bool)
                alive[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
                arr[~alive] = -1
            self._cnum_of_doc = arr
        return self._cnum_of_doc

    def _docnums(self, cnums: np.ndarray) -> set[int]:
        return set(np.nonzero(np.isin(self._cnums(), cnums))[0].tolist())


def compile_node(node: Node) -> Q.Query:
    """The engine-neutral query tree as Whoosh query objects."""
    if isinstance(node, Term):
        return Q.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, Phrase):
        if len(node.terms) == 1:
            return Q.Term(node.field, node.terms[0], boost=node.boost)
        return Q.Phrase(node.field, list(node.terms), boost=node.boost)
    if isinstance(node, And):
        return Q.And([compile_node(p) for p in node.parts])
    if isinstance(node, Or):
        return Q.Or([compile_node(p) for p in node.parts])
    if isinstance(node, Every) or node is EVERY:
        return Q.Every()
    raise TypeError(f"not a query node: {node!r}")
