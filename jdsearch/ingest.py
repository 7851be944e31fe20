"""Ingestion: files -> documents -> typed clauses (+ their analyser tokens) in the clause table.

Re-ingest is incremental: a file whose size and mtime (or content hash) are unchanged is not
re-parsed; a changed file's clauses are replaced; files gone from an ingested folder are dropped.
Everything a run changes is one SQLite transaction, so an interrupted ingest leaves the
previous state; the search index follows from the queue that transaction fills.

Speed: files are parsed — read, segmented, typed, and their clauses tokenised by jieba — in
worker processes (one parser per worker, forked warm), while this process writes SQLite. The
pool also isolates each file: one that takes longer than ``file_timeout`` seconds or more memory
than ``worker_memory_mb`` is a named skip, not a stalled or crashed ingest.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jdsearch.normalize import HANS, Normalizer, default_normalizer, detect_lang
from jdsearch.readers import (
    DEFAULT_BUDGET,
    SUPPORTED_SUFFIXES,
    RawDocument,
    ReadBudget,
    ReadResult,
    UnreadableFile,
    open_regular,
    read_file,
)
from jdsearch.segment import Segmenter, load_boilerplate
from jdsearch.store import Clause, ClauseStore, Document, JdsearchError
from jdsearch.walk import IGNORE_FILE, iter_files

__all__ = ["IGNORE_FILE", "IngestReport", "ParsedFile", "Parser", "ingest", "iter_files"]

ProgressFn = Callable[[int, int, str], None]
# Bump when segmentation or typing changes what a file parses to: every file is re-parsed
# (so is every file when the packaged word tables or the user's wording table change).
PARSER_VERSION = "2"
_DATA_FILES = (
    "jd_variants.tsv",
    "boilerplate.txt",
    "stopwords_zh.txt",
    "jd_userdict.txt",
    "kinds_model.npz",
    "job_nouns.txt",
)
_PARSING_MODULES = ("readers", "markup", "segment", "kinds", "normalize", "ingest")
FILE_GRACE = 10.0  # seconds past the reader's own deadline before a worker is stopped
WORKER_MEMORY_MB = 1024  # address space a parsing worker may add on top of its start size

# Column names of table rows (csv/tsv/jsonl) that carry the posting's fields.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": (
        "title",
        "job_title",
        "jobtitle",
        "position",
        "job",
        "name",
        "职位",
        "职位名称",
        "岗位",
        "岗位名称",
        "職位",
        "職位名稱",
        "職務名稱",
        "工作名稱",
    ),
    "company": (
        "company",
        "company_name",
        "employer",
        "organization",
        "公司",
        "公司名称",
        "企业",
        "企业名称",
        "公司名稱",
        "企業名稱",
    ),
    "city": (
        "city",
        "location",
        "place",
        "work_location",
        "城市",
        "工作地点",
        "地点",
        "工作地點",
        "地區",
        "地区",
    ),
    "date": (
        "date",
        "posted",
        "post_date",
        "posted_date",
        "published",
        "发布日期",
        "发布时间",
        "刊登日期",
        "更新日期",
    ),
}


@dataclass
class ParsedFile:
    documents: list[Document]
    clauses: list[Clause]
    encoding: str | None
    tokens: list[tuple[str, str, str, str]] = field(default_factory=list)
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
    stages: dict[str, str] = field(default_factory=dict)  # what became of search/dupes/themes
    generation: int | None = None  # the clause-table generation this run made (None: no change)

    def to_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            "stages": self.stages,
            **self.totals,
        }


def _hash_id(*parts: object, length: int = 16) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:length]


def posting_fields(metadata: dict[str, str]) -> dict[str, str]:
    """title / company / city / date from a row's columns (by conventional names)."""
    by_key = {k.strip().lower().replace(" ", "_").replace("-", "_"): v for k, v in metadata.items()}
    out: dict[str, str] = {}
    for name, columns in FIELD_COLUMNS.items():
        for col in columns:
            value = str(by_key.get(col) or "").strip()
            if value:
                out[name] = value[:300]
                break
    return out


def parser_version(parser: Parser) -> str:
    """What a parse depends on: the code version, the packaged tables, the user's tables."""
    from importlib import resources

    h = hashlib.sha1(PARSER_VERSION.encode())
    for module in _PARSING_MODULES:  # any change to the parsing code re-parses every file
        h.update(resources.files("jdsearch").joinpath(f"{module}.py").read_bytes())
    for name in _DATA_FILES:
        h.update(resources.files("jdsearch.data").joinpath(name).read_bytes())
    for key, value in sorted(parser.normalizer.variants.items()):
        h.update(f"{key}\t{value}\n".encode())
    h.update("\n".join(parser.boilerplate_patterns).encode())
    return h.hexdigest()[:16]


class Parser:
    """Turns one file into documents and clauses (no storage): the unit the benchmark times."""

    def __init__(
        self,
        *,
        text_column: str | None = None,
        boilerplate: Iterable[str] = (),
        normalizer: Normalizer | None = None,
        budget: ReadBudget | None = None,
    ) -> None:
        self.text_column = text_column
        self.budget = budget
        self.normalizer = normalizer or default_normalizer()
        self.boilerplate_patterns = list(boilerplate)
        self.segmenter = Segmenter(load_boilerplate(self.boilerplate_patterns), self.normalizer)

    def read(self, path: Path) -> ReadResult:
        """One file's documents within the read budget, and the table rows it had to skip."""
        return read_file(path, text_column=self.text_column, budget=self.budget)

    def parse_file(self, path: Path, source: str, key: str) -> ParsedFile:
        """Read and segment one file. A table row that fails is a named skip (``source#row``);
        a document file that fails raises UnreadableFile with a one-line reason."""
        return self.parse_read(self.read(path), source, key)

    def parse_read(self, result: ReadResult, source: str, key: str) -> ParsedFile:
        parsed = self.parse_documents(result.documents, source, key)
        parsed.skipped[:0] = [(f"{source}#{row}", reason) for row, reason in result.skipped]
        return parsed

    def parse_documents(self, raws: list[RawDocument], source: str, key: str) -> ParsedFile:
        """Documents and clauses of a file's raw documents; a table row that cannot be
        segmented is a named skip (``path#row``), not the end of its file."""
        documents: list[Document] = []
        clauses: list[Clause] = []
        skipped: list[tuple[str, str]] = []
        for raw in raws:
            try:
                doc, doc_clauses = self.parse_document(raw, source, key)
            except Exception as exc:  # one posting's failure must not cost the others
                if raw.row is None:
                    raise UnreadableFile(_failure("cannot segment", exc)) from None
                skipped.append((f"{source}#{raw.row}", _failure("cannot segment", exc)))
                continue
            documents.append(doc)
            clauses.extend(doc_clauses)
        if not documents and skipped:
            raise UnreadableFile(skipped[-1][1])
        return ParsedFile(documents, clauses, raws[0].encoding if raws else None, [], skipped)

    def parse_document(
        self, raw: RawDocument, source: str, key: str
    ) -> tuple[Document, list[Clause]]:
        doc_source = source if raw.row is None else f"{source}#{raw.row}"
        doc_id = _hash_id(key, raw.row if raw.row is not None else "")
        # a whole file (not a table row) whose reader gave no title may open with its job title
        seg = self.segmenter.segment(
            raw.text, title=raw.metadata.get("title", ""), detect_title=raw.row is None
        )
        seen: Counter[str] = Counter()
        clauses = []
        for i, rc in enumerate(seg.clauses):
            # id from the document and the wording (and which copy of it): stable when other
            # clauses of the document are edited, added or removed
            seen[rc.text] += 1
            clauses.append(
                Clause(
                    clause_id=_hash_id(doc_id, rc.text, seen[rc.text]),
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
                    fragment=bool(getattr(rc, "fragment", False)),
                )
            )
        metadata = dict(raw.metadata)
        if seg.title:
            metadata["title"] = seg.title
        metadata.update(
            {k: v for k, v in posting_fields(raw.metadata).items() if k not in metadata}
        )
        doc = Document(
            doc_id=doc_id,
            path=key,
            source=doc_source,
            row=raw.row,
            encoding=raw.encoding,
            lang=detect_lang(raw.text, HANS),
            sections=tuple(seg.sections),
            metadata=metadata,
        )
        return doc, clauses


# --------------------------------------------------------------------------- finding files
@dataclass(frozen=True)
class Entry:
    """A file to ingest (``path`` None: a named skip), with its stable source and root."""

    path: Path | None
    source: str  # stored: relative to the given folder's parent
    root: str
    reason: str | None = None
    shown: str = ""  # in warnings: the path as the user wrote it

    def named(self, source: str) -> str:
        """A skip's name (``source`` or ``source#row``) as the user wrote the path."""
        return (self.shown or self.source) + source[len(self.source) :]


def stable_source(path: Path, root: Path) -> str:
    """The path as users see it wherever they run jdsearch from: relative to the parent of
    the ingested root (``myjds/a.txt`` for ``myjds/``, ``../myjds/`` or ``myjds/a.txt``)."""
    base = root.parent if root.name else root
    try:
        rel = path.relative_to(base)
    except ValueError:
        rel = Path(path.name)
    return rel.as_posix()


def entries_of(paths: Iterable[str], *, follow_links: bool = False) -> Iterator[Entry]:
    """The walk's files and named skips (see ``jdsearch.walk``), each with a stable source:
    the name relative to the given folder's parent, whatever folder jdsearch runs in."""
    for given in paths:
        absolute = Path(os.path.abspath(given))
        is_folder = _is_dir(Path(given))
        root = absolute if is_folder else absolute.parent
        for walked in iter_files([given], follow_links=follow_links):
            if walked.path is None:
                yield Entry(None, walked.source, str(root), walked.reason, walked.source)
                continue
            source = stable_source(Path(os.path.abspath(walked.source)), root)
            yield Entry(walked.path, source, str(root), walked.reason, walked.source)


def _is_dir(path: Path) -> bool:
    """A folder (through links too); an undecodable or looping path is simply not one."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


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


# --------------------------------------------------------------------------- parsing workers
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl"})
ROWS_PER_BATCH = 250  # table rows parsed per job: a big export is spread over the workers
_WORKER: dict[str, object] = {}


def time_budget(nbytes: int, base: float) -> float:
    """Seconds a job may take: ``base`` plus 10 s per MB, so honest large inputs (a 50 MB
    transcript) get linear time while nothing can stall an ingest without bound."""
    return base + 10.0 * nbytes / 1e6


def _init_worker(memory_mb: int) -> None:
    """Cap the worker's address space: a file that inflates past it fails alone. The worker
    also lets go of the index's write lock it inherited (see ``lock.close_inherited``)."""
    import resource

    from jdsearch.lock import close_inherited

    close_inherited()

    try:
        with open("/proc/self/status") as fh:
            size_kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmSize:"))
        limit = (size_kb * 1024) + memory_mb * (1 << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, StopIteration, ValueError):
        pass


def _guard(
    fn: Callable[[], ParsedFile | list[RawDocument]],
) -> ParsedFile | list[RawDocument] | str:
    """Run one job; any failure becomes a one-line reason (a file is skipped, never fatal)."""
    try:
        return fn()
    except UnreadableFile as exc:
        return str(exc) or "unreadable"
    except OSError as exc:
        return (exc.strerror or type(exc).__name__).lower()
    except MemoryError:
        return "too large: parsing needed more memory than allowed"
    except RecursionError:
        return "too deeply nested"
    except Exception as exc:  # a reader or parser bug must not abort the ingest: name it, go on
        return _failure("cannot read", exc)


def _file_job(path: str, source: str, key: str) -> ParsedFile | str:
    """In a worker: read, segment and tokenise one (non-table) file."""
    parser: Parser = _WORKER["parser"]  # type: ignore[assignment]

    def run() -> ParsedFile:
        parsed = parser.parse_file(Path(path), source, key)
        parsed.tokens = _tokens_for(parsed.clauses)
        return parsed

    return _guard(run)  # type: ignore[return-value]


def _read_job(path: str) -> ReadResult | str:
    """In a worker: read a table file into its rows (parsed afterwards in batches)."""
    parser: Parser = _WORKER["parser"]  # type: ignore[assignment]
    return _guard(lambda: parser.read(Path(path)))  # type: ignore[return-value]


def _rows_job(raws: list[RawDocument], source: str, key: str) -> ParsedFile | str:
    """In a worker: segment and tokenise a batch of table rows."""
    parser: Parser = _WORKER["parser"]  # type: ignore[assignment]

    def run() -> ParsedFile:
        parsed = parser.parse_documents(raws, source, key)
        parsed.tokens = _tokens_for(parsed.clauses)
        return parsed

    return _guard(run)  # type: ignore[return-value]


def _tokens_for(clauses: list[Clause]) -> list[tuple[str, str, str, str]]:
    from jdsearch.analysis import default_analyzer
    from jdsearch.index import token_row

    cache: dict[str, tuple[str, str, str, str]] = _WORKER.setdefault("tokens", {})  # type: ignore[assignment]
    an = default_analyzer()
    out = []
    for c in clauses:
        row = cache.get(c.norm)
        if row is None:
            row = token_row(an, c.norm)
            if len(cache) > 200_000:
                cache.clear()
            cache[c.norm] = row
        out.append(row)
    return out


Job = tuple[str, Path, str, str, int]  # (kind "file"/"table", path, source, key, bytes)


class _Runner:
    """Runs parsing jobs in order of the files, in forked worker processes (pebble) when
    ``workers`` > 0, else in this process. Each job has a time budget; a worker that dies (out
    of memory) or overruns costs that file, not the ingest."""

    def __init__(self, parser: Parser, workers: int, options: IngestOptions) -> None:
        _WORKER["parser"] = parser
        self.options = options
        read_seconds = (parser.budget or DEFAULT_BUDGET).max_seconds
        self.timeout = options.file_timeout or read_seconds + FILE_GRACE
        self.pool = None
        if workers:
            import multiprocessing as mp

            from pebble import ProcessPool

            from jdsearch.analysis import default_analyzer

            default_analyzer().terms("客户")  # jieba loads once here; forked workers share it
            self.pool = ProcessPool(
                max_workers=workers,
                initializer=_init_worker,
                initargs=(options.worker_memory_mb,),
                context=mp.get_context("fork"),
            )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool.join()

    def _submit(self, fn: Callable[..., object], args: tuple[object, ...], nbytes: int) -> object:
        if self.pool is None:
            return fn(*args)  # a finished "future": the value itself
        budget = time_budget(nbytes, self.timeout)
        return (self.pool.schedule(fn, args=args, timeout=budget), budget)

    @staticmethod
    def _result(handle: object) -> object:
        if not isinstance(handle, tuple) or len(handle) != 2 or not hasattr(handle[0], "result"):
            return handle
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired

        fut, budget = handle
        try:
            return fut.result()
        except FutureTimeout:
            return f"took longer than {budget:.0f} s to parse (skipped; see --max-seconds)"
        except ProcessExpired as exc:
            return f"parsing crashed its worker (exit code {exc.exitcode}; out of memory?)"
        except MemoryError:
            return "too large: parsing needed more memory than allowed"
        except Exception as exc:  # e.g. the result could not be sent back
            return f"cannot parse ({type(exc).__name__})"

    def run(self, jobs: list[Job]) -> Iterator[ParsedFile | str]:
        """Parsed files (or one-line reasons), in the order of ``jobs``."""
        window = 8  # files in flight ahead of the writer: bounds the memory results take
        pending: list[tuple[Job, object]] = []
        queue = iter(jobs)

        def submit(job: Job) -> None:
            kind, path, source, key, nbytes = job
            if kind == "table":
                pending.append((job, self._submit(_read_job, (str(path),), nbytes)))
            else:
                pending.append((job, self._submit(_file_job, (str(path), source, key), nbytes)))

        for job in queue:
            submit(job)
            if len(pending) >= window:
                break
        while pending:
            job, handle = pending.pop(0)
            nxt = next(queue, None)
            if nxt is not None:
                submit(nxt)
            result = self._result(handle)
            if job[0] == "table" and isinstance(result, ReadResult):
                result = self._rows(job, result)
            yield result  # type: ignore[misc]

    def _rows(self, job: Job, read: ReadResult) -> ParsedFile | str:
        """A table file's rows, parsed in batches spread over the workers, merged in order."""
        _, _, source, key, _ = job
        raws = read.documents
        handles = []
        for i in range(0, len(raws), ROWS_PER_BATCH):
            batch = raws[i : i + ROWS_PER_BATCH]
            nbytes = sum(len(r.text) for r in batch) * 3
            handles.append((batch, self._submit(_rows_job, (batch, source, key), nbytes)))
        merged = ParsedFile([], [], raws[0].encoding if raws else None)
        merged.skipped += [(f"{source}#{row}", reason) for row, reason in read.skipped]
        for batch, handle in handles:
            part = self._result(handle)
            if isinstance(part, str):  # a batch failed: its rows are named skips
                merged.skipped += [(f"{source}#{r.row}", part) for r in batch]
                continue
            merged.documents += part.documents
            merged.clauses += part.clauses
            merged.tokens += part.tokens
            merged.skipped += part.skipped
        if not merged.documents and merged.skipped:
            return merged.skipped[-1][1]
        return merged


# --------------------------------------------------------------------------- the run
@dataclass
class IngestOptions:
    workers: int | None = None  # parsing processes (None: one per core, up to 2; 0: none)
    file_timeout: float | None = None  # hard limit; None: the read budget's seconds + grace
    worker_memory_mb: int = WORKER_MEMORY_MB


def ingest(
    store: ClauseStore,
    paths: Iterable[str],
    *,
    parser: Parser | None = None,
    progress: ProgressFn | None = None,
    options: IngestOptions | None = None,
    follow_links: bool = False,
) -> IngestReport:
    """Ingest ``paths`` (files or folders) into ``store``; bad files are skipped and named.

    Each file is isolated: whatever goes wrong reading, decoding or segmenting it becomes a
    skip with its reason, and the run goes on. Links inside a folder are followed only to
    targets inside it unless ``follow_links``. The caller holds the index's write lock.
    """
    parser = parser or Parser()
    options = options or IngestOptions()
    paths = list(paths)
    report = IngestReport()
    entries = list(entries_of(paths, follow_links=follow_links))
    if paths and not any(os.path.lexists(p) for p in paths):
        shown = ", ".join(e.source for e in entries)
        raise JdsearchError(f"nothing to ingest: no such file or directory: {shown}")
    version = parser_version(parser)
    reparse = store.get_meta("parser_version") != version
    todo: list[tuple[Entry, tuple[int, int, str], bool]] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.path is None:
            report.skipped.append((entry.shown, entry.reason or "unreadable"))
            continue
        key = str(entry.path)
        seen.add(key)
        if entry.path.suffix.lower() not in SUPPORTED_SUFFIXES:
            report.skipped.append(
                (entry.shown, f"unsupported extension {entry.path.suffix or '(none)'}")
            )
            continue
        try:
            size, mtime = _stat(entry.path)
            known = store.file_state(key)
            if known and known[:2] == (size, mtime) and not reparse:
                report.unchanged += 1
                continue
            sha = _sha256(entry.path)
        except UnreadableFile as exc:
            report.skipped.append((entry.shown, str(exc)))
            continue
        except OSError as exc:
            report.skipped.append((entry.shown, (exc.strerror or type(exc).__name__).lower()))
            continue
        if known and known[2] == sha and not reparse:
            todo.append((entry, (size, mtime, sha), False))  # touched, not changed
            continue
        todo.append((entry, (size, mtime, sha), True))
    jobs: list[Job] = [
        (
            "table" if e.path.suffix.lower() in TABLE_SUFFIXES else "file",
            e.path,
            e.source,
            str(e.path),
            st[0],
        )
        for e, st, parse in todo
        if parse and e.path is not None
    ]
    workers = min(2, os.cpu_count() or 1) if options.workers is None else options.workers
    runner = _Runner(parser, workers if jobs else 0, options)
    try:
        results = runner.run(jobs)
        with store.transaction():
            done = 0
            for entry, st, parse in todo:
                done += 1
                if progress:
                    progress(done, len(todo), entry.source)
                key = str(entry.path)
                if not parse:
                    store.touch_file(key, st[0], st[1])
                    report.unchanged += 1
                    continue
                parsed = next(results)
                if isinstance(parsed, str):
                    report.skipped.append((entry.shown, parsed))
                    continue
                _store_file(store, entry, st, parsed, report)
            _remove_missing(store, paths, seen, report)
            if report.removed_docs or report.added_docs:
                report.generation = store.bump_generation()
            store.set_meta("parser_version", version)
    finally:
        runner.close()
    report.totals = store.counts()
    return report


def _store_file(
    store: ClauseStore,
    entry: Entry,
    st: tuple[int, int, str],
    parsed: ParsedFile,
    report: IngestReport,
) -> None:
    key = str(entry.path)
    known = store.file_state(key)
    store.put_tokens(parsed.tokens)
    report.removed_docs.update(
        store.put_file(
            key, entry.source, entry.root, st, parsed.encoding, parsed.documents, parsed.clauses
        )
    )
    report.skipped.extend((entry.named(name), reason) for name, reason in parsed.skipped)
    report.added_docs.update(d.doc_id for d in parsed.documents)
    report.bytes_parsed += st[0]
    report.clauses_written += len(parsed.clauses)
    if known:
        report.updated += 1
    else:
        report.added += 1


def _remove_missing(
    store: ClauseStore, paths: list[str], seen: set[str], report: IngestReport
) -> None:
    """Files that disappeared from an ingested folder."""
    for given in paths:
        p = Path(given)
        if p.is_dir():
            prefix = os.path.abspath(p) + os.sep
            for key in store.known_files(prefix):
                if key not in seen:
                    report.removed_docs.update(store.remove_file(key))
                    report.removed += 1
