"""``rookery worker --processes N`` and ``ROOKERY_WORKER_PROCESSES``, run as an operator would.

- On PostgreSQL, ``rookery worker --processes 2`` is a parent with two worker children; a
  burst queued before it starts arrives once per delivery, each user's events in commit
  order; SIGTERM to the parent stops both children and the parent exits 0.
- ``serve`` with ``ROOKERY_WORKER_PROCESSES=2`` runs that many worker processes beside its
  API processes, stopped together.
- On SQLite several worker processes are refused with one sentence naming the setting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from rookery.db.models import Attempt, WorkerBeat
from tests.acceptance.processes import ROOKERY, rookery_env, start, stop, wait_http
from tests.support.receiver import Receiver
from tests.support.service import free_port, write_config

PG_URL = os.environ.get("ROOKERY_TEST_DATABASE_URL")
USERS = 4
STEPS = 12  # membership changes per user: add, remove, add, …


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _wait_children(pid: int, count: int, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _children(pid)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} children of {pid}, saw {_children(pid)}")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _beating_pids(postgres_url: str, expected_count: int, timeout: float = 30) -> set[int]:
    """Pids of the workers with a heartbeat (``host:pid:…`` ids), once there are enough."""
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                ids = list(conn.scalars(select(WorkerBeat.worker_id)))
            pids = {int(worker_id.split(":")[1]) for worker_id in ids}
            if len(pids) >= expected_count or time.monotonic() > deadline:
                return pids
            time.sleep(0.2)
    finally:
        engine.dispose()


def _queue_burst(postgres_url: str, config: Path) -> dict[str, list[str]]:
    """Commit every user's membership changes with no worker running; path order per user."""
    from rookery.bootstrap import build
    from rookery.config import Settings
    from rookery.services.groups import create_group
    from rookery.services.users import add_membership, create_user, remove_membership

    app = build(
        Settings(
            database_url=postgres_url,
            webhooks_config_path=str(config),
            admin_password="admin-password-1",
        )
    )
    create_group(app.uow("loader"), "crew")
    expected: dict[str, list[str]] = {}
    for number in range(USERS):
        name = f"member{number}"
        create_user(app.uow("loader"), name, f"{name}@example.org", "member-password-1")
        expected[name] = []
        for step in range(STEPS):
            if step % 2 == 0:
                add_membership(app.uow("loader"), name, "crew")
                expected[name].append("/add")
            else:
                remove_membership(app.uow("loader"), name, "crew")
                expected[name].append("/remove")
    app.engine.dispose()
    return expected


@pytest.mark.skipif(not PG_URL, reason="several worker processes need PostgreSQL")
def test_two_worker_processes_deliver_a_burst_once_in_lane_order_and_stop_together(
    tmp_path: Path, postgres_url: str
) -> None:
    """`rookery worker --processes 2`: two children, each delivery once, each user's events in
    commit order, and SIGTERM to the parent stops both children (exit 0)."""
    from tests.conftest import _empty_postgres

    _empty_postgres(postgres_url)
    receiver = Receiver().start()
    hooks = [
        {
            "name": name,
            "action": action,
            "method": "POST",
            "url": receiver.url(f"/{name}"),
            "payload": {"event": "{{event.id}}", "user": "{{user.name}}"},
        }
        for name, action in (("add", "add_user_to_group"), ("remove", "remove_user_from_group"))
    ]
    config = write_config(tmp_path, hooks)
    try:
        expected = _queue_burst(postgres_url, config)
        env = rookery_env(postgres_url, ROOKERY_WEBHOOKS_CONFIG_PATH=str(config))
        worker = start(["worker", "--processes", "2"], env, tmp_path / "worker.log")
        try:
            children = _wait_children(worker.pid, 2)
            receiver.wait_for(USERS * STEPS, timeout=120)
            time.sleep(0.5)  # a duplicate would arrive now
            beating = _beating_pids(postgres_url, expected_count=2)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
            deadline = time.monotonic() + 10
            while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop(worker)
    finally:
        receiver.stop()
    assert len(children) == 2
    assert beating == set(children)  # both children are live workers on the shared queue
    assert all(_gone(pid) for pid in children)
    arrived = receiver.requests
    assert len(arrived) == USERS * STEPS
    assert len({r.json()["event"] for r in arrived}) == USERS * STEPS
    for name, paths in expected.items():
        mine = [r for r in arrived if r.json()["user"] == name]
        assert [r.path for r in mine] == paths  # alternating: a swap shows as a repeat
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        by_worker = dict(
            conn.execute(select(Attempt.worker, func.count()).group_by(Attempt.worker)).all()
        )
    engine.dispose()
    print(f"\n{USERS * STEPS} deliveries by worker: {by_worker}")
    assert sum(by_worker.values()) == USERS * STEPS


@pytest.mark.skipif(not PG_URL, reason="several worker processes need PostgreSQL")
def test_serve_starts_the_configured_worker_processes_beside_its_api(
    tmp_path: Path, postgres_url: str
) -> None:
    """`serve` with ROOKERY_WORKER_PROCESSES=2 (1 API process) runs three children, two of them
    beating workers, and SIGTERM stops them all."""
    from tests.conftest import _empty_postgres

    _empty_postgres(postgres_url)
    port = free_port()
    env = rookery_env(
        postgres_url,
        ROOKERY_PORT=str(port),
        ROOKERY_API_PROCESSES="1",
        ROOKERY_WORKER_PROCESSES="2",
    )
    server = start(["serve"], env, tmp_path / "serve.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/version", server, timeout=90)
        children = _wait_children(server.pid, 3)
        beating = _beating_pids(postgres_url, expected_count=2)
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop(server)
    assert len(children) == 3
    assert len(beating) == 2
    assert beating < set(children)
    assert all(_gone(pid) for pid in children)


def test_sqlite_refuses_several_worker_processes(tmp_path: Path) -> None:
    """ROOKERY_WORKER_PROCESSES=2 on SQLite is one sentence naming the setting, exit 2."""
    env = rookery_env(
        f"sqlite:///{tmp_path / 'r.db'}",
        ROOKERY_WORKER_PROCESSES="2",
        ROOKERY_PORT=str(free_port()),
    )
    done = subprocess.run(
        [*ROOKERY, "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "ROOKERY_WORKER_PROCESSES: SQLite has one delivery worker" in done.stderr
    assert not (tmp_path / "r.db").exists()
