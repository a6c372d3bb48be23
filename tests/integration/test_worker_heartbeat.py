"""Worker heartbeats: a beat frees the claims of workers silent for 8 s, and only theirs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from rookery.db import queue
from rookery.db.models import Delivery, WorkerBeat
from rookery.db.outcomes import record_results
from rookery.delivery.heartbeat import Heartbeat
from rookery.delivery.outage import OutageLog
from rookery.domain.delivery_states import DeliveryState
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver


def test_a_beat_frees_only_the_claims_of_silent_workers(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A worker silent for 9 s loses its claim; one that beat 3 s ago and a claimer that never
    beats (`rookery webhooks test`, left to its lease) keep theirs; the beater is recorded."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    for name in ("alice", "bob", "carol"):
        create_user(service, name)
    now = datetime.now(UTC)
    holders = {
        "dead": now - timedelta(seconds=9),
        "busy": now - timedelta(seconds=3),
        "tester": None,
    }
    with service.app.session() as session:
        ids = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
        for delivery_id, (worker, beat_at) in zip(ids, holders.items(), strict=True):
            if beat_at is not None:
                session.add(WorkerBeat(worker_id=worker, beat_at=beat_at))
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(state="sending", claimed_by=worker, lease_until=now + timedelta(minutes=5))
            )
        session.commit()
    Heartbeat(service.app, "live", list, timedelta(seconds=60), OutageLog()).beat([])
    with service.app.session() as session:
        states = {row.id: row.state for row in session.execute(select(Delivery.id, Delivery.state))}
        beats = set(session.scalars(select(WorkerBeat.worker_id)))
    assert [states[i] for i in ids] == ["pending", "sending", "sending"]
    assert beats == {"dead", "busy", "live"}


def test_a_beat_never_deadlocks_with_the_worker_recording_what_it_holds(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A beat renewing the leases of the deliveries the worker is recording meanwhile (one
    row already updated by the recording transaction, the next one not yet) finishes, and so
    does the recording: no deadlock (PostgreSQL aborted one after 1 s, which stalled every
    delivery of a busy worker behind it)."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite has one writer at a time")
    for name in ("alice", "bob"):
        create_user(service, name)
    now = datetime.now(UTC)
    with service.app.session() as session:
        held = queue.claim_due(session, "live", 10, timedelta(seconds=60), now)
        session.commit()
    low, high = held
    beat_errors: list[BaseException] = []

    def beat() -> None:
        try:
            Heartbeat(service.app, "live", list, timedelta(seconds=60), OutageLog()).beat(
                [low.id, high.id]
            )
        except BaseException as error:  # reported by the assertion below
            beat_errors.append(error)

    with service.app.session() as session:
        # The recording transaction holds the newer delivery's row...
        record_results(session, "live", {high.id: high}, [answered(high.id, "live")], now)
        beating = threading.Thread(target=beat)
        beating.start()
        beating.join(0.5)  # ...while the beat renews the leases of both...
        # ...and then updates the older one's.
        record_results(session, "live", {low.id: low}, [answered(low.id, "live")], now)
        session.commit()
    beating.join(10)
    assert not beat_errors, beat_errors
    with service.app.session() as session:
        states = set(
            session.scalars(select(Delivery.state).where(Delivery.id.in_([low.id, high.id])))
        )
    assert states == {DeliveryState.DELIVERED}


def test_leases_are_renewed_once_a_quarter_of_a_lease_has_passed(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """With a 60 s lease, the first beat renews what the worker holds, a beat 2 s later leaves
    the leases as they are (still over 45 s ahead), and one 16 s after the first renews them."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    create_user(service, "alice")
    start = datetime.now(UTC)
    with service.app.session() as session:
        (held,) = queue.claim_due(session, "live", 10, timedelta(seconds=60), start)
        session.commit()
    heartbeat = Heartbeat(service.app, "live", list, timedelta(seconds=60), OutageLog())

    def lease_after_beat_at(seconds: float) -> datetime:
        heartbeat.beat([held.id], start + timedelta(seconds=seconds))
        with service.app.session() as session:
            until = session.scalar(select(Delivery.lease_until).where(Delivery.id == held.id))
        assert until is not None
        return until

    assert lease_after_beat_at(1) == start + timedelta(seconds=61)
    assert lease_after_beat_at(3) == start + timedelta(seconds=61)
    assert lease_after_beat_at(17) == start + timedelta(seconds=77)
