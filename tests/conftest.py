"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a running
service, real HTTP receivers and a real SMTP server on 127.0.0.1.

Every test that takes ``database_url`` runs once per database: on SQLite in a fresh file, and
on PostgreSQL when ``ROOKERY_TEST_DATABASE_URL`` is set (CI sets it), in a database of its own
per xdist worker, emptied between tests. An unreachable PostgreSQL fails the run loudly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from rookery.db.engine import normalize_url
from tests.support.receiver import Receiver
from tests.support.service import Service, settings_for, write_config
from tests.support.smtp import SmtpServer

PG_URL = os.environ.get("ROOKERY_TEST_DATABASE_URL")
DATABASES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A PostgreSQL database for this xdist worker, created fresh for the session."""
    assert PG_URL, "ROOKERY_TEST_DATABASE_URL is not set"
    base = make_url(normalize_url(PG_URL))
    # The pid keeps concurrent pytest runs on one server out of each other's way.
    name = f"rookery_test_{worker_id}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # a configured but unreachable database must fail the run
        pytest.exit(f"ROOKERY_TEST_DATABASE_URL={PG_URL} is unreachable: {error}", returncode=3)
    url = base.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        if tables:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ready-to-migrate, empty database: SQLite file, or the worker's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rookery.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A recording HTTP receiver on 127.0.0.1."""
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A recording SMTP server (aiosmtpd) on 127.0.0.1."""
    server = SmtpServer().start()
    yield server
    server.stop()


ServiceFactory = Callable[..., Service]


@pytest.fixture
def start_service(database_url: str, tmp_path: Path) -> Iterator[ServiceFactory]:
    """Start Rookery on the test database: ``start_service(webhooks=[...], **settings)``."""
    started: list[Service] = []

    def start(
        webhooks: list[dict[str, Any]] | None = None,
        *,
        worker: bool = True,
        config_sections: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Service:
        if webhooks is not None or config_sections:
            path = write_config(
                tmp_path / f"config{len(started)}", webhooks, **(config_sections or {})
            )
            key = "config_path" if config_sections else "webhooks_config_path"
            overrides.setdefault(key, str(path))
        service = Service(settings_for(database_url, **overrides), worker=worker).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def service(start_service: ServiceFactory) -> Service:
    """Rookery with no webhooks configured."""
    return start_service()
