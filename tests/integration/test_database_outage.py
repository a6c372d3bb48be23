"""Real database outages during a burst: PostgreSQL behind a TCP proxy that is cut, and a
SQLite write lock held by another connection past the busy timeout. Nothing is lost, the
in-process worker survives and delivers the backlog once the database is back, and /health
answers 503 during the outage and 200 after. The recovery times are printed (figures in
docs/BENCHMARKS.md); CI runs short outages, ``make chaos`` (ROOKERY_CHAOS_FULL=1) the full ones.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.burst import Burst
from tests.support.receiver import Receiver
from tests.support.service import ADMIN_PASSWORD, Service, settings_for, write_config
from tests.support.tcp_proxy import TcpProxy

FULL = os.environ.get("ROOKERY_CHAOS_FULL") == "1"
PG_URL = os.environ.get("ROOKERY_TEST_DATABASE_URL")
EVENTS = 1_000 if FULL else 150


def _mirror(tmp_path: Path, receiver: Receiver) -> str:
    return str(
        write_config(
            tmp_path,
            [
                {
                    "name": "mirror",
                    "action": "create_group",
                    "method": "POST",
                    "url": receiver.url("/groups"),
                    "payload": {"group": "{{group.name}}"},
                }
            ],
        )
    )


@contextmanager
def _serving(database_url: str, **settings: Any) -> Iterator[Service]:
    service = Service(settings_for(database_url, **settings)).start()
    try:
        yield service
    finally:
        service.stop()


def _health(service: Service) -> tuple[int, dict[str, Any]]:
    try:
        response = httpx.get(f"{service.base}/health", timeout=10)
    except httpx.HTTPError:
        return 0, {}
    body: dict[str, Any] = response.json()
    return response.status_code, body


def _poll_health(service: Service, seconds: float) -> list[int]:
    """/health status codes every 0.2 s for ``seconds``."""
    codes = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        codes.append(_health(service)[0])
        time.sleep(0.2)
    return codes


def _outage_during_burst(
    service: Service,
    receiver: Receiver,
    seconds: float,
    cut: Callable[[], None],
    restore: Callable[[], None],
    label: str,
) -> list[int]:
    """Cut the database a third into a burst for ``seconds``; check and report the recovery.

    Returns the /health codes seen during the outage."""
    burst = Burst(service.client("admin", ADMIN_PASSWORD), EVENTS).start()
    try:
        burst.wait_accepted(EVENTS // 3)
        cut()
        during = _poll_health(service, seconds)
        stuck = set(burst.accepted)
        restore()
        restored = time.perf_counter()
        code, body = _health(service)
        while code != 200 and time.perf_counter() - restored < 30:
            time.sleep(0.1)
            code, body = _health(service)
        healthy = time.perf_counter() - restored
        burst.join(timeout=120 + EVENTS / 5)
    finally:
        burst.stop()
    expected = set(burst.accepted)
    got = receiver.wait_for(len(expected), "/groups", timeout=60)
    arrived: dict[str, float] = {}
    for request in got:
        arrived.setdefault(request.json()["group"], request.at)
    lost = expected - set(arrived)
    cleared = max(arrived[name] for name in stuck) - restored
    print(
        f"\n{label} for {seconds:.0f} s during a burst of {EVENTS}: {len(lost)} lost; "
        f"events accepted before the cut all delivered {max(cleared, 0):.2f} s after it ended, "
        f"all {len(expected)} by {max(arrived.values()) - restored:.2f} s; /health 200 again "
        f"after {healthy:.2f} s; {burst.failures} API calls refused during the outage"
    )
    assert not lost
    assert code == 200, body
    code, body = _health(service)
    assert code == 200, body
    assert body["worker"]["in_process_running"] is True
    assert body["worker"]["in_process_database_trouble"] is None
    return during


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (ROOKERY_TEST_DATABASE_URL)")
@pytest.mark.parametrize("seconds", [10, 60] if FULL else [3])
def test_postgresql_outage_during_a_burst_loses_nothing(
    tmp_path: Path, postgres_url: str, receiver: Receiver, seconds: int
) -> None:
    """With PostgreSQL unreachable for a while mid-burst, every accepted event is delivered
    after it comes back, the worker lives on, and /health is 503 throughout the outage."""
    from tests.conftest import _empty_postgres

    _empty_postgres(postgres_url)
    url = make_url(postgres_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with _serving(proxied, webhooks_config_path=_mirror(tmp_path, receiver)) as service:
            during = _outage_during_burst(
                service, receiver, seconds, proxy.cut, proxy.restore, "PostgreSQL cut"
            )
    assert during
    assert set(during) == {503}, during


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [40] if FULL else [4])
def test_sqlite_lock_outage_during_a_burst_loses_nothing(
    tmp_path: Path, receiver: Receiver, seconds: int
) -> None:
    """With the SQLite write lock held by another connection past the busy timeout, every
    accepted event is delivered once it is released, and /health turns 503 while it is held."""
    path = tmp_path / "rookery.db"
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)

    def cut() -> None:
        holder.execute("BEGIN IMMEDIATE")

    def restore() -> None:
        holder.execute("ROLLBACK")

    try:
        with _serving(
            f"sqlite:///{path}",
            webhooks_config_path=_mirror(tmp_path, receiver),
            sqlite_busy_timeout_seconds=1.0,
        ) as service:
            during = _outage_during_burst(
                service, receiver, seconds, cut, restore, "SQLite write lock held"
            )
    finally:
        holder.close()
    # The worker notices within a busy timeout and a claim pause, and stays failing.
    assert 503 in during, during
    assert during[-1] == 503, during
