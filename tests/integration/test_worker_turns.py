"""A worker turn records a batch of attempts and claims in one transaction (db/turns.py): the
claim sees the lanes the batch moved on, a delivery held by another worker is left to it, and
a lane that lost its row gets it back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from rookery.db import queue
from rookery.db.models import Attempt, Delivery, DeliveryLane
from rookery.db.queue import ClaimedDelivery
from rookery.db.turns import record_and_claim
from rookery.domain.delivery_states import DeliveryState
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

LEASE = timedelta(seconds=60)


def _lane_of_three(start_service: ServiceFactory, receiver: Receiver) -> Service:
    """A service without a worker, and one user whose creation opened a lane of three."""
    hooks = [hook(receiver, name, "/h") for name in ("one", "two", "three")]
    service = start_service(hooks, worker=False)
    create_user(service, "alice")
    return service


def _claim(service: Service, worker: str) -> list[ClaimedDelivery]:
    with service.app.session() as session:
        claimed = queue.claim_due(session, worker, 64, LEASE, datetime.now(UTC))
        session.commit()
    return claimed


def _turn(
    service: Service, worker: str, sent: list[ClaimedDelivery], want: int = 64
) -> list[ClaimedDelivery]:
    with service.app.session() as session:
        return record_and_claim(
            session,
            worker,
            {d.id: d for d in sent},
            [answered(d.id, worker, number=d.attempt_count + 1, excerpt="ok") for d in sent],
            want,
            LEASE,
            datetime.now(UTC),
        )


def _states(service: Service) -> list[tuple[int, DeliveryState, str | None]]:
    with service.app.session() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.state, Delivery.claimed_by).order_by(Delivery.id)
        )
        return [(i, state, by) for i, state, by in rows]


def test_a_turn_claims_the_next_delivery_of_the_lane_it_recorded(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Recording the head of a lane and claiming in one turn hands out the lane's next
    delivery at once, and only that one (the lane still goes one at a time)."""
    service = _lane_of_three(start_service, receiver)
    (first,) = _claim(service, "w")
    (second,) = _turn(service, "w", [first])
    (third,) = _turn(service, "w", [second])
    assert _turn(service, "w", [third]) == []
    assert [state for _, state, _ in _states(service)] == [DeliveryState.DELIVERED] * 3
    with service.app.session() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 3
        assert session.scalar(select(func.count()).select_from(DeliveryLane)) == 0


def test_a_turn_leaves_a_delivery_another_worker_now_holds(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A late answer of a worker whose lease ran out is recorded as an attempt, but the
    delivery stays with the worker that claimed it since, and its lane is not handed out."""
    service = _lane_of_three(start_service, receiver)
    (first,) = _claim(service, "a")
    with service.app.session() as session:
        queue.release_expired_leases(session, datetime.now(UTC) + 2 * LEASE)
        session.commit()
    (again,) = _claim(service, "b")
    assert again.id == first.id
    assert _turn(service, "a", [first]) == []
    assert _states(service)[0] == (first.id, DeliveryState.SENDING, "b")
    with service.app.session() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_a_turn_writes_back_a_lane_row_that_went_missing(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A lane whose row vanished while its head was out (a rebuild) is written afresh, its
    next delivery due, so the lane is never stranded."""
    service = _lane_of_three(start_service, receiver)
    (first,) = _claim(service, "w")
    with service.app.session() as session:
        session.execute(delete(DeliveryLane))
        session.commit()
    assert _turn(service, "w", [first], want=0) == []
    with service.app.session() as session:
        rows = session.execute(select(DeliveryLane.head_id, DeliveryLane.due_at)).all()
    assert [(head, due is not None) for head, due in rows] == [(first.id + 1, True)]
    (second,) = _claim(service, "w")
    assert second.id == first.id + 1


def test_a_stopping_worker_records_the_answers_of_sends_under_way(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Stopping the service while a send is under way waits for its answer and records it:
    the delivery ends delivered, not left claimed for another worker to send again."""
    receiver.script("/slow", delay=1.0)
    service = start_service([hook(receiver, "slow", "/slow")])
    create_user(service, "alice")
    deadline = time.monotonic() + 10
    while _states(service)[0][1] != DeliveryState.SENDING:
        assert time.monotonic() < deadline, "the delivery was never claimed"
        time.sleep(0.02)
    service.stop()
    assert len(receiver.on("/slow")) == 1
    ((_, state, claimed_by),) = _states(service)
    assert (state, claimed_by) == (DeliveryState.DELIVERED, None)
