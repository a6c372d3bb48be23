"""Steps shared by the webhook integration tests: users through the API, polling, payloads."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from rookery.db.models import Delivery, Event, Token
from tests.support.receiver import Received
from tests.support.service import Service

PASSWORD = "a-long-enough-password"


def hook(name: str, action: str, url: str, payload: Any = None, **extra: Any) -> dict[str, Any]:
    """A webhook item as an operator writes it (POST, no retries unless given)."""
    item: dict[str, Any] = {"name": name, "action": action, "method": "POST", "url": url}
    if payload is not None:
        item["payload"] = payload
    item.setdefault("retry", {"schedule": []})
    item.update(extra)
    return item


def create_user(service: Service, name: str) -> dict[str, Any]:
    """Create a user as the admin and return the API's view of it."""
    response = service.admin.post(
        "/users", json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def user_status(service: Service, name: str) -> str:
    """The status label the API shows for a user."""
    response = service.admin.get(f"/users/{name}")
    assert response.status_code == 200, response.text
    status: str = response.json()["user"]["status"]
    return status


def wait_for_status(service: Service, name: str, expected: str, timeout: float = 5.0) -> None:
    """Poll the user until its status is ``expected``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    seen = user_status(service, name)
    while seen != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"user {name} stayed {seen!r}, expected {expected!r}")
        time.sleep(0.02)
        seen = user_status(service, name)


def ordered(value: Any) -> Any:
    """A JSON value with every object turned into its list of pairs, so order is compared."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def ordered_body(received: Received) -> Any:
    """A received JSON body as :func:`ordered` pairs, in the order it was sent."""
    return ordered(json.loads(received.body))


def count_rows(service: Service, model: type[Event | Delivery | Token], **where: Any) -> int:
    """How many rows of ``model`` match the given column values."""
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    with service.app.session() as session:
        return int(session.scalar(query) or 0)
