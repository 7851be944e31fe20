"""The Whoosh engine (pure Python, embedded; the default).

Whoosh receives pre-analysed terms (a trivial tokenizer splits on spaces), so jieba runs once
per distinct clause text at ingest, never inside Whoosh. Only the clause number is stored; the
clause itself is read from SQLite.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import OrderedDict
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
        # columns only: NUMERIC would also index 16 trie terms per value (half the cost)
        cnum=COLUMN(columns.NumericColumn("Q")),
        blen=COLUMN(columns.NumericColumn("H")),  # words in body: BM25's length
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
                blen=min(len(d.body), 65535),
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
    """Queries over one Whoosh searcher (one per thread: searchers are not shared).

    Whoosh's own matchers walk every posting through a tree of Python objects: with the
    alternatives a query expands to (words inside words, other wordings, compounds) that is
    100+ ms on a 150k-clause index. Here each posting list is read once — block by block,
    straight into numpy — and cached, and the query tree is evaluated with array set
    operations and BM25 over the term frequencies; Whoosh stays the storage, the format and
    the phrase matcher (phrase candidates are confirmed with its own position matching).
    """

    K1, B = 1.2, 0.75  # BM25, as Whoosh's BM25F defaults
    CACHE_POSTINGS = 8_000_000  # postings kept in memory per searcher (ids + frequencies)

    def __init__(self, path: Path, ix: windex.Index) -> None:
        self.path = path
        try:
            self.s: Searcher = ix.searcher(weighting=scoring.BM25F())
            self.reader = self.s.reader()
            self.n_all = self.reader.doc_count_all()
        except _READ_ERRORS as exc:
            raise corrupt(path, exc) from None
        self._cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached = 0
        self._columns: dict[str, np.ndarray] = {}
        self._live: np.ndarray | None = None
        self._avg: dict[str, float] = {}

    def close(self) -> None:
        self.s.close()

    def count(self) -> int:
        return int(self.s.doc_count())

    # ---- the interface
    def search(self, q: Node, flt: Filter, limit: int) -> Ranked:
        if flt.empty:
            return Ranked()
        try:
            ids, scores = self._matches(q, flt)
        except _READ_ERRORS as exc:
            raise corrupt(self.path, exc) from None
        if not len(ids):
            return Ranked()
        k = min(limit, len(ids))
        # best scores first; equal scores in index order (stable, like Whoosh)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.lexsort((ids[top], -scores[top]))]
        cnums = self._cnums()[ids[top]]
        return Ranked(cnums.tolist(), scores[top].astype(float).tolist(), len(ids))

    def matches(self, q: Node, flt: Filter) -> np.ndarray:
        """Clause numbers of every match."""
        if flt.empty:
            return np.zeros(0, dtype=np.int64)
        try:
            ids, _ = self._matches(q, flt)
        except _READ_ERRORS as exc:
            raise corrupt(self.path, exc) from None
        return np.sort(self._cnums()[ids])

    # ---- evaluation
    def _matches(self, q: Node, flt: Filter) -> tuple[np.ndarray, np.ndarray]:
        ids, scores = self._eval(q)
        keep = np.ones(len(ids), dtype=bool)
        for name, values in (("kind", flt.kinds), ("lang", flt.langs)):
            if values:
                allowed = _union([self._postings(name, v)[0] for v in values])
                keep &= np.isin(ids, allowed, assume_unique=True)
        if flt.allow is not None:
            keep &= np.isin(self._cnums()[ids], flt.allow)
        if flt.exclude is not None:
            keep &= ~np.isin(ids, self._eval(flt.exclude)[0], assume_unique=True)
        return ids[keep], scores[keep]

    def _eval(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        """(sorted docnums, scores) of the documents matching ``node``."""
        if isinstance(node, Term):
            return self._term(node)
        if isinstance(node, Phrase):
            return self._phrase(node)
        if isinstance(node, And):
            parts = sorted((self._eval(p) for p in node.parts), key=lambda r: len(r[0]))
            ids, scores = parts[0]
            for other_ids, other_scores in parts[1:]:
                if not len(ids):
                    break
                pos = np.searchsorted(other_ids, ids)
                pos[pos == len(other_ids)] = 0
                hit = other_ids[pos] == ids if len(other_ids) else np.zeros(len(ids), bool)
                ids, scores = ids[hit], scores[hit] + other_scores[pos[hit]]
            return ids, scores
        if isinstance(node, Or):
            parts = [self._eval(p) for p in node.parts]
            all_ids = np.concatenate([p[0] for p in parts])
            all_scores = np.concatenate([p[1] for p in parts])
            ids, inverse = np.unique(all_ids, return_inverse=True)
            return ids, np.bincount(inverse, weights=all_scores, minlength=len(ids))
        if isinstance(node, Every):
            ids = np.nonzero(self._live_mask())[0]
            return ids, np.zeros(len(ids))
        raise TypeError(f"not a query node: {node!r}")

    def _term(self, t: Term) -> tuple[np.ndarray, np.ndarray]:
        ids, tf = self._postings(t.field, t.text)
        if not len(ids):
            return ids, np.zeros(0)
        n = max(self.count(), 1)
        idf = np.log(1.0 + (n - len(ids) + 0.5) / (len(ids) + 0.5))
        if t.field == "body":  # length-normalised by the clause's number of words
            length = self._column("blen")[ids]
            norm = self.K1 * (1 - self.B + self.B * length / self._avg_length())
        else:  # character pairs: no length normalisation
            norm = np.full(len(ids), self.K1)
        return ids, t.boost * idf * tf * (self.K1 + 1) / (tf + norm)

    def _phrase(self, p: Phrase) -> tuple[np.ndarray, np.ndarray]:
        """Candidates from the terms' postings, confirmed by Whoosh's phrase matcher."""
        ids, scores = self._eval(And(tuple(Term(p.field, t, p.boost) for t in p.terms)))
        if not len(ids) or len(p.terms) < 2:
            return ids, scores
        wq = Q.Phrase(p.field, list(p.terms))
        keep = np.zeros(len(ids), dtype=bool)
        for sub, offset in self.s.leaf_searchers():
            lo, hi = np.searchsorted(ids, [offset, offset + sub.doc_count_all()])
            if lo == hi:
                continue
            m = wq.matcher(sub, sub.boolean_context())
            for i in range(lo, hi):
                doc = int(ids[i]) - offset
                if not m.is_active():
                    break
                if m.id() < doc:
                    m.skip_to(doc)
                keep[i] = m.is_active() and m.id() == doc
        return ids[keep], scores[keep]

    # ---- postings and columns, read once
    def _postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (field, text)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        ids_parts: list[np.ndarray] = []
        tf_parts: list[np.ndarray] = []
        for seg, offset in self.reader.leaf_readers():
            if (field, text) not in seg:
                continue
            m = seg.postings(field, text)
            if all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block")):
                while m.is_active():  # whole blocks at a time (Whoosh 2.7's own block reader)
                    m._read_ids()
                    m._read_weights()
                    ids_parts.append(np.asarray(m._ids, dtype=np.int64) + offset)
                    tf_parts.append(np.asarray(m._weights, dtype=np.float64))
                    m._next_block()
            else:  # any other codec: one posting at a time
                ids_one, tf_one = [], []
                while m.is_active():
                    ids_one.append(m.id())
                    tf_one.append(m.weight())
                    m.next()
                ids_parts.append(np.array(ids_one, dtype=np.int64) + offset)
                tf_parts.append(np.array(tf_one, dtype=np.float64))
        ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64)
        tf = np.concatenate(tf_parts) if tf_parts else np.zeros(0)
        if len(ids) and self.reader.has_deletions():
            live = self._live_mask()[ids]
            ids, tf = ids[live], tf[live]
        self._remember(key, (ids, tf))
        return ids, tf

    def _remember(self, key: tuple[str, str], value: tuple[np.ndarray, np.ndarray]) -> None:
        self._cache[key] = value
        self._cached += len(value[0])
        while self._cached > self.CACHE_POSTINGS and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old[0])

    def _live_mask(self) -> np.ndarray:
        if self._live is None:
            live = np.ones(self.n_all, dtype=bool)
            if self.reader.has_deletions():
                live[:] = False
                live[np.fromiter(self.reader.all_doc_ids(), dtype=np.int64)] = True
            self._live = live
        return self._live

    def _avg_length(self) -> float:
        if "blen" not in self._avg:
            lengths = self._column("blen")[self._live_mask()]
            self._avg["blen"] = float(lengths.mean()) if len(lengths) else 1.0
        return max(self._avg["blen"], 1.0)

    def _cnums(self) -> np.ndarray:
        """docnum -> cnum (deleted documents keep theirs; they never match)."""
        return self._column("cnum")

    def _column(self, name: str) -> np.ndarray:
        """A numeric column for every document, read per segment in one piece."""
        if name not in self._columns:
            parts = []
            for seg, _offset in self.reader.leaf_readers():
                n = seg.doc_count_all()
                col = seg.column_reader(name, translate=False)
                fixed = getattr(col, "_fixedlen", None)
                if fixed in (2, 8) and hasattr(col, "_dbfile") and hasattr(col, "_basepos"):
                    raw = col._dbfile.get(col._basepos, col._count * fixed)
                    arr = np.frombuffer(raw, dtype=">u2" if fixed == 2 else ">u8").astype(np.int64)
                else:  # another column layout: value by value
                    arr = np.fromiter((col[d] for d in range(n)), dtype=np.int64, count=n)
                parts.append(np.pad(arr, (0, n - len(arr))))  # trailing defaults are not stored
            self._columns[name] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return self._columns[name]


def _union(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


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
