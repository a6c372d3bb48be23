"""Short use cases on the API's event loop (services/loop_writes.py ``run_write``).

On SQLite the use case runs on the loop, holding the write turn from before its first
transaction to after its last, the file's lock included (its own transactions enter and leave
inside that hold); the loop keeps running while another process holds the lock, and a lock
held past the busy timeout is an outage. While a thread of this process holds the turn, and on
PostgreSQL, the use case runs on a thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from rookery.db.availability import is_unavailable
from rookery.db.models import WorkerBeat
from rookery.errors import DatabaseUnavailableError
from rookery.services import groups
from rookery.services.lookups import find_group
from rookery.services.loop_writes import run_write
from tests.conftest import ServiceFactory
from tests.support.file_lock import held_by_another_process, lock_is_free
from tests.support.service import Service


def _sqlite_file(service: Service) -> str:
    if service.app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write turn")
    path = service.app.engine.url.database
    assert path
    return path


def _group_exists(service: Service, name: str) -> bool:
    with service.app.read_session() as session:
        return find_group(session, name) is not None


def test_a_write_runs_on_the_loop_holding_the_file_lock_across_its_transactions(
    start_service: ServiceFactory,
) -> None:
    service = start_service(worker=False)
    path = _sqlite_file(service)
    seen: dict[str, object] = {}

    def use_case() -> str:
        seen["thread"] = threading.get_ident()
        seen["free before"] = lock_is_free(path)
        groups.create_group(service.app.uow("admin"), "first")  # commits
        seen["free between"] = lock_is_free(path)
        groups.create_group(service.app.uow("admin"), "second")
        return "done"

    async def go() -> tuple[str, int]:
        return await run_write(service.app.engine, use_case), threading.get_ident()

    answer, loop_thread = asyncio.run(go())
    assert answer == "done"
    assert seen == {"thread": loop_thread, "free before": False, "free between": False}
    assert lock_is_free(path)
    assert _group_exists(service, "first")
    assert _group_exists(service, "second")


def test_a_write_waits_for_another_process_on_the_loop(start_service: ServiceFactory) -> None:
    service = start_service(worker=False)
    path = _sqlite_file(service)

    async def go(release: Callable[[], None]) -> tuple[bool, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        write = asyncio.create_task(
            run_write(service.app.engine, groups.create_group, service.app.uow("admin"), "g")
        )
        await asyncio.sleep(0.3)
        waited = not write.done()  # the other process still holds the lock
        release()
        await write
        ticker.cancel()
        return waited, ticks

    with held_by_another_process(path) as release:
        waited, ticks = asyncio.run(go(release))
    assert waited
    assert ticks >= 10  # the loop ran on while the write waited
    assert _group_exists(service, "g")
    assert lock_is_free(path)


def test_a_lock_held_past_the_busy_timeout_is_an_outage_and_nothing_runs(
    start_service: ServiceFactory,
) -> None:
    service = start_service(worker=False, sqlite_busy_timeout_seconds=0.3)
    path = _sqlite_file(service)
    ran: list[bool] = []

    async def go() -> None:
        await run_write(service.app.engine, lambda: ran.append(True))

    with held_by_another_process(path), pytest.raises(DatabaseUnavailableError) as raised:
        asyncio.run(go())
    assert is_unavailable(raised.value), raised.value
    assert ran == []
    assert lock_is_free(path)


def test_a_thread_holding_the_turn_sends_the_write_to_a_thread(
    start_service: ServiceFactory,
) -> None:
    service = start_service(worker=False)
    _sqlite_file(service)
    writing, finish = threading.Event(), threading.Event()

    def other_writer() -> None:  # a request's transaction, on a thread of this process
        with service.app.session() as session:
            session.execute(insert(WorkerBeat).values(worker_id="other", beat_at=datetime.now(UTC)))
            writing.set()
            finish.wait(10)
            session.commit()

    ran_on: list[int] = []

    def use_case() -> None:
        ran_on.append(threading.get_ident())
        groups.create_group(service.app.uow("admin"), "g")

    async def go() -> tuple[int, bool]:
        write = asyncio.create_task(run_write(service.app.engine, use_case))
        await asyncio.sleep(0.3)
        waited = not write.done()  # its thread waits for the other writer's commit
        finish.set()
        await write
        return threading.get_ident(), waited

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert writing.wait(10)
        loop_thread, waited = asyncio.run(go())
    finally:
        finish.set()
        thread.join(10)
    assert waited
    assert len(ran_on) == 1
    assert ran_on[0] != loop_thread
    assert _group_exists(service, "g")


def test_on_postgresql_a_write_runs_on_a_thread(start_service: ServiceFactory) -> None:
    service = start_service(worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL has no write turn")
    ran_on: list[int] = []

    def use_case() -> None:
        ran_on.append(threading.get_ident())
        groups.create_group(service.app.uow("admin"), "g")

    async def go() -> int:
        await run_write(service.app.engine, use_case)
        return threading.get_ident()

    loop_thread = asyncio.run(go())
    assert ran_on != [loop_thread]
    assert len(ran_on) == 1
    assert _group_exists(service, "g")
