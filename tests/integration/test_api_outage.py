"""The API while PostgreSQL is unreachable: 503 with Retry-After, one log line, then recovery.

The database is reached through a TCP proxy that the test cuts and restores: the server sees
exactly what a dropped network or a stopped PostgreSQL would show it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, _empty_postgres
from tests.support.envelope import assert_error
from tests.support.service import ADMIN_PASSWORD, Service, settings_for
from tests.support.tcp_proxy import TcpProxy
from tests.support.world import PASSWORD

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs ROOKERY_TEST_DATABASE_URL")


@pytest.fixture
def proxied_service(postgres_url: str) -> Iterator[tuple[Service, TcpProxy]]:
    """Rookery (without worker) whose every database connection passes through a proxy."""
    _empty_postgres(postgres_url)
    url = make_url(postgres_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        service = Service(settings_for(through), worker=False).start()
        try:
            yield service, proxy
        finally:
            proxy.restore()
            service.stop()


def _user(name: str) -> dict[str, str]:
    return {"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}


def test_cut_database_gives_503_with_retry_after_then_recovers(
    proxied_service: tuple[Service, TcpProxy], caplog: pytest.LogCaptureFixture
) -> None:
    """During a cut every call is a 503 with Retry-After and one log line; after it, 200 again."""
    service, proxy = proxied_service
    admin = service.admin
    assert admin.post("/users", json=_user("before")).status_code == 201

    caplog.set_level(logging.DEBUG)
    proxy.cut()
    failed: list[httpx.Response] = [
        admin.get("/users"),
        admin.post("/users", json=_user("during")),
        admin.delete("/users/before"),
        service.client().post("/signin", json={"user_name": "admin", "password": ADMIN_PASSWORD}),
        service.client().get("/version"),
    ]
    for response in failed:
        body = assert_error(response, 503)
        assert response.headers["Retry-After"] == "5"
        assert "database is unavailable" in body["detail"]
    lines = [
        r for r in caplog.records if r.name.startswith("rookery") and r.levelno >= logging.WARNING
    ]
    assert len(lines) == len(failed), [r.getMessage() for r in lines]
    assert all(r.exc_info is None and "503" in r.getMessage() for r in lines)
    for leak in ("Traceback", "INSERT", "SELECT", "$argon2"):
        assert leak not in caplog.text

    proxy.restore()
    deadline = time.monotonic() + 10
    while (listed := admin.get("/users")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listed.status_code == 200
    assert "before" in listed.json()["user_names"]
    assert admin.post("/users", json=_user("after")).status_code == 201
