"""A request's unsigned headers are prepared once per webhook and stored headers, and reused
by its retries and by the other deliveries storing the same headers (delivery/sender.py
``PreparedRequests``): only the signatures are made again, for each attempt's time."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from rookery.db.queue import ClaimedDelivery
from rookery.delivery.sender import PreparedRequests
from rookery.webhooks.config import WebhookConfig, validate_webhook_item
from rookery.webhooks.redaction import REDACTED
from tests.support.claims import claimed

WHSEC = "whsec_" + base64.b64encode(b"a 24-byte signing key!!!").decode()
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def _webhook(**extra: Any) -> WebhookConfig:
    item = {
        "name": "cowbird",
        "action": "create_user",
        "method": "POST",
        "url": "http://127.0.0.1:9/users",
        **extra,
    }
    return validate_webhook_item(item, "test.yml", 0)


def _delivery(number: int) -> ClaimedDelivery:
    return claimed(number, headers={"X-Stored": "1", "X-Secret": REDACTED}, next_attempt_at=NOW)


def test_a_retry_reuses_the_prepared_headers_and_signs_again() -> None:
    """The second attempt sends the same unsigned headers, with a signature of its own time."""
    prepared = PreparedRequests()
    webhook = _webhook(secret=WHSEC, headers={"X-Secret": "s3cret"})
    delivery = _delivery(1)
    first = prepared.headers(delivery, webhook, NOW)
    second = prepared.headers(delivery, webhook, NOW + timedelta(minutes=5))
    unsigned = {k: v for k, v in first.items() if not k.startswith("webhook-")}
    assert unsigned == {k: v for k, v in second.items() if not k.startswith("webhook-")}
    assert unsigned["X-Secret"] == "s3cret"  # the configured value, never the stored mark
    assert unsigned["X-Stored"] == "1"
    assert first["webhook-timestamp"] != second["webhook-timestamp"]
    assert first["webhook-signature"] != second["webhook-signature"]
    assert len(prepared) == 1


def test_a_reloaded_webhook_prepares_the_request_anew() -> None:
    """A webhook loaded again (maybe with other header values) is not sent stale headers."""
    prepared = PreparedRequests()
    delivery = _delivery(1)
    prepared.headers(delivery, _webhook(headers={"X-Secret": "old"}), NOW)
    again = prepared.headers(delivery, _webhook(headers={"X-Secret": "new"}), NOW)
    assert again["X-Secret"] == "new"


def test_deliveries_storing_the_same_headers_share_one_preparation() -> None:
    """The claim reads one webhook's stored headers as one shared object: prepared once."""
    prepared = PreparedRequests()
    webhook = _webhook(headers={"X-Secret": "s3cret"})
    stored = {"X-Stored": "1", "X-Secret": REDACTED}
    first = prepared.headers(claimed(1, headers=stored, next_attempt_at=NOW), webhook, NOW)
    second = prepared.headers(claimed(2, headers=stored, next_attempt_at=NOW), webhook, NOW)
    assert second is first
    assert len(prepared) == 1


def test_equal_headers_in_another_object_are_prepared_for_themselves() -> None:
    """An entry answers only for the very object it was made from, whatever its contents."""
    prepared = PreparedRequests()
    webhook = _webhook()
    first = prepared.headers(_delivery(1), webhook, NOW)
    other = prepared.headers(
        claimed(2, headers={"X-Stored": "2"}, next_attempt_at=NOW), webhook, NOW
    )
    assert other["X-Stored"] == "2"
    assert first["X-Stored"] == "1"
    assert len(prepared) == 2


def test_prepared_requests_are_bounded() -> None:
    """Past the bound the kept preparations start afresh."""
    prepared = PreparedRequests(kept=2)
    webhook = _webhook()
    for number in (1, 2):
        prepared.headers(_delivery(number), webhook, NOW)
    assert len(prepared) == 2
    third = prepared.headers(_delivery(3), webhook, NOW)
    assert len(prepared) == 1
    assert third["X-Stored"] == "1"
