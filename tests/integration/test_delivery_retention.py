"""Retention: finished deliveries (with their attempts, and events left without deliveries)
are removed in small batches once past their retention; recent and open ones stay."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from rookery.db.models import Attempt, Delivery, Event
from rookery.services.delivery_retention import purge_batch
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

NOW = datetime.now(UTC)
# (state, days since it finished or, for open ones, since it was created)
AGES = [
    ("delivered", 31),  # past 30 days: removed
    ("delivered", 29),
    ("failed", 89),
    ("failed", 91),  # past 90 days: removed
    ("pending", 400),  # open: never removed, however old
    ("sending", 400),
]
GONE = {0, 3}


def _age_deliveries(service: Service) -> list[int]:
    """Give the service's deliveries the states and ages of ``AGES``, each with an attempt and
    its event as old; return their ids in ``AGES`` order."""
    with service.app.session() as session:
        rows = session.execute(select(Delivery.id, Delivery.event_id).order_by(Delivery.id)).all()
        for (delivery_id, event_id), (state, days) in zip(rows, AGES, strict=True):
            moment = NOW - timedelta(days=days)
            finished = state in ("delivered", "failed")
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(
                    state=state,
                    completed_at=moment if finished else None,
                    created_at=moment,
                    next_attempt_at=NOW + timedelta(days=1),
                    claimed_by="elsewhere" if state == "sending" else None,
                    lease_until=NOW + timedelta(days=1) if state == "sending" else None,
                )
            )
            session.execute(update(Event).where(Event.id == event_id).values(created_at=moment))
            session.add(
                Attempt(delivery_id=delivery_id, number=1, started_at=moment, latency_ms=1.0)
            )
        session.commit()
    return [delivery_id for delivery_id, _ in rows]


def _left(service: Service) -> tuple[set[int], set[int], int]:
    """Delivery ids, ids of deliveries with attempts, and the number of events left."""
    with service.app.session() as session:
        deliveries = set(session.scalars(select(Delivery.id)))
        attempted = set(session.scalars(select(Attempt.delivery_id)))
        events = int(session.scalar(select(func.count()).select_from(Event)) or 0)
    return deliveries, attempted, events


def _users(service: Service) -> None:
    for number in range(len(AGES)):
        create_user(service, f"user{number}")


def test_expired_finished_deliveries_go_in_batches_and_the_rest_stays(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """With a batch of one, the first call removes one delivered and one failed delivery past
    their retention (30 and 90 days), with their attempts and their events; the next finds
    nothing more; recent finished and open deliveries are kept, however old."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    _users(service)
    ids = _age_deliveries(service)

    first = purge_batch(service.app.uow(), datetime.now(UTC), batch=1)
    assert (first.deliveries, first.events, first.full) == (2, 1, True)
    second = purge_batch(service.app.uow(), datetime.now(UTC), batch=1)
    assert (second.deliveries, second.events, second.full) == (0, 1, True)
    third = purge_batch(service.app.uow(), datetime.now(UTC), batch=1)
    assert (third.deliveries, third.events, third.full) == (0, 0, False)

    kept = {ids[i] for i in range(len(AGES)) if i not in GONE}
    deliveries, attempted, events = _left(service)
    assert deliveries == kept
    assert attempted == kept
    assert events == len(kept)


def test_the_worker_removes_expired_deliveries_on_its_own(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A worker started on a database holding expired deliveries removes them; shorter
    retention settings are obeyed (a delivery 29 days old goes with 10 days)."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    _users(service)
    ids = _age_deliveries(service)
    service.stop()
    worker = start_service(
        [hook(receiver, "mirror", "/h")], delivery_retention_days=10, failed_retention_days=90
    )
    gone = {ids[0], ids[1], ids[3]}
    deadline = time.monotonic() + 15
    while gone & _left(worker)[0]:
        assert time.monotonic() < deadline, f"still there: {gone & _left(worker)[0]}"
        time.sleep(0.1)
    assert {ids[2], ids[4], ids[5]} <= _left(worker)[0]
