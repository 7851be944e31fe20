"""Ingestion: files -> documents -> typed clauses in the clause table.

Re-ingest is incremental: a file whose size and mtime (or content hash) are unchanged is not
re-parsed; a changed file's clauses are replaced; files gone from an ingested folder are dropped.
The whole run is one transaction, so an interrupted ingest leaves the previous state.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jdsearch.normalize import HANS, default_normalizer, detect_lang
from jdsearch.readers import (
    SUPPORTED_SUFFIXES,
    RawDocument,
    ReadBudget,
    UnreadableFile,
    open_regular,
    read_file,
)
from jdsearch.segment import Segmenter, load_boilerplate
from jdsearch.store import Clause, ClauseStore, Document, JdsearchError
from jdsearch.walk import IGNORE_FILE, iter_files

__all__ = ["IGNORE_FILE", "IngestReport", "ParsedFile", "Parser", "ingest", "iter_files"]

ProgressFn = Callable[[int, int, str], None]


@dataclass
class ParsedFile:
    documents: list[Document]
    clauses: list[Clause]
    encoding: str | None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source#row, reason)


@dataclass
class IngestReport:
    """What one ``ingest`` run did, plus the table's totals afterwards."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed_docs: set[str] = field(default_factory=set)
    added_docs: set[str] = field(default_factory=set)
    bytes_parsed: int = 0
    clauses_written: int = 0
    totals: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            **self.totals,
        }


def _hash_id(*parts: object, length: int = 16) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:length]


class Parser:
    """Turns one file into documents and clauses (no storage): the unit the benchmark times."""

    def __init__(
        self,
        *,
        text_column: str | None = None,
        boilerplate: Iterable[str] = (),
        budget: ReadBudget | None = None,
    ) -> None:
        self.text_column = text_column
        self.budget = budget
        self.segmenter = Segmenter(load_boilerplate(boilerplate), default_normalizer())
        self.normalizer = default_normalizer()

    def parse_file(self, path: Path, source: str, key: str) -> ParsedFile:
        """Read and segment one file. A table row that fails is a named skip (``source#row``);
        a document file that fails raises UnreadableFile with a one-line reason."""
        result = read_file(path, text_column=self.text_column, budget=self.budget)
        skipped = [(f"{source}#{row}", reason) for row, reason in result.skipped]
        documents: list[Document] = []
        clauses: list[Clause] = []
        for raw in result.documents:
            try:
                doc, doc_clauses = self.parse_document(raw, source, key)
            except Exception as exc:  # one posting's failure must not cost the others
                if raw.row is None:
                    raise UnreadableFile(_failure("cannot segment", exc)) from None
                skipped.append((f"{source}#{raw.row}", _failure("cannot segment", exc)))
                continue
            documents.append(doc)
            clauses.extend(doc_clauses)
        if not documents and result.documents:
            raise UnreadableFile(skipped[-1][1])
        encoding = result.documents[0].encoding if result.documents else None
        return ParsedFile(documents, clauses, encoding, skipped)

    def parse_document(
        self, raw: RawDocument, source: str, key: str
    ) -> tuple[Document, list[Clause]]:
        doc_source = source if raw.row is None else f"{source}#{raw.row}"
        doc_id = _hash_id(key, raw.row if raw.row is not None else "")
        seg = self.segmenter.segment(raw.text, title=raw.metadata.get("title", ""))
        clauses = [
            Clause(
                clause_id=_hash_id(doc_id, i, rc.text),
                doc_id=doc_id,
                source=doc_source,
                section=rc.section,
                heading=rc.heading,
                position=i,
                kind=rc.kind,
                lang=rc.lang,
                text=rc.text,
                norm=rc.norm,
                start=rc.spans[0][0],
                end=rc.spans[-1][1],
            )
            for i, rc in enumerate(seg.clauses)
        ]
        doc = Document(
            doc_id=doc_id,
            path=key,
            source=doc_source,
            row=raw.row,
            encoding=raw.encoding,
            lang=detect_lang(raw.text, HANS),
            sections=tuple(seg.sections),
            metadata=raw.metadata,
        )
        return doc, clauses


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _failure(what: str, exc: BaseException) -> str:
    """A one-line reason for an unexpected error, naming its type (a bug to report)."""
    lines = str(exc).strip().splitlines()
    detail = f": {lines[0][:120]}" if lines else ""
    return f"{what}: {type(exc).__name__}{detail}".encode("utf-8", "replace").decode("utf-8")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ingest(
    store: ClauseStore,
    paths: Iterable[str],
    *,
    parser: Parser | None = None,
    progress: ProgressFn | None = None,
    follow_links: bool = False,
) -> IngestReport:
    """Ingest ``paths`` (files or folders) into ``store``; bad files are skipped and named.

    Each file is isolated: whatever goes wrong reading, decoding or segmenting it becomes a
    skip with its reason, and the run goes on. Links inside a folder are followed only to
    targets inside it unless ``follow_links``.
    """
    parser = parser or Parser()
    paths = list(paths)
    report = IngestReport()
    entries = list(iter_files(paths, follow_links=follow_links))
    if paths and not any(os.path.lexists(p) for p in paths):
        shown = ", ".join(e.source for e in entries)
        raise JdsearchError(f"nothing to ingest: no such file or directory: {shown}")
    seen: set[str] = set()
    with store.transaction():
        for n, (path, source, reason) in enumerate(entries, 1):
            if progress:
                progress(n, len(entries), source)
            if path is None:
                report.skipped.append((source, reason or "unreadable"))
                continue
            key = str(path)  # the walk resolved it: one key per real file
            seen.add(key)
            _ingest_one(store, parser, path, source, key, report)
        for given in paths:  # files that disappeared from an ingested folder
            p = Path(given)
            if _is_dir(p):
                prefix = str(p.resolve()) + os.sep
                for key in store.known_files(prefix):
                    if key not in seen:
                        report.removed_docs.update(store.remove_file(key))
                        report.removed += 1
        if report.removed_docs or report.added_docs:
            mark_pending(store, report.removed_docs, report.added_docs)
    report.totals = store.counts()
    return report


def _is_dir(path: Path) -> bool:
    """A folder (through links too); an undecodable or looping path is simply not one."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def mark_pending(store: ClauseStore, removed: Iterable[str], added: Iterable[str]) -> None:
    """Record, in the ingest's own transaction, which documents the search index must update.

    Pending changes accumulate until the index applies them, so a crash between the SQLite
    commit and the index update is repaired incrementally by the next run.
    """
    state = store.get_meta("search_state")
    if state not in ("current", "pending"):
        return  # no usable search index: the next update rebuilds it whole
    pending = json.loads(store.get_meta("search_pending") or '{"removed": [], "added": []}')
    pending["removed"] = sorted(set(pending["removed"]) | set(removed))
    pending["added"] = sorted(set(pending["added"]) | set(added))
    store.set_meta("search_pending", json.dumps(pending))
    store.set_meta("search_state", "pending")


def _ingest_one(
    store: ClauseStore, parser: Parser, path: Path, source: str, key: str, report: IngestReport
) -> None:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        report.skipped.append((source, f"unsupported extension {path.suffix or '(none)'}"))
        return
    try:
        size, mtime = _stat(path)
        known = store.file_state(key)
        if known and known[:2] == (size, mtime):
            report.unchanged += 1
            return
        sha = _sha256(path)
        if known and known[2] == sha:
            store.touch_file(key, size, mtime)
            report.unchanged += 1
            return
        parsed = parser.parse_file(path, source, key)
    except UnreadableFile as exc:
        report.skipped.append((source, str(exc)))
        return
    except OSError as exc:
        report.skipped.append((source, (exc.strerror or type(exc).__name__).lower()))
        return
    except Exception as exc:  # per-file isolation: a reader bug must not abort the run
        report.skipped.append((source, _failure("cannot read", exc)))
        return
    report.skipped.extend(parsed.skipped)
    report.removed_docs.update(
        store.put_file(
            key, source, (size, mtime, sha), parsed.encoding, parsed.documents, parsed.clauses
        )
    )
    report.added_docs.update(d.doc_id for d in parsed.documents)
    report.bytes_parsed += size
    report.clauses_written += len(parsed.clauses)
    if known:
        report.updated += 1
    else:
        report.added += 1
