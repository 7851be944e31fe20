"""The Whoosh full-text index inside the index directory.

Speed: jieba is the floor of every stage that tokenises, so each distinct clause text is
tokenised once (in parallel processes), cached in the clause database, and handed to Whoosh
pre-segmented ("a|sub b c": positions split by spaces, same-position sub-words by '|'), where
a trivial tokenizer indexes it. Duplicates, themes and highlights reuse the same analyser.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from whoosh import index as windex
from whoosh import writing
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, STORED, TEXT, Schema

from jdsearch.analysis import default_analyzer
from jdsearch.normalize import match_key
from jdsearch.store import Clause, ClauseStore, JdsearchError

SEARCH_DIR = "search"
ANALYZER_VERSION = "1"  # bump when the analyser or its dictionaries change: re-tokenises
_EN_WORD = re.compile(r"[a-z]{3,}")
_PARALLEL_MIN = 4000  # below this, starting processes costs more than it saves

ProgressFn = Callable[[int, int, str], None]


class PreTokenized(Tokenizer):
    """Whoosh tokenizer for the pre-segmented form; sequential positions, sub-words share one."""

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
        for group in value.split(" "):
            if not group:
                continue
            for term in group.split("|"):
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


def make_schema() -> Schema:
    return Schema(
        clause_id=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        source=ID(stored=True),
        section=ID,  # the normalised section title; section: filters match within it
        section_text=STORED,
        kind=ID(stored=True),
        lang=ID(stored=True),
        theme=ID(stored=True),
        group=ID(stored=True),
        # a column: Whoosh's collapse and the collapsed total read it without stored fields
        collapse=ID(stored=True, sortable=True),
        position=STORED,
        text=STORED,
        body=TEXT(analyzer=PreTokenized(), phrase=True),
    )


# --------------------------------------------------------------------------- tokenisation
def _token_key(norm: str) -> str:
    return hashlib.sha1((ANALYZER_VERSION + "\x1f" + norm).encode("utf-8")).hexdigest()[:20]


def _tokenize_chunk(texts: Sequence[str]) -> list[tuple[str, str]]:
    """(encoded body, English surface words) for each text: runs in worker processes."""
    an = default_analyzer()
    out = []
    for text in texts:
        norm = an.normalizer.normalize(text)
        words = " ".join(sorted(set(_EN_WORD.findall(norm))))
        out.append((an.encode(text), words))
    return out


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def tokenize_texts(texts: Sequence[str], procs: int | None = None) -> list[tuple[str, str]]:
    """Tokenise many texts, in parallel across cores when there are enough of them."""
    procs = procs or os.cpu_count() or 1
    if procs <= 1 or len(texts) < _PARALLEL_MIN:
        return _tokenize_chunk(texts)
    ctx = mp.get_context("fork")
    size = max(500, len(texts) // (procs * 8))
    with ctx.Pool(procs, initializer=_warm) as pool:
        parts = pool.map(_tokenize_chunk, list(_chunks(texts, size)), chunksize=1)
    return [pair for part in parts for pair in part]


def _warm() -> None:
    from jdsearch.analysis import _jieba

    _jieba()


def ensure_tokens(store: ClauseStore, clauses: Sequence[Clause]) -> dict[str, tuple[str, str]]:
    """Token cache lookup by normalised text; tokenises (and stores) only what is missing."""
    store.db.execute(
        "CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, body TEXT, enwords TEXT)"
    )
    keys = {_token_key(c.norm): c.text for c in clauses}
    cached: dict[str, tuple[str, str]] = {}
    key_list = list(keys)
    for i in range(0, len(key_list), 900):
        part = key_list[i : i + 900]
        rows = store.db.execute(
            f"SELECT key, body, enwords FROM tokens WHERE key IN ({','.join('?' * len(part))})",
            part,
        )
        cached.update({k: (b, w) for k, b, w in rows})
    missing = [k for k in keys if k not in cached]
    if missing:
        results = tokenize_texts([keys[k] for k in missing])
        rows = [(k, b, w) for k, (b, w) in zip(missing, results, strict=True)]
        store.db.execute("BEGIN")
        store.db.executemany("INSERT OR REPLACE INTO tokens VALUES (?,?,?)", rows)
        store.db.execute("COMMIT")
        cached.update({k: (b, w) for k, b, w in rows})
    return {c.clause_id: cached[_token_key(c.norm)] for c in clauses}


def _update_vocab(store: ClauseStore, enwords: Iterable[str], sign: int) -> None:
    """English surface words with document frequencies: the typo-tolerance vocabulary."""
    store.db.execute("CREATE TABLE IF NOT EXISTS vocab (word TEXT PRIMARY KEY, df INTEGER)")
    counts = Counter(w for words in enwords for w in words.split())
    if not counts:
        return
    store.db.execute("BEGIN")
    store.db.executemany(
        "INSERT INTO vocab VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
        [(w, sign * n) for w, n in counts.items()],
    )
    store.db.execute("DELETE FROM vocab WHERE df <= 0")
    store.db.execute("COMMIT")


def load_vocab(store: ClauseStore) -> dict[str, int]:
    store.db.execute("CREATE TABLE IF NOT EXISTS vocab (word TEXT PRIMARY KEY, df INTEGER)")
    return dict(store.db.execute("SELECT word, df FROM vocab"))


# --------------------------------------------------------------------------- the index
def search_dir(index_dir: Path) -> Path:
    return Path(index_dir) / SEARCH_DIR


def open_index(index_dir: Path) -> windex.Index:
    path = search_dir(index_dir)
    try:
        exists = windex.exists_in(str(path))
        ix = windex.open_dir(str(path)) if exists else None
    except Exception as exc:  # whoosh raises many types for damaged files
        raise JdsearchError(
            f"corrupt search index in {index_dir} ({_one_line(exc)}): run jdsearch reindex"
        ) from None
    if ix is None:
        raise JdsearchError(
            f"no search index in {index_dir} (run: jdsearch ingest PATH or jdsearch reindex)"
        )
    return ix


def _exists(store: ClauseStore) -> bool:
    """A readable search index is there (a damaged one counts as missing: it gets rebuilt)."""
    try:
        open_index(store.dir).close()
    except JdsearchError:
        return False
    return True


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _document(c: Clause, body: str, theme: str = "", group: str = "") -> dict:
    return {
        "clause_id": c.clause_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "section": _section_key(c.section),
        "section_text": c.section,
        "kind": c.kind,
        "lang": c.lang,
        "theme": theme,
        "group": group,
        "collapse": group or hashlib.sha1(match_key(c.text).encode()).hexdigest()[:16],
        "position": c.position,
        "text": c.text,
        "body": body,
    }


@lru_cache(maxsize=65536)
def _section_key(section: str) -> str:
    return default_analyzer().normalizer.normalize(section) if section else ""


def _add_all(
    writer: writing.IndexWriter,
    store: ClauseStore,
    clauses: list[Clause],
    labels: dict[str, tuple[str, str]],
    progress: ProgressFn | None,
) -> None:
    tokens = ensure_tokens(store, clauses)
    for n, c in enumerate(clauses, 1):
        body, _words = tokens[c.clause_id]
        theme, group = labels.get(c.clause_id, ("", ""))
        writer.add_document(**_document(c, body, theme, group))
        if progress and n % 5000 == 0:
            progress(n, len(clauses), "indexing")
    _update_vocab(store, [tokens[c.clause_id][1] for c in clauses], +1)


def rebuild(
    store: ClauseStore,
    labels: dict[str, tuple[str, str]] | None = None,
    progress: ProgressFn | None = None,
) -> int:
    """Index every clause afresh; the old index stays readable until the new one is complete."""
    path = search_dir(store.dir)
    tmp = path.with_name(SEARCH_DIR + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ix = windex.create_in(str(tmp), make_schema())
    clauses = list(store.clauses())
    store.db.execute("DROP TABLE IF EXISTS vocab")
    writer = _writer(ix, len(clauses))
    _add_all(writer, store, clauses, store.labels() if labels is None else labels, progress)
    writer.commit()
    ix.close()
    old = path.with_name(SEARCH_DIR + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)
    store.set_meta("search_state", "current")
    return len(clauses)


def _writer(ix: windex.Index, n_docs: int) -> writing.IndexWriter:
    """Whoosh's pool spills every posting to pickled runs once its size estimate passes
    ``limitmb`` (~170 bytes a posting): size it for the batch, and use both cores for big ones."""
    procs = min(2, os.cpu_count() or 1) if n_docs >= 20000 else 1
    limitmb = min(2048, max(256, n_docs * 40 * 200 // (1 << 20) // procs))
    if procs > 1:
        return ix.writer(procs=procs, limitmb=limitmb, multisegment=True)
    return ix.writer(limitmb=limitmb)


def _indexed_clauses(ix: windex.Index, doc_id: str) -> list[Clause]:
    """The clauses of a document as the index holds them (for the vocabulary bookkeeping)."""
    with ix.searcher() as s:
        out = []
        for fields in s.documents(doc_id=doc_id):
            out.append(
                Clause(
                    fields["clause_id"],
                    doc_id,
                    fields["source"],
                    "",
                    "",
                    0,
                    fields["kind"],
                    fields["lang"],
                    fields["text"],
                    default_analyzer().normalizer.normalize(fields["text"]),
                    0,
                    0,
                )
            )
        return out


def update(
    store: ClauseStore,
    removed_docs: Iterable[str],
    added_docs: Iterable[str],
    labels: dict[str, tuple[str, str]] | None = None,
) -> None:
    """Apply ingest changes in place: drop the clauses of changed/removed documents, add the new.

    Changes recorded as pending by earlier ingests that never reached the index are applied too;
    without a usable index (never built, or marked stale) the index is rebuilt whole.
    """
    state = store.get_meta("search_state")
    if state not in ("current", "pending") or not _exists(store):
        rebuild(store, labels)
        return
    pending = json.loads(store.get_meta("search_pending") or '{"removed": [], "added": []}')
    removed = sorted(set(removed_docs) | set(pending["removed"]) | set(pending["added"]))
    added = sorted(set(added_docs) | set(pending["added"]))
    if removed or added:
        ix = open_index(store.dir)
        writer = ix.writer(limitmb=256)
        gone = [c for d in removed for c in _indexed_clauses(ix, d)]
        _update_vocab(store, [w for _, w in ensure_tokens(store, gone).values()], -1)
        for doc_id in removed:
            writer.delete_by_term("doc_id", doc_id)
        clauses = [c for d in added for c in store.clauses(doc_id=d)]
        _add_all(writer, store, clauses, store.labels() if labels is None else labels, None)
        writer.commit(mergetype=writing.MERGE_SMALL)
        ix.close()
    store.set_meta("search_pending", "")
    store.set_meta("search_state", "current")
