"""User webhooks end to end: create/delete/status events, callbacks, statuses and bodies.

Every test runs a real Rookery (SQLite, and PostgreSQL when configured) that delivers to a real
recording receiver on 127.0.0.1.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rookery.db.models import Attempt, Delivery, Token
from rookery.webhooks.actions import WEBHOOK_TEMPLATE_PARAMS
from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import (
    count_rows,
    create_user,
    hook,
    ordered,
    ordered_body,
    user_status,
    wait_for_status,
)
from tests.support.receiver import Received, Receiver
from tests.support.service import Service, free_port

CALLBACK = re.compile(r"^http://127\.0\.0\.1:\d+/tmp/[0-9a-f-]{36}$")


def _callback_of(received: Received | dict[str, Any], service: Service) -> str:
    """The callback URL a delivery carried, checked to point at this service."""
    body = received.json() if isinstance(received, Received) else received
    url: str = body["callback"]
    assert CALLBACK.match(url), url
    assert url.startswith(f"{service.base}/tmp/")
    return url


def _status_service(start: ServiceFactory, receiver: Receiver, **overrides: Any) -> Service:
    """A service whose create_user webhook carries the callback URL."""
    payload = {"user": "{{user.name}}", "callback": "{{callback_url}}"}
    return start(
        webhooks=[hook("created", "create_user", receiver.url("/created"), payload)],
        **overrides,
    )


def test_two_create_user_webhooks_deliver_exact_json(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Both create_user webhooks deliver their rendered payloads with values and key order."""
    nested = {
        "user_name": "{{user.name}}",
        "details": {
            "list": [
                "{{user.id}}",
                "'{{user.id}}'",
                False,
                1,
                "id={{user.id}} of {{user.name}}",
                {"{{user.id}}": "{{user.email}}"},
                ["{{user.name}}", None],
            ],
            "literal": "{user.name}",
            "unknown": "{{nope}}",
        },
        "callback": "{{callback_url}}",
        "zeta_first_key_order": True,
    }
    flat = {"name": "{{user.name}}", "id": "{{user.id}}", "email": "{{user.email}}"}
    service = start_service(
        webhooks=[
            hook("nested", "create_user", receiver.url("/nested"), nested),
            hook("flat", "create_user", receiver.url("/flat"), flat, method="PUT"),
        ]
    )
    user = create_user(service, "alice")
    uid = user["user_id"]

    [got_nested] = receiver.wait_for(1, "/nested")
    [got_flat] = receiver.wait_for(1, "/flat")

    callback = _callback_of(got_nested, service)
    assert ordered_body(got_nested) == ordered(
        {
            "user_name": "alice",
            "details": {
                "list": [
                    uid,
                    str(uid),
                    False,
                    1,
                    f"id={uid} of alice",
                    {str(uid): "alice@example.org"},
                    ["alice", None],
                ],
                "literal": "{user.name}",
                "unknown": "{{nope}}",
            },
            "callback": callback,
            "zeta_first_key_order": True,
        }
    )
    assert ordered_body(got_flat) == [
        ("name", "alice"),
        ("id", uid),
        ("email", "alice@example.org"),
    ]
    assert type(got_flat.json()["id"]) is int
    assert (got_nested.method, got_flat.method) == ("POST", "PUT")
    assert got_nested.headers["content-type"] == "application/json"


def test_no_webhooks_users_are_created_and_stay_ok(start_service: ServiceFactory) -> None:
    """With ``webhooks: []`` users are created, stay OK, and nothing is queued or tokenised."""
    service = start_service(webhooks=[])
    create_user(service, "bob")
    create_user(service, "carol")
    assert user_status(service, "bob") == "OK"
    assert user_status(service, "carol") == "OK"
    assert count_rows(service, Delivery) == 0
    assert count_rows(service, Token) == 0


def test_callback_marks_user_webhook_error_once(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """GET on the callback URL makes the user WebhookError; reusing it answers 404."""
    service = _status_service(start_service, receiver)
    create_user(service, "dave")
    [got] = receiver.wait_for(1, "/created")
    callback = _callback_of(got, service)
    wait_for_status(service, "dave", "OK")

    first = httpx.get(callback)
    assert first.status_code == 200, first.text
    assert user_status(service, "dave") == "WebhookError"

    second = httpx.get(callback)
    assert second.status_code == 404, second.text
    assert user_status(service, "dave") == "WebhookError"


@pytest.mark.parametrize("token", ["not-a-token", "1234", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"])
def test_malformed_callback_token_is_422(service: Service, token: str) -> None:
    """A callback token that is not a UUID is refused with 422 and no session is needed."""
    response = service.client().get(f"/tmp/{token}")
    assert response.status_code == 422, response.text


def test_unknown_callback_token_is_404(service: Service) -> None:
    """A well-formed token that was never issued answers 404."""
    response = service.client().get("/tmp/5a0c2e5e-0000-4000-8000-000000000000")
    assert response.status_code == 404, response.text


def test_expired_callback_token_is_410_and_leaves_status(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A callback used after ``token_expire`` answers 410 and does not change the status."""
    service = _status_service(start_service, receiver, token_expire_seconds=1)
    create_user(service, "erin")
    [got] = receiver.wait_for(1, "/created")
    callback = _callback_of(got, service)
    wait_for_status(service, "erin", "OK")
    time.sleep(1.5)  # let the one-second token lifetime pass; not an assertion

    response = httpx.get(callback)
    assert response.status_code == 410, response.text
    assert user_status(service, "erin") == "OK"


@pytest.mark.parametrize("failure", ["404", "refused"])
def test_failed_create_user_delivery_sets_webhook_error(
    start_service: ServiceFactory, receiver: Receiver, failure: str
) -> None:
    """A create_user delivery answered 404, or refused, makes the new user WebhookError."""
    if failure == "404":
        receiver.script("/hook", default=404)
        url = receiver.url("/hook")
    else:
        url = f"http://127.0.0.1:{free_port()}/hook"
    service = start_service(webhooks=[hook("created", "create_user", url, {"u": "{{user.name}}"})])
    user = create_user(service, "frank")
    assert user["status"] == "OK"

    wait_for_status(service, "frank", "WebhookError")
    with service.app.session() as session:
        attempt = session.scalars(select(Attempt)).one()
    if failure == "404":
        assert attempt.status_code == 404
        assert len(receiver.on("/hook")) == 1
    else:
        assert attempt.status_code is None
        assert attempt.error


def test_delete_user_webhooks_fire_only_on_deletion(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Two delete_user webhooks: nothing is queued on creation, both deliver on deletion."""
    payload = {
        "name": "{{user.name}}",
        "id": "{{user.id}}",
        "email": "{{user.email}}",
        "callback": "{{callback_url}}",
        "status": "{{user.status}}",
    }
    service = start_service(
        webhooks=[
            hook("gone-1", "delete_user", receiver.url("/d1"), payload),
            hook("gone-2", "delete_user", receiver.url("/d2"), payload, method="DELETE"),
        ]
    )
    uid = create_user(service, "gina")["user_id"]
    assert count_rows(service, Delivery) == 0
    assert receiver.requests == []

    response = service.admin.delete("/users/gina")
    assert response.status_code == 200, response.text

    expected = ordered(
        {
            "name": "gina",
            "id": uid,
            "email": "gina@example.org",
            "callback": "{{callback_url}}",
            "status": "{{user.status}}",
        }
    )
    [first] = receiver.wait_for(1, "/d1")
    [second] = receiver.wait_for(1, "/d2")
    assert ordered_body(first) == expected
    assert ordered_body(second) == expected
    assert second.method == "DELETE"
    assert count_rows(service, Delivery, action="delete_user") == 2


def test_status_patch_fires_one_update_and_callback_sets_error(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """PATCH WebhookError→1 sends one update_user_status with integer 1; its callback reverts."""
    receiver.script("/created", default=500)
    status_payload = {
        "name": "{{user.name}}",
        "status": "{{user.status}}",
        "callback": "{{callback_url}}",
    }
    service = start_service(
        webhooks=[
            hook("created", "create_user", receiver.url("/created"), {"u": "{{user.name}}"}),
            hook("status", "update_user_status", receiver.url("/status"), status_payload),
        ]
    )
    create_user(service, "hugo")
    wait_for_status(service, "hugo", "WebhookError")

    response = service.admin.patch("/users/hugo", json={"status": 1})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["status"] == "OK"

    [got] = receiver.wait_for(1, "/status")
    body = got.json()
    assert body["name"] == "hugo"
    assert type(body["status"]) is int
    assert body["status"] == 1
    assert count_rows(service, Delivery, action="update_user_status") == 1
    assert user_status(service, "hugo") == "OK"

    assert httpx.get(_callback_of(got, service)).status_code == 200
    assert user_status(service, "hugo") == "WebhookError"
    assert count_rows(service, Delivery, action="update_user_status") == 1


def test_text_format_sends_block_string_as_utf8(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """``format: text`` with a block-string payload arrives as rendered UTF-8 text/plain."""
    payload = 'param: {{user.name}}\nquote: "{{user.id}}"\nliteral: {user.name} — ünïcödé ✓\n'
    service = start_service(
        webhooks=[
            hook("text", "create_user", receiver.url("/text"), payload, format="text"),
        ]
    )
    uid = create_user(service, "iris")["user_id"]

    [got] = receiver.wait_for(1, "/text")
    expected = f'param: iris\nquote: "{uid}"\nliteral: {{user.name}} — ünïcödé ✓\n'
    assert got.body == expected.encode("utf-8")
    assert got.headers["content-type"].split(";")[0] == "text/plain"


@pytest.mark.parametrize("payload", [None, "", {}])
def test_empty_payload_sends_no_body(
    start_service: ServiceFactory, receiver: Receiver, payload: Any
) -> None:
    """An absent or empty payload sends a request with no body and no Content-Type."""
    item = hook("empty", "create_user", receiver.url("/empty"))
    if payload is not None:
        item["payload"] = payload
    service = start_service(webhooks=[item])
    create_user(service, "jack")

    [got] = receiver.wait_for(1, "/empty")
    assert got.body == b""
    assert "content-type" not in got.headers
    assert got.headers.get("content-length", "0") == "0"
    wait_for_status(service, "jack", "OK")


EVERY_PARAM = {name: "{{" + name + "}}" for name in WEBHOOK_TEMPLATE_PARAMS}
USER_ACTION_PARAMS = {
    "create_user": ("user.name", "user.id", "user.email", "callback_url"),
    "delete_user": ("user.name", "user.id", "user.email"),
    "update_user_status": ("user.name", "user.id", "user.status", "callback_url"),
}


def _trigger(service: Service, action: str) -> dict[str, Any]:
    """Cause ``action`` for user ``kim``; return the values SPEC §5 promises for it."""
    uid = create_user(service, "kim")["user_id"]
    if action == "delete_user":
        assert service.admin.delete("/users/kim").status_code == 200
    if action == "update_user_status":
        assert service.admin.patch("/users/kim", json={"status": "WebhookError"}).status_code == 200
    return {"user.name": "kim", "user.id": uid, "user.email": "kim@example.org", "user.status": 2}


@pytest.mark.parametrize("action", list(USER_ACTION_PARAMS))
def test_user_events_offer_exactly_the_spec_parameters(
    start_service: ServiceFactory, receiver: Receiver, action: str
) -> None:
    """A payload naming every parameter gets exactly the action's SPEC §5 ones; others stay."""
    service = start_service(webhooks=[hook(action, action, receiver.url("/all"), EVERY_PARAM)])
    values = _trigger(service, action)

    [got] = receiver.wait_for(1, "/all")
    body = got.json()
    offered = {key: values.get(key) for key in USER_ACTION_PARAMS[action]}
    if "callback_url" in offered:
        offered["callback_url"] = _callback_of({"callback": body["callback_url"]}, service)
    offered |= {key: body[key] for key in ("event.id", "event.time")}
    offered |= {"event.action": action, "actor.name": "admin"}
    expected = {name: offered.get(name, template) for name, template in EVERY_PARAM.items()}
    assert ordered_body(got) == ordered(expected)


def test_later_success_returns_user_to_ok(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A create_user delivery that fails once then succeeds on retry leaves the user OK."""
    receiver.script("/created", statuses=[500])
    service = start_service(
        webhooks=[
            hook(
                "created",
                "create_user",
                receiver.url("/created"),
                {"u": "{{user.name}}"},
                retry={"schedule": ["1s"]},
            ),
        ]
    )
    create_user(service, "lena")
    wait_for_status(service, "lena", "WebhookError")
    receiver.wait_for(2, "/created", timeout=10)
    wait_for_status(service, "lena", "OK")


def test_callback_during_retry_pause_keeps_webhook_error(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A receiver's callback between a failed and a successful attempt keeps WebhookError."""
    receiver.script("/created", statuses=[500])
    payload = {"user": "{{user.name}}", "callback": "{{callback_url}}"}
    service = start_service(
        webhooks=[
            hook(
                "created",
                "create_user",
                receiver.url("/created"),
                payload,
                retry={"schedule": ["1s"]},
            ),
        ]
    )
    create_user(service, "milo")
    [failed] = receiver.wait_for(1, "/created")
    wait_for_status(service, "milo", "WebhookError")
    assert httpx.get(_callback_of(failed, service)).status_code == 200

    receiver.wait_for(2, "/created", timeout=10)
    deadline = time.monotonic() + 5
    while count_rows(service, Delivery, state="delivered") != 1:
        assert time.monotonic() < deadline, "the successful retry was never recorded"
        time.sleep(0.02)
    assert user_status(service, "milo") == "WebhookError"
