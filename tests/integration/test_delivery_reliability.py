"""Reliable delivery through the real service and real receivers: retries, Retry-After,
410, status recovery, ordering per subject, isolation from hanging receivers, signatures."""

from __future__ import annotations

import time
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from tests.conftest import ServiceFactory
from tests.support.receiver import Receiver
from tests.support.service import Service

PASSWORD = "a-long-enough-password"


def hook(
    receiver: Receiver, path: str, action: str = "create_user", **extra: Any
) -> dict[str, Any]:
    return {
        "name": f"{action} {path}",
        "action": action,
        "method": "POST",
        "url": receiver.url(path),
        "payload": {"user": "{{user.name}}"},
        **extra,
    }


def create_user(service: Service, name: str) -> None:
    response = service.admin.post(
        "/users", json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text


def status_of(service: Service, name: str) -> str:
    return str(service.admin.get(f"/users/{name}").json()["user"]["status"])


def wait_status(service: Service, name: str, wanted: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while status_of(service, name) != wanted:
        assert time.monotonic() < deadline, f"{name} never became {wanted}"
        time.sleep(0.02)


def test_retries_until_success_and_status_recovers(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """500, 500, 200: the third attempt delivers; the user goes WebhookError, then OK again."""
    receiver.script("/h", statuses=[500, 500], default=200)
    service = start_service([hook(receiver, "/h", retry={"schedule": ["300ms", "300ms"]})])
    create_user(service, "alice")
    wait_status(service, "alice", "WebhookError")
    got = receiver.wait_for(3, "/h")
    assert [r.json() for r in got] == [{"user": "alice"}] * 3
    wait_status(service, "alice", "OK")


def test_status_stays_when_admin_changed_it_meanwhile(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A late success does not undo a status an admin set after the failure."""
    receiver.script("/h", statuses=[500], default=200)
    service = start_service([hook(receiver, "/h", retry={"schedule": ["1500ms"]})])
    create_user(service, "bob")
    wait_status(service, "bob", "WebhookError")
    # The admin confirms the error status explicitly by setting it to OK then back.
    assert service.admin.patch("/users/bob", json={"status": 1}).status_code == 200
    assert service.admin.patch("/users/bob", json={"status": 2}).status_code == 200
    receiver.wait_for(2, "/h", timeout=10)
    time.sleep(0.3)  # let the outcome be recorded before reading the status
    assert status_of(service, "bob") == "WebhookError"


def test_gone_stops_retrying(start_service: ServiceFactory, receiver: Receiver) -> None:
    """410 Gone ends the delivery after one attempt."""
    receiver.script("/gone", default=410)
    service = start_service([hook(receiver, "/gone", retry={"schedule": ["200ms", "200ms"]})])
    create_user(service, "carol")
    receiver.wait_for(1, "/gone")
    time.sleep(1.0)
    assert len(receiver.on("/gone")) == 1


def test_retry_after_is_honoured(start_service: ServiceFactory, receiver: Receiver) -> None:
    """A 503 with Retry-After: 1 delays the next attempt by about a second, not the 100 ms."""
    receiver.script("/busy", statuses=[503], default=200, headers={"Retry-After": "1"})
    service = start_service([hook(receiver, "/busy", retry={"schedule": ["100ms"]})])
    create_user(service, "dave")
    first, second = receiver.wait_for(2, "/busy", timeout=10)
    assert second.at - first.at >= 0.9


def test_redirect_is_a_failure(start_service: ServiceFactory, receiver: Receiver) -> None:
    """A 3xx is not followed and counts as a failed attempt."""
    receiver.script("/moved", default=302, headers={"Location": receiver.url("/elsewhere")})
    service = start_service([hook(receiver, "/moved", retry={"schedule": []})])
    create_user(service, "erin")
    wait_status(service, "erin", "WebhookError")
    assert receiver.on("/elsewhere") == []


def test_a_receivers_cookie_is_not_sent_back(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Deliveries carry no state between them: a cookie a receiver sets is not returned."""
    receiver.script("/cookies", headers={"Set-Cookie": "session=from-the-receiver; Path=/"})
    # By name: a client's cookie jar keeps no cookie of a bare IP address.
    by_name = receiver.url("/cookies").replace("127.0.0.1", "localhost")
    service = start_service([{**hook(receiver, "/cookies"), "url": by_name}])
    create_user(service, "gina")
    receiver.wait_for(1)
    create_user(service, "hugo")
    first, second = receiver.wait_for(2)
    assert first.json() == {"user": "gina"}
    assert second.json() == {"user": "hugo"}
    assert "cookie" not in second.headers, second.headers


def test_create_then_delete_arrive_in_order(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Two webhook items to one slow receiver: a user's create arrives before its delete."""
    receiver.script("/create", delay=0.4)
    service = start_service(
        [hook(receiver, "/create"), hook(receiver, "/delete", action="delete_user")]
    )
    create_user(service, "frank")
    assert service.admin.delete("/users/frank").status_code == 200
    receiver.wait_for(2)
    assert [r.path for r in receiver.requests] == ["/create", "/delete"]


def test_failing_delivery_holds_back_only_its_subject(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """While gina's create fails and waits, her delete waits too; hank's flow on."""
    receiver.script("/create", statuses=[500], default=200)
    service = start_service(
        [
            hook(receiver, "/create", retry={"schedule": ["1s"]}),
            hook(receiver, "/delete", action="delete_user"),
        ]
    )
    create_user(service, "gina")
    receiver.wait_for(1, "/create")
    assert service.admin.delete("/users/gina").status_code == 200
    create_user(service, "hank")
    receiver.wait_for(3, timeout=10)
    bodies = [(r.path, r.json()["user"]) for r in receiver.wait_for(4, timeout=10)]
    assert bodies.index(("/create", "hank")) < bodies.index(("/delete", "gina"))
    assert bodies.index(("/create", "gina"), 1) < bodies.index(("/delete", "gina"))


def test_hanging_receiver_does_not_delay_others(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A receiver that hangs for 5 s does not delay another webhook's delivery."""
    slow = Receiver().start()
    slow.script("/hang", delay=5)
    try:
        service = start_service([hook(slow, "/hang", timeout=8), hook(receiver, "/fast")])
        started = time.perf_counter()
        create_user(service, "ivan")
        receiver.wait_for(1, "/fast", timeout=3)
        assert time.perf_counter() - started < 1.5
    finally:
        slow.stop()


def test_signatures_verify_during_rotation(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """With two secrets, a receiver holding either one verifies the exact bytes sent."""
    old, new = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a raw text secret"
    service = start_service([hook(receiver, "/signed", secret=[old, new])])
    create_user(service, "judy")
    (got,) = receiver.wait_for(1, "/signed")
    assert got.headers["webhook-id"].startswith("msg_")
    for secret in (old, new.encode()):
        assert Webhook(secret).verify(got.body, got.headers) == {"user": "judy"}


def test_configured_headers_are_sent_with_env_expansion(
    start_service: ServiceFactory, receiver: Receiver, monkeypatch: Any
) -> None:
    """``headers`` values expand ${ENV} and reach the receiver; Content-Type comes from format."""
    monkeypatch.setenv("ROOKERY_TEST_TOKEN", "s3cret-token")
    service = start_service(
        [
            hook(
                receiver,
                "/h",
                headers={"Authorization": "Bearer ${ROOKERY_TEST_TOKEN}", "X-Tenant": "acme"},
            )
        ]
    )
    create_user(service, "kate")
    (got,) = receiver.wait_for(1, "/h")
    assert got.headers["authorization"] == "Bearer s3cret-token"
    assert got.headers["x-tenant"] == "acme"
    assert got.headers["content-type"] == "application/json"


def test_exclude_actors_suppresses_echoes(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A webhook excluding actor 'syncbot' ignores syncbot's changes but not admin's."""
    service = start_service(
        [
            hook(
                receiver,
                "/g",
                action="create_group",
                payload={"group": "{{group.name}}", "by": "{{actor.name}}"},
                exclude_actors=["syncbot"],
            )
        ]
    )
    create_user(service, "syncbot")
    assert (
        service.admin.post(
            "/users/syncbot/groups", json={"group_name": "administrators"}
        ).status_code
        == 201
    )
    bot = service.client("syncbot", PASSWORD)
    assert bot.post("/groups", json={"group_name": "from-bot"}).status_code == 201
    assert service.admin.post("/groups", json={"group_name": "from-admin"}).status_code == 201
    (_got,) = receiver.wait_for(1, "/g")
    time.sleep(0.3)
    assert [r.json() for r in receiver.on("/g")] == [{"group": "from-admin", "by": "admin"}]


def test_rookery_actions_fire(start_service: ServiceFactory, receiver: Receiver) -> None:
    """Rookery's own actions (groups, memberships, services, resources, user updates) fire."""
    actions = [
        "create_group",
        "add_user_to_group",
        "remove_user_from_group",
        "delete_group",
        "create_service",
        "create_resource",
        "delete_resource",
        "delete_service",
        "update_user",
    ]
    service = start_service(
        [
            {
                "name": a,
                "action": a,
                "method": "POST",
                "url": receiver.url(f"/{a}"),
                "payload": {"a": "{{event.action}}"},
            }
            for a in actions
        ]
    )
    admin = service.admin
    create_user(service, "liam")
    assert admin.post("/groups", json={"group_name": "team"}).status_code == 201
    assert admin.post("/users/liam/groups", json={"group_name": "team"}).status_code == 201
    assert admin.delete("/users/liam/groups/team").status_code == 200
    assert admin.delete("/groups/team").status_code == 200
    assert admin.patch("/users/liam", json={"email": "liam@other.org"}).status_code == 200
    svc = admin.post(
        "/services",
        json={
            "service_name": "api1",
            "service_type": "api",
            "service_url": "http://api.example.org",
        },
    ).json()
    res = admin.post(
        "/resources",
        json={
            "resource_name": "r",
            "resource_type": "route",
            "parent_id": svc["service"]["resource_id"],
        },
    ).json()
    assert admin.delete(f"/resources/{res['resource']['resource_id']}").status_code == 200
    assert admin.delete("/services/api1").status_code == 200
    got = receiver.wait_for(len(actions), timeout=10)
    assert sorted(r.json()["a"] for r in got) == sorted(actions)


def test_api_never_waits_for_a_dead_receiver(start_service: ServiceFactory) -> None:
    """A receiver that refuses connections does not fail the API call; the user turns
    WebhookError once the delivery fails (how long the API waits is tested with a hanging
    receiver in test_webhooks_outbox)."""
    service = start_service(
        [
            {
                "name": "dead",
                "action": "create_user",
                "method": "POST",
                "url": "http://127.0.0.1:9/nowhere",
            }
        ]
    )
    create_user(service, "mona")
    wait_status(service, "mona", "WebhookError")
    assert isinstance(service.admin, httpx.Client)


def test_hanging_receiver_cannot_take_every_slot(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """More hanging deliveries than the worker has slots still leave room for the others."""
    slow = Receiver().start()
    slow.script("/hang", delay=5)
    try:
        hooks = [
            {
                "name": n,
                "action": "create_group",
                "method": "POST",
                "url": url,
                "payload": {"g": "{{group.name}}"},
                "timeout": 8,
            }
            for n, url in (("slow", slow.url("/hang")), ("fast", receiver.url("/fast")))
        ]
        service = start_service(hooks, worker_concurrency=4)
        for number in range(8):  # 8 subjects: 8 lanes to the hanging receiver, 4 slots
            assert (
                service.admin.post("/groups", json={"group_name": f"g{number}"}).status_code == 201
            )
        got = receiver.wait_for(8, "/fast", timeout=4)
        assert sorted(r.json()["g"] for r in got) == [f"g{n}" for n in range(8)]
    finally:
        slow.stop()
