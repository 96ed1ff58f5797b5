"""The shared local model server's lifetime: it stays while a process that used it runs, then stops by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests
from filelock import FileLock

from llmcourse.local.lifetime import live_clients, pid_alive, register_client, watch_clients, withdraw_record


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_register_keeps_live_clients_once_and_drops_exited_ones(tmp_path):
    clients = tmp_path / "clients.json"
    gone = _exited_pid()
    register_client(clients, gone)
    register_client(clients)
    register_client(clients)  # registering twice lists the process once
    assert live_clients(clients) == [os.getpid()]
    assert gone not in __import__("json").loads(clients.read_text())  # pruned from the file itself


@pytest.mark.parametrize("content", ["not json", '{"pid": 1}', '[true, "12", null]'])
def test_an_unreadable_clients_file_counts_as_no_clients(tmp_path, content):
    clients = tmp_path / "clients.json"
    clients.write_text(content)
    assert live_clients(clients) == []
    register_client(clients)  # and is replaced by a good one
    assert live_clients(clients) == [os.getpid()]


def test_the_watch_waits_for_the_last_client_then_the_grace_period(tmp_path):
    clients = tmp_path / "clients.json"
    client = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        register_client(clients, client.pid)
        stopped = threading.Event()
        watch_clients(clients, stopped.set, grace=0.3, every=0.02)
        assert not stopped.wait(1.0)  # three grace periods: the client still runs
        started_waiting = time.monotonic()
        client.kill()
        client.wait()
        assert stopped.wait(10)
        # not before the grace period, counted from the last check that saw the client (at most `every` earlier)
        assert time.monotonic() - started_waiting >= 0.3 - 0.02
    finally:
        client.kill()
    assert not pid_alive(client.pid)


def test_a_client_that_registers_under_the_lock_at_the_last_moment_keeps_the_server(tmp_path):
    clients, lock = tmp_path / "clients.json", tmp_path / "local-server.lock"
    stopped = threading.Event()
    client = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with FileLock(str(lock)):  # a kernel in launch(): it holds the lock while it registers
            watch_clients(clients, stopped.set, grace=0.1, every=0.02, lock=lock)
            time.sleep(0.5)  # the grace period is over: the watcher now waits for the lock
            register_client(clients, client.pid)
        assert not stopped.wait(1.0)  # its last look, under the lock, saw the new client
        client.kill()
        client.wait()
        assert stopped.wait(10)
    finally:
        client.kill()


def test_the_record_is_withdrawn_only_when_it_names_this_server(tmp_path):
    record = tmp_path / "local-server.json"
    record.write_text('{"pid": 1, "url": "http://127.0.0.1:1"}')
    assert not withdraw_record(record, pid=2) and record.exists()  # another server's record stays
    assert withdraw_record(record, pid=1) and not record.exists()
    assert not withdraw_record(record, pid=1)  # nothing left to withdraw


LAUNCHER = textwrap.dedent("""
    import sys
    from llmcourse.local.shared import launch
    server = launch(grace=1.0)
    print(server.pid, server.url, flush=True)
    sys.stdin.read()  # a notebook kernel that stays open until the test closes its stdin
""")


@pytest.mark.slow
def test_the_shared_server_outlives_no_client(tmp_path):
    env = {**os.environ, "LLMCOURSE_CACHE_DIR": str(tmp_path)}
    env.pop("LLMCOURSE_LOCAL_URL", None)
    kernel = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    server_pid = None
    try:
        line = kernel.stdout.readline()
        assert line, "the launcher printed nothing"
        pid_text, url = line.split()
        server_pid = int(pid_text)
        time.sleep(3)  # three grace periods while its client still runs
        assert requests.get(url + "/v1/models", timeout=5).ok
        kernel.stdin.close()
        assert kernel.wait(30) == 0
        deadline = time.monotonic() + 60
        while pid_alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not pid_alive(server_pid), "the server kept running after its last client exited"
        log = (Path(tmp_path) / "local-server.log").read_text(errors="replace")
        assert "No notebook or command has used this server for 1 s: stopping." in log
        assert not (Path(tmp_path) / "local-server.json").exists()  # withdrawn: no kernel will try to reuse it
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/v1/models", timeout=5)
    finally:
        kernel.kill()
        if server_pid is not None and pid_alive(server_pid):
            os.kill(server_pid, 9)
