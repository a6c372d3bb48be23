"""Reading the delivery log through the API, and waiting on it with a deadline."""

from __future__ import annotations

import time
from typing import Any

from tests.support.receiver import Receiver
from tests.support.service import Service

PASSWORD = "a-long-enough-password"


def hook(
    receiver: Receiver, name: str, path: str, action: str = "create_user", **extra: Any
) -> dict[str, Any]:
    """A webhook item posting ``{"user": name}`` to ``path`` on the receiver."""
    return {
        "name": name,
        "action": action,
        "method": "POST",
        "url": receiver.url(path),
        "payload": {"user": "{{user.name}}"},
        **extra,
    }


def create_user(service: Service, name: str) -> int:
    """Create a user as the admin; returns its id."""
    response = service.admin.post(
        "/users", json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["user"]["user_id"])


def deliveries(service: Service, **params: Any) -> dict[str, Any]:
    """One page of ``GET /webhooks/deliveries`` as the admin."""
    response = service.admin.get("/webhooks/deliveries", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def delivery(service: Service, delivery_id: int) -> dict[str, Any]:
    """``GET /webhooks/deliveries/{id}`` as the admin."""
    response = service.admin.get(f"/webhooks/deliveries/{delivery_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["delivery"]
    return found


def wait_for_count(
    service: Service, count: int, timeout: float = 15.0, **params: Any
) -> list[dict[str, Any]]:
    """Poll the log until exactly ``count`` deliveries match ``params``; return them."""
    deadline = time.monotonic() + timeout
    while True:
        page = deliveries(service, limit=500, **params)
        if page["total"] == count:
            return list(page["deliveries"])
        assert time.monotonic() < deadline, (
            f"expected {count} deliveries matching {params}, have {page['total']}: "
            f"{[(d['id'], d['state']) for d in deliveries(service, limit=500)['deliveries']]}"
        )
        time.sleep(0.05)


def wait_for_state(
    service: Service, delivery_id: int, state: str, timeout: float = 15.0
) -> dict[str, Any]:
    """Poll one delivery until it is in ``state``; return its detail."""
    deadline = time.monotonic() + timeout
    while True:
        found = delivery(service, delivery_id)
        if found["state"] == state:
            return found
        assert time.monotonic() < deadline, (
            f"delivery {delivery_id} stayed {found['state']}, expected {state}"
        )
        time.sleep(0.05)
