"""Read sessions cost no transaction on PostgreSQL, and hand their connection back as they
found it; a signed-in request's session check is one statement.

Runs on SQLite and, when configured, PostgreSQL, against a real uvicorn server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text

from rookery.services.lookups import caller_by_id, find_user
from tests.conftest import ServiceFactory
from tests.support.service import Service
from tests.support.world import PASSWORD


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[bool, str]]]:
    """(the DBAPI connection's autocommit, the statement) of every statement sent meanwhile."""
    seen: list[tuple[bool, str]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        driver = conn.connection.dbapi_connection
        seen.append((bool(getattr(driver, "autocommit", False)), statement))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _postgresql(service: Service) -> bool:
    return service.app.engine.dialect.name == "postgresql"


def test_a_read_session_leaves_no_autocommit_behind_for_writers(service: Service) -> None:
    app = service.app
    app.engine.dispose()  # one connection in the pool: the writer gets the reader's
    with app.read_session() as session:
        reader = session.connection().connection.dbapi_connection
        assert session.execute(text("SELECT 1")).scalar_one() == 1
        read_autocommit = getattr(reader, "autocommit", None)
    with app.uow() as uow:
        writer = uow.session.connection().connection.dbapi_connection
        write_autocommit = getattr(writer, "autocommit", None)
    assert writer is reader
    if _postgresql(service):
        assert read_autocommit is True
        assert write_autocommit is False


def test_the_session_check_is_one_statement_and_reads_open_no_transaction(
    service: Service,
) -> None:
    with statements(service.app.engine) as seen:
        answered = service.admin.get("/users")
    assert answered.status_code == 200, answered.text
    seen = [(autocommit, s) for autocommit, s in seen if s != "BEGIN"]  # SQLite's own
    checks = [s for _, s in seen if "sessions_valid_from" in s and "EXISTS" in s]
    assert len(checks) == 1, seen
    assert seen[0][1] == checks[0]
    assert [autocommit for autocommit, _ in seen] == [_postgresql(service)] * len(seen)


def test_the_caller_says_who_is_an_administrator(start_service: ServiceFactory) -> None:
    service = start_service()
    created = service.admin.post(
        "/users", json={"user_name": "bea", "email": "bea@example.org", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    with service.app.read_session() as session:
        admin = find_user(session, service.settings.admin_user)
        bea = find_user(session, "bea")
        assert admin is not None
        assert bea is not None
        assert caller_by_id(session, admin.id) == (
            admin.id,
            admin.user_name,
            admin.sessions_valid_from,
            True,
        )
        assert caller_by_id(session, bea.id) == (bea.id, "bea", bea.sessions_valid_from, False)
        assert caller_by_id(session, bea.id + 1000) is None
