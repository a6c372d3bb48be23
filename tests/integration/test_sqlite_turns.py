"""SQLite turns at the driver (db/sqlite_turns.py ``SQLiteTurns``): the same records and claims
as a turn through the session; from the loop only while the write turn is free (another
writer makes it answer None at once, and a waiting turn goes once that writer commits); a
lock held past the busy timeout is an outage, and the next turn records what that one could
not."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from rookery.db import queue
from rookery.db.availability import is_unavailable
from rookery.db.models import WorkerBeat
from rookery.db.outcomes import RecordedBatch
from rookery.db.queue import ClaimedDelivery
from rookery.db.sqlite_turns import SQLiteTurns
from rookery.domain.delivery_states import DeliveryState
from rookery.errors import DatabaseUnavailableError
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.file_lock import held_by_another_process
from tests.support.queue_state import queue_counts
from tests.support.receiver import Receiver
from tests.support.service import Service

LEASE = timedelta(seconds=60)
WORKER = "sqlite-turns"


def _lane_of_three(start_service: ServiceFactory, receiver: Receiver, **settings: float) -> Service:
    """On SQLite, a service without a worker and one user whose creation opened a lane of
    three deliveries."""
    hooks = [hook(receiver, name, "/h") for name in ("one", "two", "three")]
    service = start_service(hooks, worker=False, **settings)
    if service.app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's turns at the driver")
    create_user(service, "alice")
    return service


def _turn(
    turns: SQLiteTurns, sent: list[ClaimedDelivery], *, wait: bool = False
) -> list[ClaimedDelivery] | None:
    now = datetime.now(UTC)
    results = [answered(d.id, WORKER, number=d.attempt_count + 1) for d in sent]
    batch = RecordedBatch.plain(WORKER, {d.id: d for d in sent}, results, now) if sent else None
    done = turns.record_and_claim(
        batch, queue.claim_params(WORKER, 64, LEASE, now, ()), now, wait=wait
    )
    if done is None:
        return None
    claimed, unheld = done
    assert unheld == {}
    return claimed


def _states_read(service: Service) -> list[str]:
    """The deliveries' states, read without taking the write turn (another writer holds it)."""
    path = service.app.engine.url.database
    assert path
    with closing(sqlite3.connect(path)) as reader:
        return [state for (state,) in reader.execute("SELECT state FROM deliveries ORDER BY id")]


def test_a_turn_at_the_driver_records_and_claims_one_at_a_time(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = _lane_of_three(start_service, receiver)
    turns = SQLiteTurns(service.app.engine)
    try:
        first = _turn(turns, [])
        assert first is not None
        second = _turn(turns, first)
        assert second is not None
        third = _turn(turns, second)
        assert third is not None
        last = _turn(turns, third)
    finally:
        turns.close()
    assert [len(claimed) for claimed in (first, second, third, last or [])] == [1, 1, 1, 0]
    assert first[0].id < second[0].id < third[0].id
    assert first[0].next_attempt_at.tzinfo is UTC
    assert first[0].claimed_by == WORKER
    # Every delivery delivered, once each, and the emptied lane's row gone.
    assert queue_counts(service) == ([DeliveryState.DELIVERED] * 3, 3, 0)


def test_another_writer_makes_a_loop_turn_give_way_and_a_waiting_turn_follow_it(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = _lane_of_three(start_service, receiver)
    turns = SQLiteTurns(service.app.engine)
    writing, finish = threading.Event(), threading.Event()

    def other_writer() -> None:  # a request's transaction, on a thread of this process
        with service.app.session() as session:
            beat = {"worker_id": "other", "beat_at": datetime.now(UTC)}
            session.execute(insert(WorkerBeat).values(beat))
            writing.set()
            finish.wait(10)
            session.commit()

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert writing.wait(10)
        began = time.monotonic()
        assert _turn(turns, []) is None  # the turn is taken: no wait, nothing done
        assert time.monotonic() - began < 0.5
        assert _states_read(service) == [DeliveryState.PENDING] * 3  # WAL: read, no turn
        got: list[list[ClaimedDelivery] | None] = []
        waiting = threading.Thread(target=lambda: got.append(_turn(turns, [], wait=True)))
        waiting.start()
        time.sleep(0.2)
        assert not got  # still waiting for the other writer
        finish.set()
        waiting.join(10)
    finally:
        finish.set()
        thread.join(10)
        turns.close()
    assert got
    assert got[0] is not None
    assert len(got[0]) == 1
    assert queue_counts(service)[0] == [DeliveryState.SENDING] + [DeliveryState.PENDING] * 2


def test_a_lock_held_past_the_busy_timeout_is_an_outage_and_the_next_turn_records(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = _lane_of_three(start_service, receiver, sqlite_busy_timeout_seconds=0.5)
    path = service.app.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)  # past Rookery's gate
    turns = SQLiteTurns(service.app.engine)
    try:
        first = _turn(turns, [])
        assert first is not None
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseUnavailableError) as raised:
            _turn(turns, first, wait=True)
        assert is_unavailable(raised.value), raised.value
        holder.execute("ROLLBACK")
        second = _turn(turns, first)  # a new connection: records what the failed turn could not
    finally:
        holder.close()
        turns.close()
    assert second is not None
    assert len(second) == 1
    assert second[0].id > first[0].id
    states, attempts, _ = queue_counts(service)
    assert states == [DeliveryState.DELIVERED, DeliveryState.SENDING, DeliveryState.PENDING]
    assert attempts == 1  # the failed turn wrote nothing


def test_a_loop_turn_waits_for_another_process_on_the_loop_and_then_goes(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = _lane_of_three(start_service, receiver)
    path = service.app.engine.url.database
    assert path
    turns = SQLiteTurns(service.app.engine)

    async def go(release: Callable[[], None]) -> tuple[list[ClaimedDelivery] | None, bool]:
        now = datetime.now(UTC)
        claim = queue.claim_params(WORKER, 64, LEASE, now, ())
        waiting = asyncio.create_task(turns.record_and_claim_on_loop(None, claim, now))
        await asyncio.sleep(0.3)
        waited = not waiting.done()  # the other process still holds the lock
        release()
        done = await waiting
        return (None if done is None else done[0]), waited

    try:
        with held_by_another_process(path) as release:
            claimed, waited = asyncio.run(go(release))
    finally:
        turns.close()
    assert waited
    assert claimed is not None
    assert len(claimed) == 1
    assert queue_counts(service)[0] == [DeliveryState.SENDING] + [DeliveryState.PENDING] * 2
