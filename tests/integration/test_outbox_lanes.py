"""The outbox opens lanes in one upsert: a new delivery heads its lane exactly when it is the
lane's lowest unfinished id, whatever committed around it (PostgreSQL: real concurrency)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rookery.db import queue
from rookery.db.models import Delivery, DeliveryLane
from rookery.db.outcomes import record_results
from rookery.domain.delivery_states import DeliveryState
from rookery.services import events
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import WebhookAction
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import hook
from tests.support.receiver import Receiver
from tests.support.service import Service


def _postgres(service: Service) -> None:
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("two writing transactions at once: PostgreSQL only")


def _publish(service: Service, name: str) -> tuple[UnitOfWork, int]:
    """Open a unit of work that queues ``name``'s create_user delivery (flushed, not committed)."""
    uow = service.app.uow().__enter__()
    _, rows = events.publish_deliveries(
        uow, WebhookAction.CREATE_USER, "carol", {"user.name": name}
    )
    uow.session.flush()
    return uow, rows[0].id


def _lane(service: Service) -> tuple[int, datetime | None]:
    with service.app.session() as session:
        row = session.execute(select(DeliveryLane.head_id, DeliveryLane.due_at)).one()
        return row.head_id, row.due_at


def test_an_id_drawn_first_and_committed_last_still_heads_its_lane(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Two events on one subject: the one that drew the lower id commits second, and becomes
    the lane's due head (the other waits behind it, as refresh would have computed)."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    _postgres(service)
    first, first_id = _publish(service, "a")
    second, second_id = _publish(service, "b")
    second.commit()
    second.__exit__(None, None, None)
    assert _lane(service)[0] == second_id
    first.commit()
    first.__exit__(None, None, None)
    head, due = _lane(service)
    assert (head, due is not None) == (first_id, True)
    assert first_id < second_id


def test_an_event_opening_a_lane_its_last_delivery_is_leaving_gets_a_row(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """While the worker records the lane's only delivery (its row deleted, not yet
    committed), a new event on the same subject commits after it: the lane has a row again,
    headed by the new delivery and due, so it is claimed."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    _postgres(service)
    old, _ = _publish(service, "a")
    old.commit()
    old.__exit__(None, None, None)
    now = datetime.now(UTC)
    with service.app.session() as session:
        (sending,) = queue.claim_due(session, "w", 10, timedelta(seconds=60), now)
        session.commit()
    result = answered(sending.id, "w", at=now)
    new_ids: list[int] = []

    def publish_new() -> None:
        uow, new_id = _publish(service, "b")
        uow.commit()  # waits for the recording transaction's lock on the lane
        uow.__exit__(None, None, None)
        new_ids.append(new_id)

    with service.app.session() as session:
        record_results(session, "w", {sending.id: sending}, [result], now)
        assert session.scalar(select(DeliveryLane.lane)) is None  # deleted, uncommitted
        publishing = threading.Thread(target=publish_new)
        publishing.start()
        publishing.join(0.5)
        session.commit()
    publishing.join(10)
    head, due = _lane(service)
    assert (head, due is not None) == (new_ids[0], True)
    with service.app.session() as session:
        claimed = queue.claim_due(session, "w", 10, timedelta(seconds=60), datetime.now(UTC))
        session.commit()
    assert [d.id for d in claimed] == new_ids
    with service.app.session() as session:
        states = session.scalars(select(Delivery.state).where(Delivery.id.in_(new_ids)))
        assert set(states) == {DeliveryState.SENDING}
