"""Search engines behind one small interface: Whoosh (pure Python, the default) and tantivy.

The engines never see raw text: every clause arrives pre-analysed by the one shared analyser
(:mod:`jdsearch.analysis`) as its coarse terms (``body``, one position each, for phrases) and
the character pairs and word parts that find words inside words (``gram``), keyed by the
clause number ``cnum`` (the clause table's integer key). Queries arrive as a tiny
engine-neutral tree (:class:`Term`, :class:`Phrase`, :class:`And`, :class:`Or`,
:data:`EVERY`) built by :mod:`jdsearch.search`. Everything else a
hit shows — text, source, theme, group, posting fields — is joined from SQLite by ``cnum``,
which is why recomputing duplicates or themes never touches an engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

ENGINES = ("whoosh", "tantivy")
DEFAULT_ENGINE = "whoosh"


# --------------------------------------------------------------------------- documents
@dataclass(frozen=True, slots=True)
class IndexDoc:
    """One clause as an engine indexes it."""

    cnum: int
    doc_id: str
    kind: str
    lang: str
    body: Sequence[str]  # coarse terms, one position each
    gram: Sequence[str]  # Han character pairs and alnum parts (no positions)


# --------------------------------------------------------------------------- queries
@dataclass(frozen=True, slots=True)
class Term:
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Phrase:
    field: str
    terms: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Every:
    """Matches every clause (a query made only of filters)."""


Node = Term | Phrase | And | Or | Every
EVERY = Every()


@dataclass
class Filter:
    """Restrictions that do not score: terms of the keyword fields, and a clause-number set
    (themes, groups, documents, posting fields … are resolved to cnums in SQLite)."""

    kinds: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    allow: np.ndarray | None = None  # sorted unique cnums, or None for no restriction
    exclude: Node | None = None

    @property
    def empty(self) -> bool:
        return self.allow is not None and not len(self.allow)


@dataclass
class Ranked:
    """A page of ranked clause numbers and the exact number of matches."""

    cnums: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    total: int = 0


# --------------------------------------------------------------------------- interface
class EngineWriter(Protocol):
    def add(self, docs: Iterable[IndexDoc]) -> None: ...
    def delete_docs(self, doc_ids: Iterable[str]) -> None: ...
    def commit(self) -> None: ...
    def cancel(self) -> None: ...


class EngineReader(Protocol):
    def search(self, q: Node, flt: Filter, limit: int) -> Ranked: ...
    def matches(self, q: Node, flt: Filter) -> np.ndarray: ...
    def count(self) -> int: ...
    def close(self) -> None: ...


class Engine(Protocol):
    name: str

    def writer(self, expected_docs: int = 0) -> EngineWriter: ...
    def reader(self) -> EngineReader: ...


def create_engine(name: str, path: Path) -> Engine:
    """A new, empty index of engine ``name`` in the directory ``path``."""
    return _module(name).create(path)


def open_engine(name: str, path: Path) -> Engine:
    """The existing index in ``path`` (a JdsearchError when it is missing or damaged)."""
    return _module(name).open(path)


def _module(name: str):  # type: ignore[no-untyped-def]
    from jdsearch.store import JdsearchError

    if name == "whoosh":
        from jdsearch.engines import whoosh_engine

        return whoosh_engine
    if name == "tantivy":
        try:
            from jdsearch.engines import tantivy_engine
        except ImportError:
            raise JdsearchError(
                "the tantivy engine needs the tantivy package: pip install 'jdsearch[tantivy]'"
            ) from None
        return tantivy_engine
    raise JdsearchError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
