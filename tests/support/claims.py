"""Claimed deliveries as the worker holds them, for unit tests of what it does with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rookery.db.queue import ClaimedDelivery

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def claimed(delivery_id: int, **values: Any) -> ClaimedDelivery:
    """Delivery ``delivery_id`` of a create_user webhook, claimed by worker ``w`` and never
    attempted; ``values`` replace any field (``lane``, ``attempt_count``, ``headers`` ...)."""
    fields: dict[str, Any] = {
        "id": delivery_id,
        "uid": f"msg_{delivery_id}",
        "event_id": "ev",
        "action": "create_user",
        "webhook_name": "cowbird",
        "webhook_key": "create_user/cowbird",
        "lane": "r|s",
        "receiver": "r",
        "attempt_count": 0,
        "next_attempt_at": NOW,
        "claimed_by": "w",
        "method": "POST",
        "url": "http://127.0.0.1:9/users",
        "headers": {},
        "body": b'{"user": "alice"}',
        "timeout_seconds": 5.0,
        "retry_schedule": [1.0],
        "user_id": None,
        "error_status_version": None,
    }
    fields.update(values)
    return ClaimedDelivery(**fields)
