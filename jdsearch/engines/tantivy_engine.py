"""The tantivy engine (Rust, via the ``tantivy`` package): for users who need speed.

Same documents and queries as the Whoosh engine: pre-analysed terms as pre-tokenized strings
(tantivy never tokenises), the clause number as a fast field, joins in SQLite. Filters are
constant-score clauses, so they restrict without changing the ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import tantivy

from jdsearch.engines import And, Every, Filter, IndexDoc, Node, Or, Phrase, Ranked, Term
from jdsearch.store import JdsearchError

_MUST, _SHOULD, _NOT = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot
HEAP = 200_000_000  # the writer's memory budget (bytes, split over its threads)


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("cnum", stored=False, indexed=True, fast=True)
    for name in ("doc_id", "kind", "lang"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("body", tokenizer_name="raw", index_option="position")
    sb.add_text_field("gram", tokenizer_name="raw", index_option="freq")
    return sb.build()


def create(path: Path) -> TantivyEngine:
    path.mkdir(parents=True, exist_ok=True)
    return TantivyEngine(path, tantivy.Index(schema(), path=str(path), reuse=False))


def open(path: Path) -> TantivyEngine:
    try:
        if not tantivy.Index.exists(str(path)):
            raise JdsearchError(f"no search index in {path.parent.parent}: run jdsearch reindex")
        try:
            return TantivyEngine(path, tantivy.Index.open(str(path)))
        except ValueError as exc:
            if not _unwritable(exc):
                raise
            return TantivyEngine(path, tantivy.Index.open(str(_snapshot(path))))
    except JdsearchError:
        raise
    except (ValueError, OSError) as exc:
        raise corrupt(path, exc) from None


def _unwritable(exc: BaseException) -> bool:
    """tantivy takes a lock file even to read (tantivy-py has no read-only open, see
    quickwit-oss/tantivy#557): on a read-only medium or without write permission that fails."""
    text = str(exc)
    return "Read-only file system" in text or "Permission denied" in text


def _snapshot(path: Path) -> Path:
    """A private copy of an index folder that cannot take tantivy's lock. The folder never
    changes under a reader (a rebuild writes a new folder), so the copy is exact; it is removed
    when the process exits."""
    import atexit
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="jdsearch-readonly-")) / path.name
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns(".tantivy-*.lock"))
    atexit.register(shutil.rmtree, copy.parent, True)
    return copy


def corrupt(path: Path, exc: BaseException) -> JdsearchError:
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return JdsearchError(
        f"corrupt search index in {path.parent.parent} ({type(exc).__name__}: {first}): "
        "run jdsearch reindex"
    )


class TantivyEngine:
    name = "tantivy"

    def __init__(self, path: Path, ix: tantivy.Index) -> None:
        self.path = path
        self.ix = ix
        self.schema = ix.schema

    def writer(self, expected_docs: int = 0) -> TantivyWriter:
        return TantivyWriter(self.ix)

    def reader(self) -> TantivyReader:
        return TantivyReader(self)


def _pretokenized(terms: Iterable[str]) -> tantivy.PreTokenizedString:
    terms = list(terms)
    tokens = [tantivy.Token(t, i, 0, 0) for i, t in enumerate(terms)]
    return tantivy.PreTokenizedString(" ".join(terms), tokens)


class TantivyWriter:
    def __init__(self, ix: tantivy.Index) -> None:
        try:
            self.w = ix.writer(heap_size=HEAP, num_threads=2)
        except ValueError as exc:
            raise JdsearchError(f"cannot write the tantivy index: {exc}") from None

    def add(self, docs: Iterable[IndexDoc]) -> None:
        for d in docs:
            doc = tantivy.Document()
            doc.add_unsigned("cnum", d.cnum)
            doc.add_text("doc_id", d.doc_id)
            doc.add_text("kind", d.kind)
            doc.add_text("lang", d.lang)
            doc.add_pre_tokenized_text("body", _pretokenized(d.body))
            doc.add_pre_tokenized_text("gram", _pretokenized(d.gram))
            self.w.add_document(doc)

    def delete_docs(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self.w.delete_documents_by_term("doc_id", doc_id)

    def commit(self) -> None:
        self.w.commit()
        self.w.wait_merging_threads()

    def cancel(self) -> None:
        self.w.rollback()


class TantivyReader:
    def __init__(self, engine: TantivyEngine) -> None:
        self.engine = engine
        self.schema = engine.schema
        try:
            engine.ix.reload()
            self.s = engine.ix.searcher()
        except ValueError as exc:
            raise corrupt(engine.path, exc) from None

    def close(self) -> None:
        self.s = None  # type: ignore[assignment]

    def count(self) -> int:
        return int(self.s.num_docs)

    def _query(self, q: Node, flt: Filter) -> tantivy.Query:
        clauses = [(_MUST, compile_node(q, self.schema))]
        for name, values in (("kind", flt.kinds), ("lang", flt.langs)):
            if values:
                terms = tantivy.Query.term_set_query(self.schema, name, list(values))
                clauses.append((_MUST, _const(terms)))
        if flt.allow is not None:
            allowed = tantivy.Query.term_set_query(self.schema, "cnum", flt.allow.tolist())
            clauses.append((_MUST, _const(allowed)))
        if flt.exclude is not None:
            clauses.append((_NOT, compile_node(flt.exclude, self.schema)))
        return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def search(self, q: Node, flt: Filter, limit: int) -> Ranked:
        if flt.empty:
            return Ranked()
        try:
            r = self.s.search(self._query(q, flt), limit=limit, count=True)
            addrs = [a for _, a in r.hits]
            cnums = self.s.fast_field_values("cnum", addrs) if addrs else []
        except ValueError as exc:
            raise corrupt(self.engine.path, exc) from None
        return Ranked(
            cnums=[int(c) for c in cnums],
            scores=[float(score) for score, _ in r.hits],
            total=int(r.count or 0),
        )

    def matches(self, q: Node, flt: Filter) -> np.ndarray:
        if flt.empty:
            return np.zeros(0, dtype=np.int64)
        query = self._query(q, flt)
        try:
            n = int(self.s.search(query, limit=1, count=True).count or 0)
            if not n:
                return np.zeros(0, dtype=np.int64)
            hits = self.s.search(query, limit=n, count=False).hits
            cnums = self.s.fast_field_values("cnum", [a for _, a in hits])
        except ValueError as exc:
            raise corrupt(self.engine.path, exc) from None
        return np.sort(np.fromiter(cnums, dtype=np.int64, count=len(cnums)))


def _const(q: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.const_score_query(q, 0.0)


def compile_node(node: Node, schema: tantivy.Schema) -> tantivy.Query:
    """The engine-neutral query tree as tantivy queries."""
    if isinstance(node, Term):
        q = tantivy.Query.term_query(schema, node.field, node.text)
        return q if node.boost == 1.0 else tantivy.Query.boost_query(q, node.boost)
    if isinstance(node, Phrase):
        if len(node.terms) == 1:
            q = tantivy.Query.term_query(schema, node.field, node.terms[0])
        else:
            q = tantivy.Query.phrase_query(schema, node.field, list(node.terms))
        return q if node.boost == 1.0 else tantivy.Query.boost_query(q, node.boost)
    if isinstance(node, And):
        return tantivy.Query.boolean_query([(_MUST, compile_node(p, schema)) for p in node.parts])
    if isinstance(node, Or):
        return tantivy.Query.boolean_query([(_SHOULD, compile_node(p, schema)) for p in node.parts])
    if isinstance(node, Every):
        return tantivy.Query.all_query()
    raise TypeError(f"not a query node: {node!r}")
