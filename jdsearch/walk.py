"""File discovery: the paths an ingest is given -> the regular files to read, or named skips.

A folder is a boundary. Its walk never leaves it unless asked (``follow_links=True``): a link
that leads outside is a named skip, so a stray ``passwd -> /etc/passwd`` in a corpus folder is
never read. Every entry that is not read gets a one-line reason (link loops, dangling links,
pipes and devices, folders named like files, names that are not valid UTF-8): nothing a user put
in a folder disappears without a word. Hidden names and ``.jdsearchignore`` patterns are the
user's own choice and are passed over quietly.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import NamedTuple

from jdsearch.readers import SUPPORTED_SUFFIXES, UnreadableFile, open_regular

IGNORE_FILE = ".jdsearchignore"


class Entry(NamedTuple):
    """One walked entry: ``path`` (the real, resolved file to read) or a skip ``reason``.

    ``source`` names the entry as the user would find it (the walked path, printable).
    A NamedTuple so that ``for path, source, reason in iter_files(...)`` keeps working.
    """

    path: Path | None
    source: str
    reason: str | None


def printable(name: str) -> str:
    """A name safe to show and store: bytes that are not UTF-8 (surrogate escapes) and control
    characters (a newline in a file name) become backslash escapes; everything else is kept."""
    try:
        text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no OS name produced (an API caller's str)
        text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(_escape(c) if c in _CONTROL else c for c in text)


# C0 and C1 controls and the Unicode line/paragraph separators: they break a warning line.
_CONTROL = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))


def _escape(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def valid_name(name: str) -> bool:
    """False when the OS name holds bytes that are not UTF-8 (Python's surrogate escapes):
    such a name cannot be stored or shown as it is."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def iter_files(paths: Iterable[str], *, follow_links: bool = False) -> Iterator[Entry]:
    """Every file under ``paths`` (files or folders), sorted, recursive; skips carry a reason.

    A path given explicitly is read even through a link (the user named it); inside a folder,
    links are followed only to targets inside that folder, unless ``follow_links``.
    """
    for given in paths:
        yield from _given(str(given), follow_links)


def _given(given: str, follow_links: bool) -> Iterator[Entry]:
    """One command-line path: a file, a folder to walk, or a named skip."""
    source = printable(given)
    if not valid_name(given):
        yield Entry(None, source, "file name is not valid UTF-8 (rename it)")
        return
    real, reason = _resolve(given)
    if real is None:
        yield Entry(None, source, reason)
        return
    try:
        st = real.stat()
    except OSError as exc:
        yield Entry(None, source, _os_reason(exc))
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _Walk(Path(given), real, follow_links).run()
    else:
        yield _file_entry(real, st, source)


def _resolve(path: str) -> tuple[Path | None, str | None]:
    """The real path behind ``path`` (all links resolved), or None and why not."""
    try:
        return Path(os.path.realpath(path, strict=True)), None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "symbolic link loop"
        if exc.errno == errno.ENOENT:
            is_link = os.path.islink(path)
            return None, "broken symbolic link" if is_link else "no such file or directory"
        return None, _os_reason(exc)
    except RuntimeError:  # older Pythons report a loop this way
        return None, "symbolic link loop"


def _os_reason(exc: OSError) -> str:
    """A short lower-case reason from an OS error ('permission denied')."""
    return (exc.strerror or type(exc).__name__).lower()


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _file_entry(real: Path, st: os.stat_result, source: str) -> Entry:
    """A regular file is read; pipes, sockets and devices would block or never end."""
    if stat.S_ISREG(st.st_mode):
        return Entry(real, source, None)
    for test, what in _SPECIAL:
        if test(st.st_mode):
            return Entry(None, source, f"not a regular file: {what}")
    return Entry(None, source, "not a regular file")


def _ignored_names(folder: Path) -> list[str]:
    """fnmatch patterns from a folder's .jdsearchignore (e.g. README.md beside the JDs).

    Opened like any untrusted file: a pipe or a link there must not hang or lead the walk out.
    """
    try:
        with open_regular(folder / IGNORE_FILE) as fh:
            lines = fh.read(1 << 20).decode("utf-8").splitlines()
    except (UnreadableFile, OSError, UnicodeDecodeError):
        return []
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass
class _Walk:
    """One folder walk: depth-first, files of a folder before its sub-folders (as ``os.walk``).

    Links to folders are walked last, so a folder reached both directly and through a link is
    named by its own path; any file reached twice is read once (the direct route wins).
    """

    top: Path  # as given, for sources
    root: Path  # resolved
    follow_links: bool
    visited: set[tuple[int, int]] = field(default_factory=set)
    entries: list[tuple[Entry, bool]] = field(default_factory=list)  # (entry, reached by link)
    linked_dirs: list[tuple[Path, Path]] = field(default_factory=list)

    def run(self) -> Iterator[Entry]:
        self._walk(self.top, self.root, via_link=False)
        while self.linked_dirs:
            shown, real = self.linked_dirs.pop(0)
            self._walk(shown, real, via_link=True)
        yield from _dedupe(self.entries)

    def _walk(self, shown: Path, real: Path, via_link: bool) -> None:
        """Walk one folder tree with an explicit stack (deep trees must not hit recursion)."""
        stack = [(shown, real)]
        while stack:
            folder, real_folder = stack.pop()
            if not self._enter(folder, real_folder, via_link):
                continue
            subdirs = self._list(folder, real_folder, via_link)
            stack.extend(reversed(subdirs))

    def _enter(self, folder: Path, real: Path, via_link: bool) -> bool:
        """Mark a folder visited; a second visit (a loop through a link or mount) is a skip."""
        try:
            st = real.stat()
        except OSError as exc:
            self._skip(folder, _os_reason(exc), via_link)
            return False
        ident = (st.st_dev, st.st_ino)
        if ident in self.visited:
            self._skip(folder, "folder already read under another name", via_link)
            return False
        self.visited.add(ident)
        return True

    def _list(self, folder: Path, real: Path, via_link: bool) -> list[tuple[Path, Path]]:
        """Record the folder's files and skips; return its sub-folders (shown, real)."""
        try:
            with os.scandir(real) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self._skip(folder, f"cannot list folder: {_os_reason(exc)}", via_link)
            return []
        ignored = _ignored_names(real)
        subdirs: list[tuple[Path, Path]] = []
        for child in children:
            name = child.name
            if name.startswith(".") or any(fnmatch(name, pat) for pat in ignored):
                continue
            shown = folder / name
            if not valid_name(name):
                self._skip(shown, "file name is not valid UTF-8 (rename it)", via_link)
            elif child.is_symlink():
                self._link(shown, real / name, via_link)
            else:
                sub = self._child(shown, real / name, via_link)
                if sub is not None:
                    subdirs.append(sub)
        return subdirs

    def _child(self, shown: Path, real: Path, via_link: bool) -> tuple[Path, Path] | None:
        """A plain entry (not a link): a sub-folder to walk, a file, or a skip."""
        try:
            st = real.lstat()
        except OSError as exc:
            self._skip(shown, _os_reason(exc), via_link)
            return None
        if stat.S_ISDIR(st.st_mode):
            if real.suffix.lower() in SUPPORTED_SUFFIXES:
                self._skip(shown, f"a folder named like a {real.suffix.lower()} file", via_link)
                return None
            return shown, real
        self.entries.append((_file_entry(real, st, printable(str(shown))), via_link))
        return None

    def _link(self, shown: Path, link: Path, via_link: bool) -> None:
        """A symbolic link: followed inside the walked folder (or anywhere if asked).

        ``link`` sits in a resolved folder, so ``link.parent`` is real: a link to that folder
        or one above it is a loop.
        """
        target, reason = _resolve(str(link))
        if target is None:
            self._skip(shown, reason or "unreadable link", via_link)
            return
        if not self.follow_links and not _inside(target, self.root):
            self._skip(shown, "link to outside the folder (use --follow-links)", via_link)
            return
        try:
            st = target.stat()
        except OSError as exc:
            self._skip(shown, _os_reason(exc), via_link)
            return
        if stat.S_ISDIR(st.st_mode):
            if _inside(link.parent, target):
                self._skip(shown, "link to a folder above it (a link loop)", True)
                return
            self.linked_dirs.append((shown, target))
            return
        self.entries.append((_file_entry(target, st, printable(str(shown))), True))

    def _skip(self, shown: Path, reason: str, via_link: bool) -> None:
        self.entries.append((Entry(None, printable(str(shown)), reason), via_link))


def _dedupe(entries: list[tuple[Entry, bool]]) -> Iterator[Entry]:
    """Each real file once: the first direct route wins, other routes are named skips."""
    first: dict[Path, str] = {}
    for entry, _ in sorted(entries, key=lambda e: e[1]):  # stable: direct routes first
        if entry.path is not None and entry.path not in first:
            first[entry.path] = entry.source
    for entry, _ in entries:
        if entry.path is not None and first[entry.path] != entry.source:
            yield Entry(None, entry.source, f"same file as {first[entry.path]}")
        else:
            yield entry
