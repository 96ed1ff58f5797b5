"""The files a run writes, kept safe: one run per results file, never through a symlink, swapped in whole.

- `ResultsLock(out)` holds an exclusive lock on `out` (through a `<out>.lock` file next to it) for a
  whole run; a second run on the same file stops at once with `ResultsFileBusy` instead of sending
  every request twice. The operating system drops the lock when the process dies, even by SIGKILL.
- `refuse_symlink(path)`: the results, export and state files are never written through a
  symbolic link (a link planted there could make `--regenerate` empty some other file).
- `write_atomically(path, lines)`: write a temporary file, then rename it over `path`; a crash
  leaves the old file or the new one. `remove_stale_temporaries(path)` deletes the temporary files a
  killed rewrite left behind (call it while holding the lock).

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
    >>> with ResultsLock(out):
    ...     write_atomically(out, ['{"id": "1", "status": "ok"}\\n'])
    >>> out.read_text()
    '{"id": "1", "status": "ok"}\\n'
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Self, TypeVar

from llmcourse.errors import LLMCourseError

__all__ = [
    "ResultsFileBusy",
    "ResultsLock",
    "holding_results_lock",
    "open_for_append",
    "refuse_symlink",
    "remove_stale_temporaries",
    "truncate",
    "write_atomically",
]

T = TypeVar("T")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows, where refuse_symlink does the job alone
_TEMPORARY_SUFFIX = ".tmp"


class ResultsFileBusy(LLMCourseError, RuntimeError):
    """Another run (in this process or another one) is writing the same results file.

    Example:
        >>> isinstance(ResultsFileBusy("busy"), LLMCourseError)
        True
    """


def refuse_symlink(path: str | Path, what: str = "file") -> Path:
    """Return `path` as a Path; raise ValueError when it is a symbolic link.

    Example:
        >>> refuse_symlink("/nonexistent/results.jsonl").name
        'results.jsonl'
    """
    path = Path(path)
    if path.is_symlink():
        raise ValueError(
            f"{path} is a symbolic link (to {os.readlink(path)}); the {what} is never written through "
            "a link. Give the real path instead."
        )
    return path


def _open_nofollow(path: Path, flags: int, what: str) -> int:
    refuse_symlink(path, what)
    try:
        return os.open(path, flags | _NOFOLLOW, 0o644)
    except OSError:
        if path.is_symlink():  # replaced by a link between the check and the open (ELOOP)
            refuse_symlink(path, what)
        raise


def open_for_append(path: str | Path, what: str = "results file"):
    """Open `path` for appending text (created if missing), refusing a symbolic link.

    Example:
        >>> import tempfile, pathlib
        >>> with open_for_append(pathlib.Path(tempfile.mkdtemp()) / "r.jsonl") as handle:
        ...     handle.write("x\\n")
        2
    """
    descriptor = _open_nofollow(Path(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, what)
    return os.fdopen(descriptor, "a", encoding="utf-8")


def truncate(path: str | Path, what: str = "results file") -> None:
    """Empty `path` (create it if missing), refusing a symbolic link.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.jsonl"
        >>> truncate(path); path.read_bytes()
        b''
    """
    os.close(_open_nofollow(Path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, what))


def write_atomically(path: str | Path, lines: Iterable[str], what: str = "file") -> None:
    """Write `lines` to a new temporary file next to `path`, force it to disk, then rename it over `path`.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
        >>> write_atomically(path, ["a,b\\n"]); path.read_text()
        'a,b\\n'
    """
    path = refuse_symlink(path, what)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=_TEMPORARY_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for line in lines:
                out.write(line)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)  # replaces a link planted meanwhile, never writes through it
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete the temporary files `write_atomically(path, ...)` leaves when killed mid-write; return them.

    Only names that `write_atomically` makes (`<name>.<8 random characters>.tmp`) are touched. Call
    it while holding the file's `ResultsLock`, so that no other run is still writing one.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> (folder / "r.jsonl.ab12cd34.tmp").write_text("half")
        4
        >>> [p.name for p in remove_stale_temporaries(folder / "r.jsonl")]
        ['r.jsonl.ab12cd34.tmp']
    """
    path = Path(path)
    pattern = re.compile(re.escape(path.name) + r"\.[a-z0-9_]{8}" + re.escape(_TEMPORARY_SUFFIX))
    removed = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        if pattern.fullmatch(candidate.name) and (candidate.is_symlink() or candidate.is_file()):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


class ResultsLock:
    """An exclusive lock on a results file for as long as a run writes it (a `with` block).

    The lock lives on `<out>.lock` (the results file itself is replaced by atomic rewrites, so it
    cannot carry the lock). fcntl.flock on POSIX, msvcrt.locking on Windows; both are released by
    the operating system when the process ends, however it ends. The lock file holds the owner's pid
    and is removed on release.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.jsonl"
        >>> with ResultsLock(out):
        ...     try:
        ...         ResultsLock(out).acquire()
        ...     except ResultsFileBusy as busy:
        ...         print("busy")
        busy
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.path = self.out.with_name(self.out.name + ".lock")
        self._descriptor: int | None = None

    def acquire(self) -> Self:
        """Take the lock or raise `ResultsFileBusy` at once (never waits)."""
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(20):  # another run may remove the lock file between our open and our lock
            descriptor = _open_nofollow(self.path, os.O_RDWR | os.O_CREAT, "lock file")
            if not _try_lock(descriptor):
                owner = _read_owner(descriptor)
                os.close(descriptor)
                raise ResultsFileBusy(
                    f"another run is already writing {self.out}{owner}. Wait for it to finish (or stop it), "
                    "or give this run a different results file."
                )
            try:
                same_file = os.path.samestat(os.fstat(descriptor), os.stat(self.path, follow_symlinks=False))
            except FileNotFoundError:
                same_file = False
            if same_file:
                os.ftruncate(descriptor, 0)
                os.write(descriptor, str(os.getpid()).encode())  # for the message a second run prints
                self._descriptor = descriptor
                return self
            _unlock(descriptor)
            os.close(descriptor)
        raise ResultsFileBusy(f"could not lock {self.out}: its lock file {self.path} keeps changing")

    def release(self) -> None:
        """Give the lock back (and remove the lock file)."""
        if self._descriptor is None:
            return
        descriptor, self._descriptor = self._descriptor, None
        if sys.platform != "win32":  # remove it while still holding it, so no one locks a file about to vanish
            self.path.unlink(missing_ok=True)
        _unlock(descriptor)
        os.close(descriptor)
        if sys.platform == "win32":
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                pass  # another process has it open: it stays, harmless

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _try_lock(descriptor: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(descriptor: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(descriptor, fcntl.LOCK_UN)


def _read_owner(descriptor: int) -> str:
    try:
        text = os.read(descriptor, 32).decode("ascii", "replace").strip()
    except OSError:  # Windows: the owner's lock covers the bytes we would read
        return ""
    return f" (process {text})" if text.isdigit() else ""


def holding_results_lock(run: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Decorate an async run that takes `out=`: it runs holding that file's `ResultsLock`, start to end.

    Example:
        >>> @holding_results_lock
        ... async def run(*, out):
        ...     return ResultsLock(out).path.exists()
        >>> import asyncio, tempfile, pathlib
        >>> asyncio.run(run(out=pathlib.Path(tempfile.mkdtemp()) / "r.jsonl"))
        True
    """

    @functools.wraps(run)
    async def locked(*args: Any, out: str | Path, **kwargs: Any) -> T:
        with ResultsLock(out):
            return await run(*args, out=out, **kwargs)

    return locked
