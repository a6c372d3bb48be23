"""``rookery serve`` on several processes (``ROOKERY_API_PROCESSES``), run as an operator would.

- With 2 API processes, on PostgreSQL and on SQLite: the tree is 2 API processes and 1
  delivery worker; connections are answered by more than one process; webhooks of one
  subject still arrive in commit order, each soon after its request (the worker is woken by
  NOTIFY or by the API processes' doorbell, not polling); SIGTERM to the parent stops every
  process.
- A child that dies takes the tree down with one line naming it; ``serve`` exits 1.
- On SQLite with one API process, the API and the worker still run in two processes, the
  worker woken by the API's doorbell (not by its poll), and both stop together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.acceptance.processes import rookery_env, start, stop, wait_http
from tests.support.receiver import Receiver
from tests.support.service import free_port, write_config

PG_URL = os.environ.get("ROOKERY_TEST_DATABASE_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs ROOKERY_TEST_DATABASE_URL")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _wait_children(pid: int, count: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _children(pid)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} children of {pid}, saw {_children(pid)}")


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of established TCP connections whose local port is ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    return inodes


def _holding(pid: int, inodes: set[str]) -> int:
    """How many of ``inodes`` process ``pid`` has open."""
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def _serving_processes(
    base: str, port: int, children: list[int], cookies: httpx.Cookies
) -> set[int]:
    """The children holding connections while 16 concurrent clients keep theirs open."""
    opened = threading.Barrier(17)
    done = threading.Event()

    def client() -> None:
        http = httpx.Client(base_url=base, cookies=cookies, timeout=30)
        try:
            for _ in range(10):
                assert http.get("/users").status_code == 200
            opened.wait(30)
            done.wait(30)
        finally:
            http.close()

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    opened.wait(30)
    inodes = _established_inodes(port)
    serving = {pid for pid in children if _holding(pid, inodes)}
    done.set()
    for thread in threads:
        thread.join()
    return serving


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _serve(
    tmp_path: Path, receiver: Receiver, database_url: str
) -> tuple[subprocess.Popen[bytes], str, int]:
    from tests.conftest import _empty_postgres

    if database_url.startswith("postgresql"):
        _empty_postgres(database_url)
    hooks = [
        {
            "name": name,
            "action": f"{name}_group_permission",
            "method": "POST",
            "url": receiver.url(f"/{name}"),
            "payload": {"event": "{{event.id}}", "step": "{{group.name}}"},
        }
        for name in ("create", "delete")
    ]
    port = free_port()
    env = rookery_env(
        database_url,
        ROOKERY_PORT=str(port),
        ROOKERY_API_PROCESSES="2",
        ROOKERY_WEBHOOKS_CONFIG_PATH=str(write_config(tmp_path, hooks)),
    )
    server = start(["serve"], env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/version", server, timeout=90)  # four processes on a loaded host
    except BaseException:
        stop(server)  # never leave a tree behind a failed start
        raise
    return server, base, port


def _admin(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    response = client.post("/signin", json={"user_name": "admin", "password": "admin-password-1"})
    assert response.status_code == 200, response.text
    return client


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_api_processes_share_the_socket_deliver_in_order_and_stop_together(
    tmp_path: Path, backend: str, receiver: Receiver
) -> None:
    """Two API processes answer connections, webhooks keep commit order, SIGTERM ends all."""
    if backend == "postgresql" and not PG_URL:
        pytest.skip("needs ROOKERY_TEST_DATABASE_URL")
    url = PG_URL if backend == "postgresql" and PG_URL else f"sqlite:///{tmp_path / 'r.db'}"
    server, base, port = _serve(tmp_path, receiver, url)
    try:
        children = _wait_children(server.pid, 3)
        assert len(children) == 3
        admin = _admin(base)
        serving = _serving_processes(base, port, children, admin.cookies)
        assert len(serving) >= 2, f"only {serving} of {children} held connections"

        assert admin.post("/groups", json={"group_name": "ordered"}).status_code == 201
        assert (
            admin.post(
                "/services",
                json={
                    "service_name": "svc",
                    "service_url": "http://127.0.0.1:9/s",
                    "service_type": "api",
                },
            ).status_code
            == 201
        )
        path = "/groups/ordered/services/svc/permissions"
        expected = []
        for step in range(40):
            # A new connection each time: any process may answer.
            fresh = httpx.Client(base_url=base, cookies=admin.cookies, timeout=30)
            if step % 2 == 0:
                response = fresh.post(path, json={"permission": "read"})
                expected.append("/create")
            else:
                response = fresh.delete(f"{path}/read")
                expected.append("/delete")
            fresh.close()
            assert response.status_code in (200, 201), response.text
        arrived = receiver.wait_for(len(expected), timeout=30)
        assert [r.path for r in arrived] == expected
        assert len({r.json()["event"] for r in arrived}) == len(expected)

        # The worker process is woken by the API processes (NOTIFY, or SQLite's doorbell),
        # not by its 1 s poll.
        waits = []
        for step in range(6):
            time.sleep(0.2)  # the worker is idle: only a wake-up (or its poll) brings it
            fresh = httpx.Client(base_url=base, cookies=admin.cookies, timeout=30)
            if step % 2 == 0:
                response = fresh.post(path, json={"permission": "read"})
            else:
                response = fresh.delete(f"{path}/read")
            fresh.close()
            assert response.status_code in (200, 201), response.text
            answered = time.monotonic()
            receiver.wait_for(len(expected) + step + 1, timeout=10)
            waits.append(time.monotonic() - answered)
        # Polling alone would bring each in 0.5 s on average, all six under 0.3 s rarely.
        assert max(waits) < 0.3, waits

        admin.close()
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(pid) for pid in children)
    finally:
        stop(server)


@needs_pg
def test_a_dead_child_takes_the_tree_down_with_one_line(
    tmp_path: Path, postgres_url: str, receiver: Receiver
) -> None:
    """SIGKILL of one API process stops the others; serve exits 1 naming the process."""
    server, _, _ = _serve(tmp_path, receiver, postgres_url)
    try:
        children = _wait_children(server.pid, 3)
        victim = children[0]
        os.kill(victim, signal.SIGKILL)
        assert server.wait(30) == 1
        assert all(_gone(pid) for pid in children)
    finally:
        stop(server)
    log = (tmp_path / "serve.log").read_text()
    lines = [line for line in log.splitlines() if f"(pid {victim}) stopped" in line]
    assert len(lines) == 1
    assert "(killed by SIGKILL); stopping rookery serve" in lines[0]


def test_sqlite_runs_the_worker_in_its_own_process_woken_by_the_api(
    tmp_path: Path, receiver: Receiver
) -> None:
    """With one API process: two children (API, worker); each webhook arrives well inside
    the worker's 1 s poll."""
    hook = {
        "name": "groups",
        "action": "create_group",
        "method": "POST",
        "url": receiver.url("/groups"),
        "payload": {"group": "{{group.name}}"},
    }
    port = free_port()
    env = rookery_env(
        f"sqlite:///{tmp_path / 'r.db'}",
        ROOKERY_PORT=str(port),
        ROOKERY_API_PROCESSES="1",
        ROOKERY_WEBHOOKS_CONFIG_PATH=str(write_config(tmp_path, [hook])),
    )
    server = start(["serve"], env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/version", server, timeout=60)
        children = _wait_children(server.pid, 2)
        assert len(children) == 2
        admin = _admin(base)
        waits = []
        for n in range(5):
            assert admin.post("/groups", json={"group_name": f"g{n}"}).status_code == 201
            answered = time.monotonic()
            receiver.wait_for(n + 1, "/groups", timeout=10)
            waits.append(time.monotonic() - answered)
        admin.close()
        # Polling alone would bring each in 0.5 s on average, all five under 0.3 s rarely.
        assert max(waits) < 0.3, waits
        assert [r.json()["group"] for r in receiver.on("/groups")] == [f"g{n}" for n in range(5)]
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        assert all(_gone(pid) for pid in children)
    finally:
        stop(server)


@needs_pg
def test_sigkill_of_the_parent_stops_every_child(
    tmp_path: Path, postgres_url: str, receiver: Receiver
) -> None:
    """Children of a SIGKILLed serve get SIGTERM from the kernel and exit: no orphaned tree."""
    server, _, _ = _serve(tmp_path, receiver, postgres_url)
    try:
        children = _wait_children(server.pid, 3)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        deadline = time.monotonic() + 20
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(pid) for pid in children)
    finally:
        stop(server)
