"""The search-index stage: the clause table as an engine index, kept in step with SQLite.

Speed: jieba is the floor of every stage that tokenises, so each distinct matching form is
tokenised once (at ingest, in the parsing processes), cached in the ``tokens`` table, and
handed to the engine pre-analysed. Duplicates, themes and highlights reuse the same analyser.

Consistency: every clause change is queued (``search_queue``) in the transaction that makes it,
and the stage records the clause-table generation it reflects. :func:`sync` applies the queue
(idempotently: a document's clauses are deleted, then added as they are now), so a crash
between the SQLite commit and the engine commit is repaired by the next writer, and a reader
that finds the stage behind knows the index is stale. A full rebuild is written into a new
directory and switched to in one SQLite commit; the old directory is removed afterwards.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from jdsearch.analysis import Analyzer, default_analyzer
from jdsearch.engines import DEFAULT_ENGINE, Engine, IndexDoc, create_engine, open_engine
from jdsearch.store import ClauseStore, JdsearchError, StageState

SEARCH_DIR = "search"
STAGE = "search"
# Bump when the analyser, its dictionaries or the engine documents change: tokens are redone.
ANALYZER_VERSION = "3"
# Bump when the engines' documents change (fields, columns): the index is rebuilt, tokens kept.
INDEX_FORMAT = "2"
_EN_WORD = re.compile(r"[a-z]{3,}")
_PARALLEL_MIN = 4000  # below this, starting processes costs more than it saves

ProgressFn = Callable[[int, int, str], None]


# --------------------------------------------------------------------------- tokenisation
def token_row(an: Analyzer, norm: str) -> tuple[str, str, str, str]:
    """(norm, body, grams, English words) of one matching form: what ``tokens`` caches."""
    body, grams = an.index_fields(norm)
    words = " ".join(sorted(set(_EN_WORD.findall(norm))))
    return norm, " ".join(body), " ".join(grams), words


def _tokenize_chunk(norms: Sequence[str]) -> list[tuple[str, str, str, str]]:
    an = default_analyzer()
    return [token_row(an, n) for n in norms]


def tokenize(norms: Sequence[str], procs: int | None = None) -> list[tuple[str, str, str, str]]:
    """Token rows for many matching forms, in parallel across cores when there are many."""
    procs = procs or os.cpu_count() or 1
    if procs <= 1 or len(norms) < _PARALLEL_MIN:
        return _tokenize_chunk(norms)
    default_analyzer().terms("客户")  # load jieba before forking: children share it
    size = max(500, len(norms) // (procs * 8))
    chunks = [norms[i : i + size] for i in range(0, len(norms), size)]
    with mp.get_context("fork").Pool(procs) as pool:
        parts = pool.map(_tokenize_chunk, chunks, chunksize=1)
    return [row for part in parts for row in part]


def ensure_tokens(store: ClauseStore, norms: Sequence[str] | None = None) -> int:
    """Tokenise (and store) the matching forms that have no cached tokens; returns how many."""
    if norms is None:
        norms = [r[0] for r in store.q("SELECT DISTINCT norm FROM clauses")]
    missing = store.missing_tokens(norms)
    if missing:
        rows = tokenize(missing)
        with store.transaction():
            store.put_tokens(rows)
    return len(missing)


def coarse_tokens(store: ClauseStore, norms: Sequence[str]) -> dict[str, list[str]]:
    """norm -> coarse analyser terms (tokenising what is not cached): for dupes and themes."""
    ensure_tokens(store, norms)
    return {n: body.split() for n, (body, _s, _w) in store.tokens(norms).items()}


# --------------------------------------------------------------------------- state
def stage_version(engine: str) -> str:
    return f"{engine}:{ANALYZER_VERSION}:{INDEX_FORMAT}"


def engine_name(store: ClauseStore) -> str:
    return store.get_meta("engine") or DEFAULT_ENGINE


def location(store: ClauseStore, st: StageState | None) -> Path | None:
    if st is None or not st.location:
        return None
    return store.dir / SEARCH_DIR / st.location


def status(store: ClauseStore) -> tuple[bool, str]:
    """(usable, why not): whether the search index reflects the clause table right now."""
    st = store.stage(STAGE)
    if st is None or location(store, st) is None:
        return False, "the search index has not been built"
    if st.version != stage_version(engine_name(store)):
        return False, "the search index was built by another version of jdsearch"
    if st.generation != store.generation():
        return False, "the search index is behind the clause table (an ingest did not finish)"
    if store.queued()[1]:
        return False, "the search index has changes waiting"
    return True, ""


def open_current(store: ClauseStore) -> tuple[Engine, StageState]:
    """The engine of the current index (whatever its state; callers check :func:`status`)."""
    st = store.stage(STAGE)
    path = location(store, st)
    if st is None or path is None or not path.is_dir():
        raise JdsearchError(
            f"no search index in {store.dir} (run: jdsearch ingest PATH or jdsearch reindex)"
        )
    return open_engine(st.version.split(":")[0], path), st


# --------------------------------------------------------------------------- writing
def _index_docs(
    store: ClauseStore, where: str = "", args: Sequence[object] = ()
) -> Iterator[IndexDoc]:
    sql = (
        "SELECT c.cnum, c.doc_id, c.kind, c.lang, t.body, t.grams FROM clauses c "
        "JOIN tokens t ON t.norm = c.norm " + where
    )
    for cnum, doc_id, kind, lang, body, grams in store.q(sql, args):
        yield IndexDoc(cnum, doc_id, kind, lang, body.split(), grams.split())


def sync(store: ClauseStore, progress: ProgressFn | None = None) -> str:
    """Bring the search index up to the clause table (the caller holds the write lock).

    Returns what was done: "current", "updated" or "rebuilt".
    """
    st = store.stage(STAGE)
    path = location(store, st)
    usable = (
        st is not None
        and path is not None
        and path.is_dir()
        and st.version == stage_version(engine_name(store))
    )
    if not usable:
        rebuild(store, progress)
        return "rebuilt"
    upto, docs = store.queued()
    gen = store.generation()
    if not docs and st.generation == gen:  # type: ignore[union-attr]
        return "current"
    ensure_tokens(store, [r[0] for r in _norms_of(store, docs)])
    engine = open_engine(engine_name(store), path)  # type: ignore[arg-type]
    writer = engine.writer(len(docs) * 12)
    try:
        writer.delete_docs(docs)
        for i in range(0, len(docs), 500):
            part = docs[i : i + 500]
            writer.add(_index_docs(store, f"WHERE c.doc_id IN ({','.join('?' * len(part))})", part))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    with store.transaction():
        store.unqueue(upto)
        store.set_stage(STAGE, gen, version=st.version, location=st.location)  # type: ignore[union-attr]
    return "updated"


def _norms_of(store: ClauseStore, docs: Sequence[str]) -> list[tuple[str]]:
    out: list[tuple[str]] = []
    for i in range(0, len(docs), 900):
        part = docs[i : i + 900]
        out += store.q(
            f"SELECT DISTINCT norm FROM clauses WHERE doc_id IN ({','.join('?' * len(part))})",
            part,
        ).fetchall()
    return out


def rebuild(store: ClauseStore, progress: ProgressFn | None = None) -> int:
    """Index every clause afresh into a new directory, then switch to it in one commit.

    The previous index stays readable (and current for readers) until the switch; a crash
    leaves at most an unused directory, removed by the next rebuild.
    """
    engine_kind = engine_name(store)
    root = store.dir / SEARCH_DIR
    root.mkdir(parents=True, exist_ok=True)
    old = store.stage(STAGE)
    if old is not None and old.version.split(":")[1:2] != [ANALYZER_VERSION]:
        with store.transaction():  # tokens of another analyser version: recompute them all
            store.q("DELETE FROM tokens")
    ensure_tokens(store)
    with store.transaction():
        store.rebuild_vocab()
    gen = store.generation()
    upto = store.queued()[0]
    name = f"{engine_kind}-{gen}-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    path = root / name
    engine = create_engine(engine_kind, path)
    total = store.q("SELECT COUNT(*) FROM clauses").fetchone()[0]
    writer = engine.writer(total)
    try:
        writer.add(_progress(_index_docs(store), total, progress))
        writer.commit()
    except BaseException:
        writer.cancel()
        shutil.rmtree(path, ignore_errors=True)
        raise
    with store.transaction():
        store.unqueue(upto)
        store.set_stage(STAGE, gen, version=stage_version(engine_kind), location=name)
    collect_garbage(store)
    return total


def _progress(
    docs: Iterator[IndexDoc], total: int, progress: ProgressFn | None
) -> Iterator[IndexDoc]:
    for n, d in enumerate(docs, 1):
        if progress and n % 5000 == 0:
            progress(n, total, "indexing")
        yield d


def collect_garbage(store: ClauseStore, grace: float = 60.0) -> None:
    """Remove index directories that are not current (older than ``grace`` seconds, so a reader
    that opened one just before a switch can finish its query)."""
    st = store.stage(STAGE)
    root = store.dir / SEARCH_DIR
    if not root.is_dir():
        return
    now = time.time()
    for child in root.iterdir():
        if st is not None and child.name == st.location:
            continue
        try:
            fresh = now - child.stat().st_mtime < grace
        except OSError:
            continue
        if child.is_dir() and not fresh:
            shutil.rmtree(child, ignore_errors=True)
        elif child.is_file() and not fresh:  # jdsearch 0.1's layout put Whoosh files here
            child.unlink(missing_ok=True)
