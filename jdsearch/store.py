"""The clause table: SQLite inside the index directory.

Why SQLite: it ships with Python, replaces one file's clauses in a transaction (so a crash or
Ctrl-C mid-ingest leaves the previous state readable), streams rows without loading the table,
and lets every later stage filter by kind/lang with an index instead of re-reading files.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

SCHEMA_VERSION = 1
DB_NAME = "clauses.sqlite"


class JdsearchError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits 1."""


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


CLAUSE_COLUMNS = [f.name for f in fields(Clause)]

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id, position);
CREATE INDEX IF NOT EXISTS clauses_kind_lang ON clauses(kind, lang);
CREATE TABLE IF NOT EXISTS dupe_members (
    clause_id TEXT PRIMARY KEY, group_id TEXT, canonical_id TEXT, similarity REAL, relation TEXT,
    rank INTEGER
);
CREATE INDEX IF NOT EXISTS dupe_members_group ON dupe_members(group_id, rank);
CREATE TABLE IF NOT EXISTS themes (clause_id TEXT PRIMARY KEY, theme_id TEXT);
"""


def default_index_dir() -> Path:
    """``$JDSEARCH_INDEX`` or ``./index``."""
    return Path(os.environ.get("JDSEARCH_INDEX") or "index")


class ClauseStore:
    """Read/write access to ``DIR/clauses.sqlite``."""

    def __init__(self, index_dir: Path | str | None = None, *, create: bool = False) -> None:
        self.dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self.path = self.dir / DB_NAME
        if not create and not self.path.exists():
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
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if create:
                self.db.executescript(_SCHEMA)
                self.db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            self._check()
        except sqlite3.DatabaseError as exc:
            raise JdsearchError(f"corrupt index at {self.dir}: {exc}") from None

    def _check(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise JdsearchError(f"index at {self.dir} has an unknown schema; re-create it")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing: an exception (or Ctrl-C) rolls back to the previous state."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- files
    def file_state(self, path: str) -> tuple[int, int, str] | None:
        row = self.db.execute(
            "SELECT size, mtime_ns, sha256 FROM files WHERE path=? AND status='ok'", (path,)
        ).fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    def known_files(self, prefix: str) -> list[str]:
        rows = self.db.execute(
            "SELECT path FROM files WHERE path LIKE ? ESCAPE '\\'", (_like_prefix(prefix),)
        )
        return [r[0] for r in rows]

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE files SET size=?, mtime_ns=? WHERE path=?", (size, mtime_ns, path))

    def remove_file(self, path: str) -> list[str]:
        """Drop a file and everything parsed from it; returns the removed document ids."""
        docs = [r[0] for r in self.db.execute("SELECT doc_id FROM documents WHERE path=?", (path,))]
        for doc_id in docs:
            self.db.execute("DELETE FROM clauses WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE path=?", (path,))
        self.db.execute("DELETE FROM files WHERE path=?", (path,))
        return docs

    # ---- meta
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def put_file(
        self,
        path: str,
        source: str,
        stat: tuple[int, int, str],
        encoding: str | None,
        documents: Iterable[Document],
        clauses: Iterable[Clause],
    ) -> list[str]:
        """Replace everything known about ``path`` (re-ingest never duplicates).

        Returns the ids of the documents it replaced.
        """
        replaced = self.remove_file(path)
        size, mtime_ns, sha = stat
        self.db.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,'ok',NULL)",
            (path, source, size, mtime_ns, sha, encoding),
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?)",
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
                )
                for d in documents
            ],
        )
        self.db.executemany(
            f"INSERT OR REPLACE INTO clauses VALUES ({','.join('?' * len(CLAUSE_COLUMNS))})",
            [tuple(getattr(c, k) for k in CLAUSE_COLUMNS) for c in clauses],
        )
        return replaced

    def fingerprint(self) -> str:
        """Changes whenever the set of clauses changes: later stages recompute on a new value."""
        import hashlib

        h = hashlib.sha1()
        for (cid,) in self.db.execute("SELECT clause_id FROM clauses ORDER BY clause_id"):
            h.update(cid.encode())
        return h.hexdigest()

    # ---- duplicate groups and theme labels (written by later stages, read by the index)
    def save_groups(
        self, rows: Iterable[tuple[str, str, str, float, str, int]], state: str
    ) -> None:
        """Replace all groups; a row: (clause_id, group, canonical, similarity, relation, rank)."""
        with self.transaction():
            self.db.execute("DELETE FROM dupe_members")
            self.db.executemany("INSERT INTO dupe_members VALUES (?,?,?,?,?,?)", rows)
            self.set_meta("dupes_state", state)

    def group_rows(self) -> list[tuple[str, str, str, float, str, int]]:
        return list(self.db.execute("SELECT * FROM dupe_members ORDER BY group_id, rank"))

    def save_themes(self, assignment: dict[str, str], model_json: str, state: str) -> None:
        """Replace the theme assignment (clause_id -> theme_id) and the theme/area descriptions."""
        with self.transaction():
            self.db.execute("DELETE FROM themes")
            self.db.executemany("INSERT INTO themes VALUES (?,?)", sorted(assignment.items()))
            self.set_meta("themes_model", model_json)
            self.set_meta("themes_state", state)

    def theme_assignment(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT clause_id, theme_id FROM themes"))

    def labels(self) -> dict[str, tuple[str, str]]:
        """clause_id -> (theme_id, group_id) for the search index."""
        out: dict[str, tuple[str, str]] = {}
        for cid, gid in self.db.execute("SELECT clause_id, group_id FROM dupe_members"):
            out[cid] = ("", gid)
        for cid, tid in self.db.execute("SELECT clause_id, theme_id FROM themes"):
            out[cid] = (tid, out.get(cid, ("", ""))[1])
        return out

    # ---- reading
    def clauses(
        self, *, kind: str | None = None, lang: str | None = None, doc_id: str | None = None
    ) -> Iterator[Clause]:
        """Clauses in document order, optionally filtered; streamed, not loaded at once."""
        where, args = [], []
        for col, val in (("kind", kind), ("lang", lang), ("doc_id", doc_id)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        sql = "SELECT " + ",".join(f'"{c}"' for c in CLAUSE_COLUMNS) + " FROM clauses"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY source, doc_id, position"
        for row in self.db.execute(sql, args):
            yield Clause(*row)

    def clause(self, clause_id: str) -> Clause | None:
        sql = (
            "SELECT "
            + ",".join(f'"{c}"' for c in CLAUSE_COLUMNS)
            + " FROM clauses WHERE clause_id=?"
        )
        row = self.db.execute(sql, (clause_id,)).fetchone()
        return Clause(*row) if row else None

    def documents(self) -> Iterator[Document]:
        for row in self.db.execute("SELECT * FROM documents ORDER BY source, row"):
            doc_id, path, source, r, enc, lang, sections, metadata = row
            yield Document(
                doc_id,
                path,
                source,
                r,
                enc,
                lang,
                tuple(json.loads(sections)),
                json.loads(metadata),
            )

    def counts(self) -> dict[str, object]:
        """Totals for the ingest summary."""
        q = self.db.execute
        return {
            "files": q("SELECT COUNT(*) FROM files WHERE status='ok'").fetchone()[0],
            "documents": q("SELECT COUNT(*) FROM documents").fetchone()[0],
            "sections": sum(len(json.loads(s)) for (s,) in q("SELECT sections FROM documents")),
            "clauses": q("SELECT COUNT(*) FROM clauses").fetchone()[0],
            "by_kind": dict(q("SELECT kind, COUNT(*) FROM clauses GROUP BY kind ORDER BY kind")),
            "by_lang": dict(q("SELECT lang, COUNT(*) FROM clauses GROUP BY lang ORDER BY lang")),
        }


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
