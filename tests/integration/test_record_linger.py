"""A quiet worker records an answer with the next commit's claim, in one turn, unless a
delivery may be waiting behind it in its lane (delivery/runner.py, ``linger``)."""

from __future__ import annotations

import time

from sqlalchemy import select

from rookery.db.models import Delivery
from rookery.delivery.runner import WorkerThread
from rookery.domain.delivery_states import DeliveryState
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

# Long enough that only a commit (or the stop) can end the wait: the test cannot race it.
LINGER = 5.0


def _states(service: Service) -> list[DeliveryState]:
    with service.app.session() as session:
        return list(session.scalars(select(Delivery.state).order_by(Delivery.id)))


def test_answers_ride_on_the_next_commits_turn(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Requests one at a time, each after the previous webhook arrived: each commit's turn
    claims its delivery and records the answer before it, so n deliveries cost about n turns
    (not a claim turn and a record turn each), and every one ends delivered."""
    service = start_service([hook(receiver, "one", "/one")], worker=False)
    thread = WorkerThread(service.app, linger=LINGER).start()
    users = 8
    try:
        for number in range(users):
            create_user(service, f"user{number}")
            receiver.wait_for(number + 1, "/one", timeout=10)
            time.sleep(0.2)  # the receiver logs a request before it answers: let it answer
    finally:
        thread.stop()
    assert thread.worker is not None
    assert thread.worker.turns <= users + 3, thread.worker.turns  # and a start, a stop
    assert _states(service) == [DeliveryState.DELIVERED] * users  # the last, at the stop


def test_an_answer_with_a_delivery_behind_it_is_recorded_at_once(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """alice's deletion is committed while her creation's webhook is on the wire: that answer
    is recorded as soon as it arrives, so the deletion's webhook, next in her lane, goes out
    then, not a linger later."""
    receiver.script("/created", delay=0.5)
    hooks = [
        hook(receiver, "created", "/created"),
        hook(receiver, "deleted", "/deleted", action="delete_user"),
    ]
    service = start_service(hooks, worker=False)
    thread = WorkerThread(service.app, linger=LINGER).start()
    try:
        create_user(service, "alice")
        time.sleep(0.2)  # its webhook is on the wire now (the receiver answers in 0.5 s)
        assert service.admin.delete("/users/alice").status_code == 200
        started = time.monotonic()
        receiver.wait_for(1, "/deleted", timeout=10)
        waited = time.monotonic() - started
    finally:
        thread.stop()
    assert waited < LINGER / 2, waited
    assert [r.path for r in receiver.requests] == ["/created", "/deleted"]
