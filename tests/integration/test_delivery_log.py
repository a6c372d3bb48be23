"""The delivery log API: attempts of failed deliveries, retries, filters, pagination,
bulk retry, admin-only access and redaction of secrets."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from tests.conftest import ServiceFactory
from tests.support.delivery_log import (
    PASSWORD,
    create_user,
    deliveries,
    delivery,
    hook,
    wait_for_count,
    wait_for_state,
)
from tests.support.receiver import Receiver
from tests.support.service import Service

ONCE: dict[str, list[float]] = {"schedule": []}


def test_failed_delivery_shows_attempt_and_retry_delivers(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A 500 with no retries leaves a failed delivery whose attempt is visible; an API retry
    after the receiver recovers delivers it and lists both attempts."""
    receiver.script("/h", default=500)
    service = start_service([hook(receiver, "mirror", "/h", retry=ONCE)])
    user_id = create_user(service, "alice")
    (failed,) = wait_for_count(service, 1, status="failed")
    detail = delivery(service, failed["id"])
    assert detail["state"] == "failed"
    assert detail["attempt_count"] == 1
    assert detail["webhook_name"] == "mirror"
    assert detail["subject"] == f"user:{user_id}"
    (attempt,) = detail["attempts"]
    assert attempt["number"] == 1
    assert attempt["status_code"] == 500
    assert attempt["error"] == "HTTP 500"
    assert attempt["response_excerpt"] == "ok"
    assert attempt["latency_ms"] > 0
    assert datetime.fromisoformat(attempt["started_at"]).tzinfo is not None
    assert detail["event"]["action"] == "create_user"
    assert detail["event"]["actor"] == "admin"
    assert detail["event"]["params"]["user.name"] == "alice"
    assert detail["request"]["method"] == "POST"
    assert detail["request"]["url"] == receiver.url("/h")
    assert json.loads(detail["request"]["body"]) == {"user": "alice"}
    assert detail["request"]["headers"]["Content-Type"] == "application/json"

    receiver.script("/h", default=200)
    response = service.admin.post(f"/webhooks/deliveries/{failed['id']}/retry")
    assert response.status_code == 202, response.text
    done = wait_for_state(service, failed["id"], "delivered")
    assert [a["status_code"] for a in done["attempts"]] == [500, 200]
    assert [a["number"] for a in done["attempts"]] == [1, 2]
    assert [r.json() for r in receiver.on("/h")] == [{"user": "alice"}] * 2


def test_detail_names_the_delivery_a_pending_one_waits_behind(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A delivery queued behind an unfinished one of the same receiver and subject shows that
    one's id as ``blocked_by``; the head of the lane shows none."""
    service = start_service(
        [
            hook(receiver, "created", "/h"),
            hook(receiver, "joined", "/h", action="add_user_to_group"),
        ],
        worker=False,
    )
    create_user(service, "erin")
    service.admin.post("/groups", json={"group_name": "staff"})
    service.admin.post("/users/erin/groups", json={"group_name": "staff"})
    first, second = sorted(d["id"] for d in deliveries(service)["deliveries"])
    assert delivery(service, second)["blocked_by"] == first
    assert delivery(service, first)["blocked_by"] is None


def test_retry_and_detail_refuse_bad_ids_and_queued_deliveries(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Unknown ids are 404, non-integer ids 400 (never 500), and a delivery waiting for its
    next attempt cannot be retried (409)."""
    receiver.script("/slow", default=500)
    service = start_service([hook(receiver, "later", "/slow", retry={"schedule": ["1h"]})])
    create_user(service, "bob")
    receiver.wait_for(1, "/slow")
    (waiting,) = wait_for_count(service, 1, status="pending")
    assert waiting["attempt_count"] == 1
    assert waiting["next_attempt_at"] is not None
    response = service.admin.post(f"/webhooks/deliveries/{waiting['id']}/retry")
    assert response.status_code == 409, response.text
    for bad in ("abc", "0", "-3", "1.5"):
        for method, path in (
            ("GET", f"/webhooks/deliveries/{bad}"),
            ("POST", f"/webhooks/deliveries/{bad}/retry"),
        ):
            response = service.admin.request(method, path)
            assert response.status_code == 400, (method, path, response.text)
            assert response.json()["param"]["name"] == "id"
    assert service.admin.get("/webhooks/deliveries/999999").status_code == 404
    assert service.admin.post("/webhooks/deliveries/999999/retry").status_code == 404


def _six_finished_deliveries(
    start_service: ServiceFactory,
    receiver: Receiver,
) -> tuple[Service, list[int]]:
    receiver.script("/a", default=200)
    receiver.script("/b", default=500)
    service = start_service(
        [hook(receiver, "a-hook", "/a", retry=ONCE), hook(receiver, "b-hook", "/b", retry=ONCE)]
    )
    ids = [create_user(service, name) for name in ("carol", "dave", "erin")]
    wait_for_count(service, 3, status="delivered")
    wait_for_count(service, 3, status="failed")
    return service, ids


def test_filters_and_pagination(start_service: ServiceFactory, receiver: Receiver) -> None:
    """Status, webhook, subject, action and time filters narrow the log; pages are newest
    first, disjoint, and report the total."""
    service, user_ids = _six_finished_deliveries(start_service, receiver)
    assert {d["webhook_name"] for d in deliveries(service, status="failed")["deliveries"]} == {
        "b-hook"
    }
    assert deliveries(service, webhook="a-hook", status="delivered")["total"] == 3
    assert deliveries(service, webhook="a-hook", status="failed")["total"] == 0
    assert deliveries(service, action="create_user")["total"] == 6
    assert deliveries(service, action="delete_user")["total"] == 0
    by_subject = deliveries(service, subject=f"user:{user_ids[1]}")["deliveries"]
    assert sorted(d["webhook_name"] for d in by_subject) == ["a-hook", "b-hook"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert deliveries(service, since=future)["total"] == 0
    assert deliveries(service, since=past, until=future)["total"] == 6
    assert deliveries(service, until=past)["total"] == 0

    everything = [d["id"] for d in deliveries(service)["deliveries"]]
    assert everything == sorted(everything, reverse=True)
    pages = [deliveries(service, limit=4, offset=offset) for offset in (0, 4)]
    assert [p["total"] for p in pages] == [6, 6]
    assert [(p["limit"], p["offset"]) for p in pages] == [(4, 0), (4, 4)]
    assert [d["id"] for p in pages for d in p["deliveries"]] == everything
    assert deliveries(service, offset=6)["deliveries"] == []

    for params in (
        {"limit": 501},
        {"limit": 0},
        {"limit": "abc"},
        {"offset": -1},
        {"status": "lost"},
        {"since": "yesterday"},
    ):
        response = service.admin.get("/webhooks/deliveries", params=params)
        assert response.status_code == 400, (params, response.text)


def test_bulk_retry_by_filter(start_service: ServiceFactory, receiver: Receiver) -> None:
    """Bulk retry refuses an empty filter, queues the failed deliveries a filter names, and
    the worker delivers them."""
    service, _ = _six_finished_deliveries(start_service, receiver)
    response = service.admin.post("/webhooks/deliveries/retry", json={})
    assert response.status_code == 400
    response = service.admin.post("/webhooks/deliveries/retry", json={"sttus": "failed"})
    assert response.status_code == 400
    assert response.json()["param"]["name"] == "sttus"
    response = service.admin.post("/webhooks/deliveries/retry", json={"status": "pending"})
    assert response.status_code == 400
    response = service.admin.post("/webhooks/deliveries/retry", json={"webhook": "a-hook"})
    assert response.status_code == 202
    assert response.json()["count"] == 0  # a-hook delivered everything; only failed by default

    receiver.script("/b", default=200)
    response = service.admin.post("/webhooks/deliveries/retry", params={"webhook": "b-hook"})
    assert response.status_code == 202, response.text
    assert response.json()["count"] == 3
    wait_for_count(service, 6, status="delivered")
    assert len(receiver.on("/b")) == 6
    response = service.admin.post("/webhooks/deliveries/retry", json={"all": True})
    assert response.status_code == 202
    assert response.json()["count"] == 0


def test_routes_are_for_administrators_only(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Without a session the webhook routes answer 401; a signed-in non-admin gets 403."""
    service = start_service([hook(receiver, "mirror", "/h")])
    create_user(service, "frank")
    (item,) = wait_for_count(service, 1, status="delivered")
    anonymous = service.client()
    frank = service.client("frank", PASSWORD)
    routes = [
        ("GET", "/webhooks"),
        ("GET", "/webhooks/deliveries"),
        ("GET", f"/webhooks/deliveries/{item['id']}"),
        ("POST", f"/webhooks/deliveries/{item['id']}/retry"),
        ("POST", "/webhooks/deliveries/retry"),
    ]
    for method, path in routes:
        assert anonymous.request(method, path).status_code == 401, (method, path)
        assert frank.request(method, path).status_code == 403, (method, path)
    assert len(receiver.on("/h")) == 1


def test_secrets_never_appear_in_webhooks_or_delivery_detail(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Signing secrets, credential headers and URL passwords reach the receiver but never
    the /webhooks listing nor a delivery's detail."""
    secret = "whsec_" + base64.b64encode(b"never-show-this-key-1234").decode()
    url = receiver.url("/h").replace("http://", "http://mirror:pa55w0rd-hidden@")
    service = start_service(
        [
            {
                "name": "guarded",
                "action": "create_user",
                "method": "POST",
                "url": url,
                "payload": {"user": "{{user.name}}"},
                "secret": secret,
                "headers": {
                    "X-Auth-Token": "tok-hidden-123",
                    "X-Api-Key": "key-hidden-456",
                    "X-Trace": "visible-value",
                },
            }
        ]
    )
    create_user(service, "grace")
    (got,) = receiver.wait_for(1, "/h")
    assert got.headers["x-auth-token"] == "tok-hidden-123"
    basic = got.headers["authorization"].removeprefix("Basic ")
    assert base64.b64decode(basic) == b"mirror:pa55w0rd-hidden"
    assert got.headers["x-api-key"] == "key-hidden-456"
    (item,) = wait_for_count(service, 1, status="delivered")

    listing = service.admin.get("/webhooks")
    detail = service.admin.get(f"/webhooks/deliveries/{item['id']}")
    page = service.admin.get("/webhooks/deliveries")
    for response in (listing, detail, page):
        assert response.status_code == 200
        for hidden in (
            secret,
            secret[6:],
            "tok-hidden-123",
            "key-hidden-456",
            "pa55w0rd-hidden",
            basic,
        ):
            assert hidden not in response.text, (response.url, hidden)
    (shown,) = listing.json()["webhooks"]
    assert shown["name"] == "guarded"
    assert shown["headers"] == {"X-Auth-Token": "***", "X-Api-Key": "***", "X-Trace": "***"}
    assert shown["secrets"] == ["***"]
    headers = detail.json()["delivery"]["request"]["headers"]
    assert headers["X-Auth-Token"] == "***"
    assert headers["X-Trace"] == "***"
    assert "mirror:***@" in detail.json()["delivery"]["request"]["url"]


def test_an_answer_with_nul_bytes_is_recorded_once(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A receiver whose answer holds NUL bytes (which PostgreSQL's text cannot store) still
    gets its delivery recorded as delivered, once, with the NULs shown as U+FFFD; unrecorded,
    the lease would send it again and again."""
    receiver.script("/h", body=b"o\x00k")
    service = start_service([hook(receiver, "mirror", "/h")])
    create_user(service, "alice")
    (done,) = wait_for_count(service, 1, status="delivered")
    (attempt,) = delivery(service, done["id"])["attempts"]
    assert attempt["response_excerpt"] == "o\ufffdk"
    assert len(receiver.on("/h")) == 1
