"""PostgreSQL breaks a deadlock by aborting one of the two transactions. When a use case is
the one aborted it meets a concurrent write, not an outage: a use case wrapped in
``settle_races`` runs once more and succeeds, any other raises ``ConcurrentChangeError``
(409 "try again"), never ``DatabaseUnavailableError`` (503). A real deadlock, made with a
second connection that takes the same two rows in the other order."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session

from rookery.db.models import Group
from rookery.errors import ConcurrentChangeError
from rookery.services.conflicts import settle_races
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service


def _groups(service: Service) -> tuple[int, int]:
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("a deadlock takes two writing transactions at once: PostgreSQL only")
    for name in ("left", "right"):
        assert service.admin.post("/groups", json={"group_name": name}).status_code == 201
    with service.app.session() as session:
        ids = {
            row.group_name: row.id for row in session.execute(select(Group.group_name, Group.id))
        }
    return ids["left"], ids["right"]


def _await_blocked_by(service: Service, holder: int) -> None:
    """Wait until a transaction waits for a lock that backend ``holder`` holds (pg_locks is
    read live, each time on a connection of its own)."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND :pid = ANY(pg_blocking_pids(pid))"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with service.app.engine.connect() as connection:
            if connection.execute(query, {"pid": holder}).scalar_one():
                return
        time.sleep(0.01)
    raise AssertionError(f"nothing waited for backend {holder}")


def _backend(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


class _Deadlock:
    """A use case that locks ``left`` then ``right``; on its first run another connection
    locks ``right`` and then waits for ``left``, so the two wait for each other. The use case
    checks for deadlocks sooner (``deadlock_timeout``), so PostgreSQL aborts it, not the other."""

    def __init__(self, service: Service, left: int, right: int) -> None:
        self.service = service
        self.left = left
        self.right = right
        self.runs = 0
        self.other_holds_right = threading.Event()
        self.other_pid = 0
        self.other_error: BaseException | None = None
        self.other = threading.Thread(target=self._other)

    def _set(self, writer: Session | Connection, group_id: int, description: str) -> None:
        writer.execute(update(Group).where(Group.id == group_id).values(description=description))

    def _other(self) -> None:
        try:
            with self.service.app.engine.connect() as connection:
                self.other_pid = _backend(connection)
                connection.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                self._set(connection, self.right, "other")
                self.other_holds_right.set()
                self._set(connection, self.left, "other")  # waits for the use case
                connection.commit()
        except BaseException as error:  # reported by the test
            self.other_error = error

    def use_case(self) -> str:
        with self.service.app.uow() as uow:
            self.runs += 1
            uow.session.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            self._set(uow.session, self.left, "use case")
            if self.runs == 1:
                mine = _backend(uow.session.connection())
                self.other.start()
                assert self.other_holds_right.wait(10)
                _await_blocked_by(self.service, mine)  # the other waits for left
            self._set(uow.session, self.right, "use case")
            uow.commit()
        return "done"

    def descriptions(self) -> list[str | None]:
        with self.service.app.session() as session:
            rows = session.execute(
                select(Group.description)
                .where(Group.id.in_((self.left, self.right)))
                .order_by(Group.id != self.left)
            )
            return list(rows.scalars())


def test_a_wrapped_use_case_aborted_by_a_deadlock_runs_once_more(
    start_service: ServiceFactory,
) -> None:
    """The first run is the deadlock's victim; the second runs after the other committed."""
    service = start_service(worker=False)
    deadlock = _Deadlock(service, *_groups(service))
    assert settle_races(deadlock.use_case)() == "done"
    deadlock.other.join(10)
    assert deadlock.other_error is None, deadlock.other_error
    assert deadlock.runs == 2
    assert deadlock.descriptions() == ["use case", "use case"]  # the second run wrote last


def test_another_use_case_aborted_by_a_deadlock_is_told_to_try_again(
    start_service: ServiceFactory,
) -> None:
    """Not wrapped: a 409's error, naming the deadlock, and the other transaction's writes."""
    service = start_service(worker=False)
    deadlock = _Deadlock(service, *_groups(service))
    with pytest.raises(ConcurrentChangeError, match="deadlock"):
        deadlock.use_case()
    deadlock.other.join(10)
    assert deadlock.other_error is None, deadlock.other_error
    assert deadlock.descriptions() == ["other", "other"]


def test_deleting_a_user_while_a_worker_records_her_answer_succeeds(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """``DELETE /users/gina`` once answered 503 in CI: a deadlock between her deletion,
    which locks her row and then writes her lane's, and a worker recording her answer. The
    commit now keeps the worker's order, but any writer taking the two rows in the other
    order still deadlocks with a deletion. A second connection plays it, checking for
    deadlocks later than the API does, so PostgreSQL aborts the deletion, which runs once
    more and answers 200."""
    hooks = [
        hook(receiver, "created", "/created"),
        hook(receiver, "deleted", "/deleted", action="delete_user"),
    ]
    service = start_service(hooks, worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("a deadlock takes two writing transactions at once: PostgreSQL only")
    user_id = create_user(service, "gina")  # her lane's row: the delivery waits unsent
    holds_lane = threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            with service.app.engine.connect() as connection:
                me = _backend(connection)
                connection.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                connection.execute(
                    text("SELECT 1 FROM delivery_lanes WHERE lane LIKE :lane FOR UPDATE"),
                    {"lane": f"%user:{user_id}"},
                )
                holds_lane.set()
                _await_blocked_by(service, me)  # the deletion holds her row, waits for the lane
                connection.execute(
                    text("SELECT 1 FROM users WHERE id = :id FOR UPDATE"), {"id": user_id}
                )
                connection.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    other = threading.Thread(target=other_writer)
    other.start()
    assert holds_lane.wait(10)
    response = service.admin.delete("/users/gina")
    other.join(10)
    assert errors == []
    assert response.status_code == 200, response.text
    assert service.admin.get("/users/gina").status_code == 404
