"""One writer at a time per index directory.

A writer (ingest, reindex, dupes, themes) holds an exclusive ``flock`` on ``DIR/write.lock``
and writes its pid and command into the file. The kernel releases the lock when the process
dies, however it dies, so a stale lock from a killed writer is simply taken over; the pid in
the file only serves the message the second writer gets. Readers never take the lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from jdsearch.store import IndexBusy, JdsearchError

LOCK_NAME = "write.lock"


_HELD: set[int] = set()  # descriptors of locks this process holds (forked children inherit them)


def close_inherited() -> None:
    """In a forked child (an ingest's parsing worker): drop the inherited lock descriptors.
    A flock belongs to the open file, which a child shares: were the writer killed, a worker
    still parsing would otherwise keep the index locked until it, too, ended."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


class WriteLock:
    """``with WriteLock(dir, "ingest"):`` — or ``acquire(wait=0)`` to try without waiting."""

    def __init__(self, index_dir: Path | str, command: str) -> None:
        self.path = Path(index_dir) / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock; False (not an error) when another process holds it past ``wait``."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise JdsearchError(
                    f"index at {self.path.parent} is read-only: cannot write to it"
                ) from None
            raise JdsearchError(f"cannot lock {self.path}: {exc.strerror}") from None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.command}\n".encode())
        self._fd = fd
        _HELD.add(fd)
        return True

    def require(self) -> None:
        """Take the lock or raise the one-line message naming the other writer."""
        if not self.acquire():
            raise IndexBusy(busy_message(self.path.parent))

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.discard(fd)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> WriteLock:
        self.require()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def holder(index_dir: Path | str) -> str:
    """'pid N (command)' of the process writing to the index, '' when the file says nothing."""
    try:
        text = (Path(index_dir) / LOCK_NAME).read_text("utf-8", errors="replace").strip()
    except OSError:
        return ""
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return ""
    return f"pid {pid}, {command}" if command else f"pid {pid}"


def busy_message(index_dir: Path | str) -> str:
    who = holder(index_dir)
    return (
        f"another jdsearch ({who}) is writing to {index_dir}; try again when it has finished"
        if who
        else f"another jdsearch is writing to {index_dir}; try again when it has finished"
    )


def is_locked(index_dir: Path | str) -> bool:
    """Whether a writer is at work right now (a non-blocking probe, for readers' messages)."""
    path = Path(index_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
