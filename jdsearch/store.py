"""The clause table and every stage's state: one SQLite database inside the index directory.

Why SQLite: it ships with Python, commits a whole ingest atomically (a crash or Ctrl-C leaves
the previous state), lets readers read while one writer writes (WAL), streams rows without
loading the table, and filters by kind/lang/document with indexes.

The database is the source of truth. Everything else is derived from it and says from which
*generation* of the clause table it was built: the search index, the duplicate groups and the
themes each have a row in ``stages``. Every write that changes clauses bumps ``generation`` in
the same transaction and queues the changed documents for the search index, so a derived stage
that is behind can always be detected (and repaired) instead of serving stale data silently.

Schema changes are migrations (``MIGRATIONS``), applied in order and recorded in
``PRAGMA user_version``; no read path creates tables.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

DB_NAME = "clauses.sqlite"
DOC_FIELDS = ("title", "company", "city", "date")  # posting metadata searchable as fields


class JdsearchError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits 1."""


class IndexUnavailable(JdsearchError):
    """There is no (complete) index, or a stage was never computed: the API answers 503."""


class IndexBusy(JdsearchError):
    """Another process holds the write lock (or SQLite's) and did not let go in time."""


@dataclass(frozen=True)
class Clause:
    """One typed duty clause. ``text`` is the original wording, ``norm`` its matching form."""

    clause_id: str
    doc_id: str
    source: str
    section: str
    heading: str
    position: int
    kind: str
    lang: str
    text: str
    norm: str
    start: int
    end: int
    fragment: bool = False  # cannot stand alone (项目工作制。): typed, but not themed

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    source: str
    row: int | None
    encoding: str | None
    lang: str
    sections: tuple[str, ...]
    metadata: dict[str, str]

    def field(self, name: str) -> str:
        """A posting field (title, company, city, date) from the metadata, '' if absent."""
        return str(self.metadata.get(name) or "").strip()


CLAUSE_COLUMNS = [f.name for f in fields(Clause)]
_SELECT_CLAUSE = "SELECT " + ",".join(f'c."{k}"' for k in CLAUSE_COLUMNS) + " FROM clauses c"

# Each entry moves the schema one version up; an index is migrated when it is opened by a
# writer. Version 1 is the schema of jdsearch 0.1 (its version lived in meta, not user_version).
MIGRATIONS: list[str] = [
    # 0 -> 1
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE IF NOT EXISTS files (
        path TEXT PRIMARY KEY, source TEXT, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
        encoding TEXT, status TEXT, reason TEXT
    );
    CREATE TABLE IF NOT EXISTS documents (
        doc_id TEXT PRIMARY KEY, path TEXT, source TEXT, row INTEGER, encoding TEXT, lang TEXT,
        sections TEXT, metadata TEXT
    );
    CREATE INDEX IF NOT EXISTS documents_path ON documents(path);
    CREATE TABLE IF NOT EXISTS clauses (
        clause_id TEXT PRIMARY KEY, doc_id TEXT, source TEXT, section TEXT, heading TEXT,
        position INTEGER, kind TEXT, lang TEXT, text TEXT, norm TEXT, start INTEGER, "end" INTEGER
    );
    CREATE TABLE IF NOT EXISTS dupe_members (
        clause_id TEXT PRIMARY KEY, group_id TEXT, canonical_id TEXT, similarity REAL,
        relation TEXT, rank INTEGER
    );
    CREATE TABLE IF NOT EXISTS themes (clause_id TEXT PRIMARY KEY, theme_id TEXT);
    """,
    # 1 -> 2: clause numbers (the search engines' key), posting fields, stages, queue, tokens
    """
    CREATE TABLE clauses_v2 (
        cnum INTEGER PRIMARY KEY, clause_id TEXT NOT NULL UNIQUE, doc_id TEXT, source TEXT,
        section TEXT, heading TEXT, position INTEGER, kind TEXT, lang TEXT, text TEXT, norm TEXT,
        start INTEGER, "end" INTEGER, fragment INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO clauses_v2 (clause_id, doc_id, source, section, heading, position, kind, lang,
                            text, norm, start, "end")
        SELECT clause_id, doc_id, source, section, heading, position, kind, lang, text, norm,
               start, "end" FROM clauses ORDER BY rowid;
    DROP TABLE clauses;
    ALTER TABLE clauses_v2 RENAME TO clauses;
    CREATE INDEX clauses_doc ON clauses(doc_id, position);
    CREATE INDEX clauses_kind_lang ON clauses(kind, lang);
    CREATE INDEX clauses_norm ON clauses(norm);
    ALTER TABLE files ADD COLUMN root TEXT;
    ALTER TABLE documents ADD COLUMN title TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN company TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN city TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN date TEXT NOT NULL DEFAULT '';
    DROP TABLE IF EXISTS tokens;
    CREATE TABLE tokens (norm TEXT PRIMARY KEY, body TEXT, grams TEXT, enwords TEXT);
    DROP TABLE IF EXISTS vocab;
    CREATE TABLE vocab (word TEXT PRIMARY KEY, df INTEGER NOT NULL);
    CREATE TABLE search_queue (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL);
    CREATE TABLE stages (
        name TEXT PRIMARY KEY, generation INTEGER NOT NULL, version TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '', location TEXT NOT NULL DEFAULT '',
        serial INTEGER NOT NULL DEFAULT 0,
        updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX dupe_members_group ON dupe_members(group_id, rank);
    CREATE INDEX themes_theme ON themes(theme_id);
    DELETE FROM meta WHERE key IN ('dupes_state', 'themes_state', 'search_state',
                                   'search_pending', 'schema_version');
    INSERT OR REPLACE INTO meta VALUES ('generation', '1');
    """,
    # 2 -> 3: duplicate groups keep their verified pairs (incremental updates), members their
    # values (variants: same requirement, another value), groups their value-free template
    """
    ALTER TABLE dupe_members ADD COLUMN value TEXT NOT NULL DEFAULT '';
    CREATE TABLE dupe_edges (a TEXT NOT NULL, b TEXT NOT NULL, score INTEGER NOT NULL,
                             kind TEXT NOT NULL);
    CREATE TABLE dupe_groups (group_id TEXT PRIMARY KEY, template TEXT NOT NULL DEFAULT '');
    DELETE FROM stages WHERE name IN ('dupes', 'themes');
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_index_dir() -> Path:
    """``$JDSEARCH_INDEX`` or ``./index``."""
    return Path(os.environ.get("JDSEARCH_INDEX") or "index")


def _is_readonly_error(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


class ClauseStore:
    """A connection to ``DIR/clauses.sqlite``.

    ``create=True`` makes the directory and database and migrates the schema (writers);
    readers open an existing database as it is (a read-only file system works too: the
    database is then opened immutable) and are told to re-ingest when the schema is older.
    """

    def __init__(self, index_dir: Path | str | None = None, *, create: bool = False) -> None:
        self.dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self.path = self.dir / DB_NAME
        self.readonly = False
        self._lock = threading.RLock()
        if not create and not self.path.is_file():
            raise JdsearchError(
                f"no index at {self.dir} (run: jdsearch ingest PATH --index {self.dir})"
            )
        if create:
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise JdsearchError(
                    f"cannot create index directory {self.dir}: {exc.strerror}"
                ) from None
        self.db = self._connect(create)
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                if self.readonly or not create:
                    version = self._legacy_version(version)
                if version < SCHEMA_VERSION and create:
                    self._migrate(version)
                elif version < SCHEMA_VERSION:
                    raise JdsearchError(
                        f"index at {self.dir} was made by an older jdsearch: run jdsearch "
                        f"ingest (or reindex) on it once to upgrade it"
                    )
            elif version > SCHEMA_VERSION:
                raise JdsearchError(
                    f"index at {self.dir} was made by a newer jdsearch (schema {version}); "
                    "upgrade jdsearch"
                )
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise self.error(exc) from None

    # ---- connection
    def _connect(self, create: bool) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path, isolation_level=None, timeout=30.0, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=OFF")
            return db
        except sqlite3.OperationalError as exc:
            if create or not _is_readonly_error(exc):
                raise self.error(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self.error(exc) from None
        # a read-only directory or file system: SQLite cannot create the WAL's -shm file
        self.readonly = True
        try:
            uri = self.path.resolve().as_uri() + "?immutable=1"
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise self.error(exc) from None

    def error(self, exc: sqlite3.Error) -> JdsearchError:
        """What a SQLite failure means for the user, in one true line."""
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return IndexBusy(
                f"index at {self.dir} is busy (another jdsearch is writing); try again shortly"
            )
        if "readonly" in text or "read-only" in text:
            return JdsearchError(f"index at {self.dir} is read-only: cannot write to it")
        if "unable to open" in text:
            return JdsearchError(f"cannot open index at {self.dir}: {exc}")
        if "disk" in text and "full" in text:
            return JdsearchError(f"no space left to write the index at {self.dir}")
        return JdsearchError(f"corrupt index at {self.dir}: {exc} (re-create it with ingest)")

    def _legacy_version(self, version: int) -> int:
        """jdsearch 0.1 kept its schema version in meta (user_version 0)."""
        if version:
            return version
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def _migrate(self, version: int) -> None:
        version = self._legacy_version(version)
        for target in range(version, SCHEMA_VERSION):
            script = MIGRATIONS[target]
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(script):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={target + 1}")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ClauseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing: an exception (or Ctrl-C, or a kill) leaves the previous state."""
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.error(exc) from None
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                self.db.execute("ROLLBACK")
                raise self.error(exc) from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees one consistent state of the tables."""
        with self._lock:
            self.db.execute("BEGIN")
            try:
                yield
            finally:
                self.db.execute("COMMIT")

    def q(self, sql: str, args: Sequence[object] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, args)
        except sqlite3.OperationalError as exc:
            raise self.error(exc) from None

    # ---- generations and stages
    def generation(self) -> int:
        """Bumped by every write that changes clauses; derived stages record theirs."""
        return int(self.get_meta("generation") or 0)

    def bump_generation(self) -> int:
        gen = self.generation() + 1
        self.set_meta("generation", str(gen))
        return gen

    def stage(self, name: str) -> StageState | None:
        row = self.q(
            "SELECT generation, version, params, location, serial, updated FROM stages "
            "WHERE name=?",
            (name,),
        ).fetchone()
        return StageState(name, *row) if row else None

    def set_stage(
        self,
        name: str,
        generation: int,
        *,
        version: str = "",
        params: str = "",
        location: str = "",
    ) -> None:
        serial = int(self.get_meta("serial") or 0) + 1  # every stage write: a cache key
        self.set_meta("serial", str(serial))
        self.db.execute(
            "INSERT OR REPLACE INTO stages (name, generation, version, params, location, serial) "
            "VALUES (?,?,?,?,?,?)",
            (name, generation, version, params, location, serial),
        )

    def drop_stage(self, name: str) -> None:
        self.db.execute("DELETE FROM stages WHERE name=?", (name,))

    # ---- meta
    def get_meta(self, key: str) -> str | None:
        row = self.q("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ---- files
    def file_state(self, path: str) -> tuple[int, int, str] | None:
        row = self.q(
            "SELECT size, mtime_ns, sha256 FROM files WHERE path=? AND status='ok'", (path,)
        ).fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    def known_files(self, prefix: str) -> list[str]:
        rows = self.q("SELECT path FROM files WHERE path LIKE ? ESCAPE '\\'", (_like(prefix),))
        return [r[0] for r in rows]

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE files SET size=?, mtime_ns=? WHERE path=?", (size, mtime_ns, path))

    def remove_file(self, path: str) -> list[str]:
        """Drop a file and everything parsed from it; returns the removed document ids."""
        docs = [r[0] for r in self.db.execute("SELECT doc_id FROM documents WHERE path=?", (path,))]
        for doc_id in docs:
            self._remove_clauses(doc_id)
        self.db.execute("DELETE FROM documents WHERE path=?", (path,))
        self.db.execute("DELETE FROM files WHERE path=?", (path,))
        self.queue(docs)
        return docs

    def _remove_clauses(self, doc_id: str) -> None:
        self._vocab_delta(
            [
                r[0]
                for r in self.db.execute(
                    "SELECT t.enwords FROM clauses c JOIN tokens t ON t.norm = c.norm "
                    "WHERE c.doc_id=?",
                    (doc_id,),
                )
            ],
            -1,
        )
        self.db.execute("DELETE FROM clauses WHERE doc_id=?", (doc_id,))

    def put_file(
        self,
        path: str,
        source: str,
        root: str,
        stat: tuple[int, int, str],
        encoding: str | None,
        documents: Iterable[Document],
        clauses: Iterable[Clause],
    ) -> list[str]:
        """Replace everything known about ``path`` (re-ingest never duplicates).

        Returns the ids of the documents it replaced. The clauses' tokens must be stored
        first (:meth:`put_tokens`): the typo vocabulary is counted from them here, in the same
        transaction, so it always equals what a clean ingest of the same files gives.
        """
        replaced = self.remove_file(path)
        size, mtime_ns, sha = stat
        self.db.execute(
            "INSERT INTO files (path, source, size, mtime_ns, sha256, encoding, status, reason, "
            "root) VALUES (?,?,?,?,?,?,'ok',NULL,?)",
            (path, source, size, mtime_ns, sha, encoding, root),
        )
        docs = list(documents)
        self.db.executemany(
            "INSERT OR REPLACE INTO documents (doc_id, path, source, row, encoding, lang, "
            "sections, metadata, title, company, city, date) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    d.doc_id,
                    d.path,
                    d.source,
                    d.row,
                    d.encoding,
                    d.lang,
                    json.dumps(list(d.sections), ensure_ascii=False),
                    json.dumps(d.metadata, ensure_ascii=False),
                    *(d.field(f) for f in DOC_FIELDS),
                )
                for d in docs
            ],
        )
        rows = [tuple(getattr(c, k) for k in CLAUSE_COLUMNS) for c in clauses]
        cols = ",".join(f'"{k}"' for k in CLAUSE_COLUMNS)
        marks = ",".join("?" * len(CLAUSE_COLUMNS))
        self.db.executemany(f"INSERT OR REPLACE INTO clauses ({cols}) VALUES ({marks})", rows)
        norms = [r[CLAUSE_COLUMNS.index("norm")] for r in rows]
        self._vocab_delta(self._enwords(norms), +1)
        self.queue(d.doc_id for d in docs)
        return replaced

    def queue(self, doc_ids: Iterable[str]) -> None:
        """Documents whose clauses the search index must re-read (in the writer's transaction)."""
        self.db.executemany("INSERT INTO search_queue (doc_id) VALUES (?)", ((d,) for d in doc_ids))

    def queued(self) -> tuple[int, list[str]]:
        """(last sequence number, distinct queued document ids)."""
        rows = self.q("SELECT seq, doc_id FROM search_queue ORDER BY seq").fetchall()
        if not rows:
            return 0, []
        return rows[-1][0], list(dict.fromkeys(d for _, d in rows))

    def unqueue(self, upto: int) -> None:
        self.db.execute("DELETE FROM search_queue WHERE seq <= ?", (upto,))

    # ---- analyser tokens (cached by matching form) and the typo vocabulary
    def put_tokens(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(norm, body, grams, enwords) rows; existing entries are kept."""
        self.db.executemany("INSERT OR IGNORE INTO tokens VALUES (?,?,?,?)", rows)

    def missing_tokens(self, norms: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(norms))
        have: set[str] = set()
        for i in range(0, len(wanted), 900):
            part = wanted[i : i + 900]
            have.update(
                r[0]
                for r in self.q(
                    f"SELECT norm FROM tokens WHERE norm IN ({','.join('?' * len(part))})", part
                )
            )
        return [n for n in wanted if n not in have]

    def tokens(self, norms: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """norm -> (body, grams, enwords) for the cached entries among ``norms``."""
        wanted = list(dict.fromkeys(norms))
        out: dict[str, tuple[str, str, str]] = {}
        for i in range(0, len(wanted), 900):
            part = wanted[i : i + 900]
            rows = self.q(
                f"SELECT norm, body, grams, enwords FROM tokens WHERE norm IN "
                f"({','.join('?' * len(part))})",
                part,
            )
            out.update({n: (b, s, w) for n, b, s, w in rows})
        return out

    def _enwords(self, norms: Sequence[str]) -> list[str]:
        known = self.tokens(norms)
        return [known[n][2] for n in norms if n in known]

    def _vocab_delta(self, enwords: Iterable[str], sign: int) -> None:
        counts: dict[str, int] = {}
        for words in enwords:
            for w in (words or "").split():
                counts[w] = counts.get(w, 0) + 1
        if not counts:
            return
        self.db.executemany(
            "INSERT INTO vocab VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
            [(w, sign * n) for w, n in counts.items()],
        )
        if sign < 0:
            self.db.execute("DELETE FROM vocab WHERE df <= 0")

    def vocab(self) -> dict[str, int]:
        """English surface words with document frequencies: the typo-tolerance vocabulary."""
        return dict(self.q("SELECT word, df FROM vocab"))

    def rebuild_vocab(self) -> None:
        """Recount the vocabulary from the clause table (after a schema upgrade)."""
        self.db.execute("DELETE FROM vocab")
        norms = [r[0] for r in self.db.execute("SELECT norm FROM clauses")]
        self._vocab_delta(self._enwords(norms), +1)

    # ---- duplicate groups and themes (written by their stages, joined at query time)
    def save_groups(
        self,
        rows: Iterable[MemberRow],
        generation: int,
        params: str,
        *,
        edges: Iterable[tuple[str, str, int, str]] = (),
        templates: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Replace all groups in one transaction: member rows (clause_id, group, canonical,
        similarity, relation, rank, value), the verified pairs they came from, and each group's
        template."""
        with self.transaction():
            for table in ("dupe_members", "dupe_edges", "dupe_groups"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.executemany(
                "INSERT INTO dupe_members (clause_id, group_id, canonical_id, similarity, "
                "relation, rank, value) VALUES (?,?,?,?,?,?,?)",
                rows,
            )
            self.db.executemany("INSERT INTO dupe_edges VALUES (?,?,?,?)", edges)
            self.db.executemany("INSERT INTO dupe_groups VALUES (?,?)", templates)
            self.set_stage("dupes", generation, params=params)

    def group_rows(self) -> list[GroupRow]:
        """(clause_id, group, canonical, similarity, relation, rank) of every grouped clause."""
        return list(
            self.q(
                "SELECT clause_id, group_id, canonical_id, similarity, relation, rank "
                "FROM dupe_members ORDER BY group_id, rank"
            )
        )

    def member_rows(self) -> list[MemberRow]:
        """group_rows with each member's values."""
        return list(
            self.q(
                "SELECT clause_id, group_id, canonical_id, similarity, relation, rank, value "
                "FROM dupe_members ORDER BY group_id, rank"
            )
        )

    def dupe_edges(self) -> list[tuple[str, str, int, str]]:
        return list(self.q("SELECT a, b, score, kind FROM dupe_edges"))

    def group_templates(self) -> dict[str, str]:
        return dict(self.q("SELECT group_id, template FROM dupe_groups"))

    def save_themes(
        self, assignment: dict[str, str], model_json: str, generation: int, params: str
    ) -> None:
        """Replace the theme assignment (clause_id -> theme_id) and the theme/area descriptions."""
        with self.transaction():
            self.db.execute("DELETE FROM themes")
            self.db.executemany("INSERT INTO themes VALUES (?,?)", sorted(assignment.items()))
            self.set_meta("themes_model", model_json)
            self.set_stage("themes", generation, params=params)

    def theme_assignment(self) -> dict[str, str]:
        return dict(self.q("SELECT clause_id, theme_id FROM themes"))

    # ---- reading
    def clauses(
        self,
        *,
        kind: str | None = None,
        lang: str | None = None,
        doc_id: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Clause]:
        """Clauses in document order, optionally filtered; streamed, not loaded at once."""
        where, args = [], []
        for col, val in (("kind", kind), ("lang", lang), ("doc_id", doc_id)):
            if val is not None:
                where.append(f"c.{col}=?")
                args.append(val)
        sql = _SELECT_CLAUSE
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.source, c.doc_id, c.position"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for row in self.q(sql, args):
            yield _clause(row)

    def clause(self, clause_id: str) -> Clause | None:
        row = self.q(_SELECT_CLAUSE + " WHERE c.clause_id=?", (clause_id,)).fetchone()
        return _clause(row) if row else None

    def clauses_by_id(self, ids: Iterable[str]) -> dict[str, Clause]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Clause] = {}
        for i in range(0, len(wanted), 900):
            part = wanted[i : i + 900]
            rows = self.q(
                _SELECT_CLAUSE + f" WHERE c.clause_id IN ({','.join('?' * len(part))})", part
            )
            out.update({r[0]: _clause(r) for r in rows})
        return out

    def documents(self) -> Iterator[Document]:
        for row in self.q(
            "SELECT doc_id, path, source, row, encoding, lang, sections, metadata "
            "FROM documents ORDER BY source, row"
        ):
            yield _document(row)

    def document(self, doc_id: str) -> Document | None:
        row = self.q(
            "SELECT doc_id, path, source, row, encoding, lang, sections, metadata "
            "FROM documents WHERE doc_id=?",
            (doc_id,),
        ).fetchone()
        return _document(row) if row else None

    def counts(self) -> dict[str, object]:
        """Totals for the ingest summary."""
        q = self.q
        return {
            "files": q("SELECT COUNT(*) FROM files WHERE status='ok'").fetchone()[0],
            "documents": q("SELECT COUNT(*) FROM documents").fetchone()[0],
            "sections": sum(len(json.loads(s)) for (s,) in q("SELECT sections FROM documents")),
            "clauses": q("SELECT COUNT(*) FROM clauses").fetchone()[0],
            "by_kind": dict(q("SELECT kind, COUNT(*) FROM clauses GROUP BY kind ORDER BY kind")),
            "by_lang": dict(q("SELECT lang, COUNT(*) FROM clauses GROUP BY lang ORDER BY lang")),
        }


GroupRow = tuple[str, str, str, float, str, int]
MemberRow = tuple[str, str, str, float, str, int, str]


@dataclass(frozen=True)
class StageState:
    """What a derived stage was last built from."""

    name: str
    generation: int
    version: str
    params: str
    location: str
    serial: int
    updated: str


def _clause(row: Sequence[object]) -> Clause:
    values = list(row)
    values[-1] = bool(values[-1])
    return Clause(*values)  # type: ignore[arg-type]


def _document(row: Sequence[object]) -> Document:
    doc_id, path, source, r, enc, lang, sections, metadata = row
    return Document(
        str(doc_id),
        str(path),
        str(source),
        r,  # type: ignore[arg-type]
        enc,  # type: ignore[arg-type]
        str(lang),
        tuple(json.loads(str(sections))),
        json.loads(str(metadata)),
    )


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3 runs one per execute)."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return out


def _like(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
