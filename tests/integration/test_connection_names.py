"""Each PostgreSQL connection of Rookery says what it is in ``pg_stat_activity``: the engine's
are the command's (``rookery`` unless a command names them), the worker's own connections name
their use; a database URL that names its connections (``?application_name=``) wins."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import make_url, text

from rookery.db.engine import make_engine
from rookery.db.turns import TURNS_NAME
from rookery.delivery.listener import LISTEN_NAME
from tests.conftest import ServiceFactory
from tests.support.delivery_log import hook
from tests.support.receiver import Receiver

NAMES = text(
    "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database()"
)


def _postgresql_only(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("application_name is PostgreSQL's")


def _shown(url: str, name: str | None = None) -> str:
    engine = make_engine(url) if name is None else make_engine(url, name=name)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW application_name")).scalar_one())
    finally:
        engine.dispose()


def test_the_engine_names_its_connections_unless_the_url_does(database_url: str) -> None:
    _postgresql_only(database_url)
    assert _shown(database_url) == "rookery"
    assert _shown(database_url, name="rookery serve") == "rookery serve"
    named = make_url(database_url).update_query_dict({"application_name": "ops-dashboard"})
    url = named.render_as_string(hide_password=False)
    assert _shown(url, name="rookery serve") == "ops-dashboard"


def test_the_worker_names_its_turns_and_its_listener(
    start_service: ServiceFactory, receiver: Receiver, database_url: str
) -> None:
    _postgresql_only(database_url)
    service = start_service([hook(receiver, "mirror", "/h")])
    created = service.admin.post(
        "/users",
        json={"user_name": "ada", "email": "ada@example.org", "password": "a-long-password"},
    )
    assert created.status_code == 201, created.text
    receiver.wait_for(1)
    wanted = {"rookery", TURNS_NAME, LISTEN_NAME}
    deadline = time.monotonic() + 10
    names: set[str] = set()
    while time.monotonic() < deadline and not wanted <= names:
        with service.app.engine.connect() as connection:
            names = set(connection.execute(NAMES).scalars())
        time.sleep(0.05)
    assert wanted <= names, names
