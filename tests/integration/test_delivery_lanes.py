"""The lanes table: one row per lane with unfinished deliveries, naming its head and due time;
claims read it, and on PostgreSQL two claimers never take the same lane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rookery.db import queue
from rookery.db.models import Delivery, DeliveryLane
from rookery.db.outcomes import record_results
from rookery.db.queue import ClaimedDelivery
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

LEASE = timedelta(seconds=60)


def _three_hooks(receiver: Receiver) -> list[dict[str, object]]:
    """Three create_user webhooks to one receiver: a new user opens a lane of three."""
    return [hook(receiver, name, "/h") for name in ("one", "two", "three")]


def _lanes(service: Service) -> dict[str, tuple[int, bool]]:
    """Each lane row as (head id, whether the head is due)."""
    with service.app.session() as session:
        rows = session.execute(select(DeliveryLane.lane, DeliveryLane.head_id, DeliveryLane.due_at))
        return {lane: (head, due is not None) for lane, head, due in rows}


def _claim(session: Session, worker: str) -> list[ClaimedDelivery]:
    return queue.claim_due(session, worker, 64, LEASE, datetime.now(UTC))


def test_a_lane_row_follows_its_head_until_the_lane_empties(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A lane's row names its lowest unfinished delivery; a claim takes only that one, the row
    waits (not due) while it is sent, moves to the next when it is delivered, and goes away
    with the lane's last delivery."""
    service = start_service(_three_hooks(receiver), worker=False)
    create_user(service, "alice")
    with service.app.session() as session:
        ids = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
    ((lane, head),) = _lanes(service).items()
    assert head == (ids[0], True)

    for expected in ids:
        with service.app.session() as session:
            claimed = _claim(session, "w")
            session.commit()
        assert [d.id for d in claimed] == [expected]
        assert _lanes(service)[lane] == (expected, False)
        with service.app.session() as session:
            assert _claim(session, "w") == []  # the head is out: the lane waits
            record_results(
                session,
                "w",
                {expected: claimed[0]},
                [answered(claimed[0].id, "w")],
                datetime.now(UTC),
            )
            session.commit()
    assert _lanes(service) == {}


def test_lanes_of_many_users_are_claimed_together(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Five users' lanes give five heads to one claim, never a second delivery of a lane."""
    service = start_service(_three_hooks(receiver), worker=False)
    for number in range(5):
        create_user(service, f"user{number}")
    with service.app.session() as session:
        claimed = _claim(session, "w")
        session.commit()
    assert len(claimed) == 5
    assert len({d.lane for d in claimed}) == 5
    lanes = _lanes(service)
    assert [lanes[d.lane] for d in claimed] == [(d.id, False) for d in claimed]


def test_a_released_claim_makes_its_lane_due_again(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A claim whose lease ran out goes back to pending, and its lane is due again."""
    service = start_service(_three_hooks(receiver), worker=False)
    create_user(service, "bob")
    with service.app.session() as session:
        (claimed,) = _claim(session, "w")
        session.commit()
    with service.app.session() as session:
        released = queue.release_expired_leases(session, datetime.now(UTC) + 2 * LEASE)
        session.commit()
    assert released == 1
    assert list(_lanes(service).values()) == [(claimed.id, True)]


def test_two_postgresql_claimers_skip_each_others_lanes(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """While one transaction holds its claim, a second claimer takes the other lanes' heads
    (SKIP LOCKED), never a delivery of a lane the first holds."""
    service = start_service(_three_hooks(receiver), worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: claims cannot overlap")
    for number in range(6):
        create_user(service, f"user{number}")
    with service.app.session() as first, service.app.session() as second:
        mine = queue.claim_due(first, "a", 3, LEASE, datetime.now(UTC))
        theirs = _claim(second, "b")
        second.commit()
        first.commit()
    assert len(mine) == 3
    assert len(theirs) == 3
    assert not {d.lane for d in mine} & {d.lane for d in theirs}
