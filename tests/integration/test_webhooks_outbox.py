"""The outbox (SPEC §5 "Ordering with the database", §6): events and deliveries are written in
the change's transaction, a rolled-back change sends nothing, and the API never waits for a
receiver.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from rookery.db.models import Delivery, Event, Token, User
from rookery.services import outbox
from rookery.services.users import add_new_user
from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import PASSWORD, count_rows, create_user, hook
from tests.support.receiver import Receiver
from tests.support.service import Service, free_port


def _two_hooks(start_service: ServiceFactory, receiver: Receiver) -> Service:
    payload = {"name": "{{user.name}}", "callback": "{{callback_url}}"}
    return start_service(
        webhooks=[
            hook("one", "create_user", receiver.url("/one"), payload),
            hook("two", "create_user", receiver.url("/two"), payload),
        ]
    )


def test_conflicting_create_writes_no_event(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """POST /users refused with 409 writes no Event, Delivery or Token, and sends nothing."""
    service = _two_hooks(start_service, receiver)
    create_user(service, "kate")
    receiver.wait_for(1, "/one")
    receiver.wait_for(1, "/two")
    before = (count_rows(service, Event), count_rows(service, Delivery), count_rows(service, Token))

    for body in (
        {"user_name": "kate", "email": "other@example.org", "password": PASSWORD},
        {"user_name": "kate2", "email": "kate@example.org", "password": PASSWORD},
    ):
        response = service.admin.post("/users", json=body)
        assert response.status_code == 409, response.text

    assert (
        count_rows(service, Event),
        count_rows(service, Delivery),
        count_rows(service, Token),
    ) == before
    create_user(service, "marker")
    got = receiver.wait_for(2, "/one")
    assert [r.json()["name"] for r in got] == ["kate", "marker"]


def _create_then_fail(service: Service, written: list[tuple[int, int]]) -> None:
    """Create a user in a unit of work, note the outbox rows it sees, then raise."""
    uow = service.app.uow("admin")
    with uow:
        add_new_user(uow, "ghost", "ghost@example.org", PASSWORD)
        outbox.write_now(uow)  # the rows the commit would write, written before the raise
        count = select(func.count())
        written.append(
            (
                int(uow.session.scalar(count.select_from(Event)) or 0),
                int(uow.session.scalar(count.select_from(Delivery)) or 0),
            )
        )
        raise RuntimeError("boom")


def test_use_case_raising_inside_unit_of_work_writes_nothing(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A unit of work that raises after publishing create_user leaves no user, event or token."""
    service = _two_hooks(start_service, receiver)
    written: list[tuple[int, int]] = []
    with pytest.raises(RuntimeError, match="boom"):
        _create_then_fail(service, written)
    assert written == [(1, 2)]  # inside the transaction, the outbox rows really existed

    assert count_rows(service, Event) == 0
    assert count_rows(service, Delivery) == 0
    assert count_rows(service, Token) == 0
    with service.app.session() as session:
        assert session.scalar(select(User).where(User.user_name == "ghost")) is None
    create_user(service, "real")
    assert [r.json()["name"] for r in receiver.wait_for(1, "/one")] == ["real"]


def test_committed_change_has_one_event_and_one_delivery_per_matching_webhook(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A committed create writes one Event and one Delivery per enabled, matching webhook."""
    payload = {"name": "{{user.name}}", "id": "{{user.id}}"}
    service = start_service(
        webhooks=[
            hook("first", "create_user", receiver.url("/first"), payload),
            hook("off", "create_user", receiver.url("/off"), payload, enabled=False),
            hook(
                "not-for-admin",
                "create_user",
                receiver.url("/skip"),
                payload,
                exclude_actors=["admin"],
            ),
            hook("deleted", "delete_user", receiver.url("/deleted"), payload),
            hook("second", "create_user", receiver.url("/second"), payload, format="text"),
        ]
    )
    uid = create_user(service, "liam")["user_id"]

    with service.app.session() as session:
        [event] = session.scalars(select(Event)).all()
        deliveries = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert (event.action, event.subject, event.actor) == ("create_user", f"user:{uid}", "admin")
    assert [d.webhook_name for d in deliveries] == ["first", "second"]
    assert {d.event_id for d in deliveries} == {event.id}

    [first] = receiver.wait_for(1, "/first")
    [second] = receiver.wait_for(1, "/second")
    assert first.body == deliveries[0].body
    assert second.body == deliveries[1].body
    assert second.headers["content-type"].startswith("text/plain")
    assert receiver.on("/off") == receiver.on("/skip") == receiver.on("/deleted") == []


@pytest.mark.parametrize("receiver_kind", ["slow", "refusing"])
def test_api_does_not_wait_for_the_receiver(
    start_service: ServiceFactory, receiver: Receiver, receiver_kind: str
) -> None:
    """With a receiver that takes 5 s or refuses connections, API calls answer in well under
    the receiver's time (< 2.5 s, a bound that holds on a loaded machine yet fails if the API
    waited for the receiver)."""
    if receiver_kind == "slow":
        receiver.script("/slow", delay=5.0)
        url = receiver.url("/slow")
    else:
        url = f"http://127.0.0.1:{free_port()}/refused"
    service = start_service(
        webhooks=[
            hook("hook", "create_user", url, {"n": "{{user.name}}"}, timeout=10),
            hook("hook", "delete_user", url, {"n": "{{user.name}}"}, timeout=10),
        ]
    )
    create_user(service, "warmup")  # the first request pays one-off costs (imports, pools)

    for name in ("mia", "noah"):
        started = time.perf_counter()
        create_user(service, name)
        assert time.perf_counter() - started < 2.5
    started = time.perf_counter()
    assert service.admin.delete("/users/mia").status_code == 200
    assert time.perf_counter() - started < 2.5

    if receiver_kind == "slow":
        got = receiver.wait_for(4, "/slow", timeout=45)  # all still arrive, 5 s apart (one lane)
        assert sorted(r.json()["n"] for r in got) == ["mia", "mia", "noah", "warmup"]


def test_worker_purges_expired_callback_tokens(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A starting worker deletes callback tokens that have expired (and then every 5 min)."""
    hooks = [hook("cu", "create_user", receiver.url("/cu"), {"cb": "{{callback_url}}"})]
    first = start_service(hooks, token_expire_seconds=1)
    create_user(first, "tina")
    receiver.wait_for(1, "/cu")
    assert count_rows(first, Token) == 1
    first.stop()
    time.sleep(1.2)
    second = start_service(hooks, token_expire_seconds=1)
    deadline = time.monotonic() + 10
    while count_rows(second, Token):
        assert time.monotonic() < deadline, "the expired token was never purged"
        time.sleep(0.05)
