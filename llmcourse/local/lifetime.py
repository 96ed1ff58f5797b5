"""How long the shared local model server lives: until every process that used it is gone, plus a grace period.

The shared server is detached so that it outlives the kernel that started it and every kernel can
reuse it. Without an end it would hold the model in memory for days after the learner closed
Jupyter. So each process that uses it (a notebook kernel, `llmcourse doctor`) writes its process id
in a clients file next to the server's record, and the server looks at that file every minute: once
no listed process is alive for `GRACE_SECONDS`, it stops by itself. A notebook left open keeps it;
the next one to need it after it stopped starts a fresh one.

Example:
    >>> import os
    >>> pid_alive(os.getpid())
    True
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import psutil
from filelock import FileLock

__all__ = [
    "CHECK_SECONDS",
    "GRACE_SECONDS",
    "live_clients",
    "pid_alive",
    "register_client",
    "watch_clients",
    "withdraw_record",
]

GRACE_SECONDS = 600.0  # after the last client exits: a kernel restart or a quick re-run finds the server still there
CHECK_SECONDS = 60.0


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists (psutil: `os.kill(pid, 0)` would send Ctrl+C on Windows).

    Example:
        >>> pid_alive(2**22 + 12345)   # beyond any process id this system hands out
        False
    """
    try:
        return psutil.pid_exists(pid)
    except (OverflowError, ValueError):
        return False


def live_clients(path: Path) -> list[int]:
    """The process ids in the clients file that are still running (none when the file is missing or unreadable).

    Example:
        >>> live_clients(Path("/no/such/clients.json"))
        []
    """
    try:
        pids = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(pids, list):
        return []
    return [pid for pid in pids if isinstance(pid, int) and not isinstance(pid, bool) and pid_alive(pid)]


def register_client(path: Path, pid: int | None = None) -> None:
    """Add `pid` (default: this process) to the clients file, dropping processes that have exited.

    Call it under the lock that guards the server's record: the file is rewritten whole.

    Example:
        >>> import os, tempfile
        >>> clients = Path(tempfile.mkdtemp()) / "clients.json"
        >>> register_client(clients); live_clients(clients) == [os.getpid()]
        True
    """
    pid = os.getpid() if pid is None else pid
    pids = [alive for alive in live_clients(path) if alive != pid] + [pid]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(pids), encoding="utf-8")
    os.replace(temporary, path)  # a reader never sees half a file


def watch_clients(
    path: Path,
    stop: Callable[[], None],
    *,
    grace: float = GRACE_SECONDS,
    every: float = CHECK_SECONDS,
    lock: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> threading.Thread:
    """Start a daemon thread that calls `stop()` once no client in `path` has been alive for `grace` seconds.

    A missing clients file counts as no clients: whoever started the server without registering
    (a test, a script) gets the same grace period. With `lock` (the file lock `register_client`
    runs under), the last look and `stop()` happen holding it: a process that registers at that
    moment is either seen, so the server stays, or comes after `stop()` has withdrawn the server.

    Example:
        >>> import tempfile
        >>> stopped = threading.Event()
        >>> watcher = watch_clients(Path(tempfile.mkdtemp()) / "none.json", stopped.set, grace=0, every=0.01)
        >>> stopped.wait(5)
        True
    """

    def run() -> None:
        last_seen = clock()
        while True:
            if live_clients(path):
                last_seen = clock()
            elif clock() - last_seen >= grace:
                with FileLock(str(lock)) if lock else nullcontext():
                    if not live_clients(path):  # a client may have registered since the look above
                        stop()
                        return
                last_seen = clock()
            time.sleep(every)

    thread = threading.Thread(target=run, name="llmcourse-clients-watch", daemon=True)
    thread.start()
    return thread


def withdraw_record(record: Path, pid: int | None = None) -> bool:
    """Remove the shared server's record (`local-server.json`) if it still names `pid` (default: this process).

    A record that names another server (one started since, for another model) is left alone.

    Example:
        >>> import json, os, tempfile
        >>> record = Path(tempfile.mkdtemp()) / "local-server.json"
        >>> _ = record.write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:1"}))
        >>> withdraw_record(record), record.exists()
        (True, False)
    """
    pid = os.getpid() if pid is None else pid
    try:
        named = json.loads(record.read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError, AttributeError):
        return False
    if named != pid:
        return False
    record.unlink(missing_ok=True)
    return True
