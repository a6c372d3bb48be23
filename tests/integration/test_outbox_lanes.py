"""The outbox opens lanes in the statement that writes the deliveries: a new delivery heads
its lane exactly when it is the lane's lowest unfinished id, whatever committed around it
(PostgreSQL: real concurrency)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from rookery.db import outbox_rows, queue
from rookery.db.models import Delivery, DeliveryLane, Event
from rookery.db.outcomes import record_results
from rookery.domain.delivery_states import DeliveryState
from rookery.services import events, outbox
from rookery.services.unit_of_work import CHANNEL, UnitOfWork, notify_payload
from rookery.webhooks.actions import WebhookAction
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service


def _postgres(service: Service) -> None:
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("two writing transactions at once: PostgreSQL only")


def _publish(service: Service, name: str) -> tuple[UnitOfWork, int]:
    """Open a unit of work that queues ``name``'s create_user delivery, and send the statement
    its commit sends first (rows, lane and wake-up): the id is drawn, the lane's row written,
    nothing committed yet, so that another transaction can commit in between."""
    uow = service.app.uow().__enter__()
    events.publish(uow, WebhookAction.CREATE_USER, "carol", {"user.name": name})
    [row] = outbox_rows.write_and_open(
        uow.session,
        uow.events_unwritten,
        uow.deliveries_unwritten,
        datetime.now(UTC),
        CHANNEL,
        notify_payload("tests", None),
    )
    uow.events_unwritten, uow.deliveries_unwritten = [], []
    return uow, row.id


def _drawn(service: Service, name: str) -> tuple[UnitOfWork, int]:
    """Open a unit of work whose create_user delivery for ``name`` is written early (as a
    caller that needs its id does): the id is drawn, the lane's row waits for the commit."""
    uow = service.app.uow().__enter__()
    events.publish(uow, WebhookAction.CREATE_USER, "carol", {"user.name": name})
    [row] = outbox.write_now(uow)
    return uow, row.id


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
    first, first_id = _drawn(service, "a")
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


def test_one_commit_writes_its_events_and_deliveries_in_publish_order(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Six events over two subjects in one unit of work: each delivery row holds its rendered
    request, ids follow the publishing order, and each lane is headed by its first delivery
    (on PostgreSQL all of it is one statement; on SQLite, three)."""
    service = start_service(
        [
            hook(
                receiver, "mirror", "/h", headers={"X-Trace": "t"}, retry={"schedule": ["1s", "2s"]}
            )
        ],
        worker=False,
    )
    names = ["a", "b", "c", "d", "e", "f"]
    with service.app.uow("admin") as uow:
        for i, name in enumerate(names):
            subject = "one" if i % 2 == 0 else "two"
            events.publish(uow, WebhookAction.CREATE_USER, subject, {"user.name": name})
        uow.commit()
    with service.app.session() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        lanes = session.execute(select(DeliveryLane.lane, DeliveryLane.head_id))
        heads = {row.lane: row.head_id for row in lanes}
        written = {e.id: e for e in session.scalars(select(Event))}
    assert [json.loads(r.body or b"")["user"] for r in rows] == names
    assert [written[r.event_id].params["user.name"] for r in rows] == names
    assert {r.state for r in rows} == {DeliveryState.PENDING}
    assert {r.attempt_count for r in rows} == {0}
    assert rows[0].headers == {"Content-Type": "application/json", "X-Trace": "***"}
    assert rows[0].retry_schedule == [1.0, 2.0]
    assert rows[0].next_attempt_at == rows[0].created_at == written[rows[0].event_id].created_at
    assert rows[0].lease_until is None
    assert rows[0].completed_at is None
    assert heads == {rows[0].lane: rows[0].id, rows[1].lane: rows[1].id}
    assert {written[r.event_id].actor for r in rows} == {"admin"}


def test_a_commit_writes_its_own_rows_before_it_locks_a_lane(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Deleting a user: the user's row goes before the outbox touches the lane. A worker
    recording an answer for that user locks the user's row, then the lane's; the other order
    here deadlocked with it (PostgreSQL aborted the delete: 503)."""
    service = start_service([hook(receiver, "gone", "/h", action="delete_user")], worker=False)
    create_user(service, "gina")
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(service.app.engine, "before_cursor_execute", record)
    try:
        assert service.admin.delete("/users/gina").status_code == 200
    finally:
        event.remove(service.app.engine, "before_cursor_execute", record)
    deleted = next(i for i, s in enumerate(sent) if s.startswith("DELETE FROM users"))
    lanes = next(i for i, s in enumerate(sent) if "delivery_lanes" in s)
    assert deleted < lanes, sent
