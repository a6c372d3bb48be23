"""Runs: a claim takes a lane's head and the deliveries right behind it, the worker sends them
in order with no turn between, and gives back what it did not send; SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from rookery.db import queue
from rookery.db.models import Attempt, Delivery, DeliveryLane
from rookery.db.outcomes import record_results
from rookery.db.queue import ClaimedDelivery
from rookery.delivery.runner import WorkerThread
from rookery.domain.delivery_states import DeliveryState
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

LEASE = timedelta(seconds=60)


def _lane_of_three(service: Service) -> list[int]:
    """A new user: one lane of three deliveries (three create_user webhooks, one receiver)."""
    create_user(service, "alice")
    with service.app.session() as session:
        return list(session.scalars(select(Delivery.id).order_by(Delivery.id)))


def _states(service: Service) -> list[tuple[str, str | None]]:
    with service.app.session() as session:
        rows = session.execute(select(Delivery.state, Delivery.claimed_by).order_by(Delivery.id))
        return [(state, claimer) for state, claimer in rows]


def _three(receiver: Receiver, **extra: Any) -> list[dict[str, Any]]:
    return [hook(receiver, name, f"/{name}", **extra) for name in ("one", "two", "three")]


def _claim(service: Service, depth: int, now: datetime) -> list[ClaimedDelivery]:
    """Worker ``w`` claims runs of up to ``depth``, committed."""
    with service.app.session() as session:
        run = queue.claim_due(session, "w", 64, LEASE, now, depth=depth)
        session.commit()
    return run


def test_a_claim_takes_the_lane_up_to_its_depth_and_the_lane_waits(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Depth 2 takes the head and the next one, both ``sending`` for this worker; the lane is
    not due again until both are finished, and then its third goes out."""
    service = start_service(_three(receiver), worker=False)
    ids = _lane_of_three(service)
    now = datetime.now(UTC)
    run = _claim(service, 2, now)
    assert [d.id for d in run] == ids[:2]
    assert _states(service) == [("sending", "w"), ("sending", "w"), ("pending", None)]
    with service.app.session() as session:
        assert queue.claim_due(session, "x", 64, LEASE, now, depth=2) == []
        record_results(session, "w", {ids[0]: run[0]}, [answered(ids[0], "w")], now)
        session.commit()
    with service.app.session() as session:  # the second is still out: the lane waits
        assert queue.claim_due(session, "x", 64, LEASE, now, depth=2) == []
        record_results(session, "w", {ids[1]: run[1]}, [answered(ids[1], "w")], now)
        session.commit()
    with service.app.session() as session:
        assert [d.id for d in queue.claim_due(session, "x", 64, LEASE, now, depth=2)] == ids[2:]


def test_a_run_never_skips_a_delivery_that_is_not_due(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """When the second delivery of a lane waits for a later time, a run of the lane is its
    head alone: the third, although due, is not taken past it."""
    service = start_service(_three(receiver), worker=False)
    ids = _lane_of_three(service)
    now = datetime.now(UTC)
    with service.app.session() as session:
        later = now + timedelta(minutes=5)
        session.execute(update(Delivery).where(Delivery.id == ids[1]).values(next_attempt_at=later))
        session.commit()
    assert [d.id for d in _claim(service, 16, now)] == ids[:1]


def test_unsent_deliveries_go_back_and_the_lane_waits_for_the_retry(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """The head fails and will be retried: the rest of its run goes back to ``pending``
    (only this worker's claims), and the lane is due again at the head's retry, not before."""
    service = start_service(_three(receiver), worker=False)
    ids = _lane_of_three(service)
    now = datetime.now(UTC)
    run = _claim(service, 16, now)
    assert [d.id for d in run] == ids
    with service.app.session() as session:
        assert queue.release_unsent(session, "someone-else", ids[1:], now) == 0
        assert queue.release_unsent(session, "w", ids[1:], now) == 2
        record_results(session, "w", {ids[0]: run[0]}, [answered(ids[0], "w", status=500)], now)
        session.commit()
    assert _states(service) == [("pending", None)] * 3
    with service.app.session() as session:
        assert queue.claim_due(session, "w", 64, LEASE, now, depth=16) == []
        (lane,) = session.execute(select(DeliveryLane.head_id, DeliveryLane.due_at)).all()
    assert lane.head_id == ids[0]
    assert lane.due_at is not None
    assert lane.due_at > now


def test_the_worker_holds_a_run_behind_a_retry_and_sends_it_in_order(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Queued together, a lane's three deliveries go out as one run. The first fails once:
    the other two are not sent until its retry succeeded, then all arrive in lane order, and
    neither of them was attempted more than once."""
    receiver.script("/one", statuses=[500], default=200)
    service = start_service(_three(receiver, retry={"schedule": ["1s"]}), worker=False)
    ids = _lane_of_three(service)  # queued before the worker starts: one claim takes all
    worker = WorkerThread(service.app).start()
    try:
        arrived = receiver.wait_for(4, timeout=15)
        assert [r.path for r in arrived] == ["/one", "/one", "/two", "/three"]
        deadline = time.monotonic() + 10
        while _states(service) != [(DeliveryState.DELIVERED, None)] * 3:
            assert time.monotonic() < deadline, _states(service)
            time.sleep(0.05)
    finally:
        worker.stop()
    with service.app.session() as session:
        tried = session.execute(
            select(Attempt.delivery_id, Attempt.status_code).order_by(Attempt.id)
        ).all()
    assert [tuple(row) for row in tried] == [
        (ids[0], 500),
        (ids[0], 200),
        (ids[1], 200),
        (ids[2], 200),
    ]


def test_a_stopping_worker_gives_back_the_rest_of_its_runs(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Stopped while the second delivery of a run is on the wire (its receiver answers after
    a second), the worker records that answer and gives the third back to the queue unsent,
    so the next worker need not wait for a lease to run out."""
    receiver.script("/two", delay=1.0)
    service = start_service(_three(receiver), worker=False)
    ids = _lane_of_three(service)
    worker = WorkerThread(service.app).start()
    try:
        receiver.wait_for(1, "/one", timeout=10)
        time.sleep(0.3)  # the run sends /two as soon as /one is answered: now on the wire
    finally:
        worker.stop()
    assert _states(service) == [
        (DeliveryState.DELIVERED, None),
        (DeliveryState.DELIVERED, None),
        (DeliveryState.PENDING, None),
    ]
    assert [r.path for r in receiver.requests] == ["/one", "/two"]
    with service.app.session() as session:
        (lane,) = session.execute(select(DeliveryLane.head_id, DeliveryLane.due_at)).all()
    assert lane.head_id == ids[2]
    assert lane.due_at is not None
