"""Sending one delivery over HTTP: the stored bytes, signed now, with a timeout.

httpx is the one HTTP client; its exceptions are translated here, once, into an
``AttemptResult`` error text, so nothing above this module knows about httpx. The client is
injectable (``transport``) so tests can point it anywhere without mocking our code.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from rookery.db.models import Delivery
from rookery.delivery.outcomes import AttemptResult
from rookery.webhooks.config import WebhookConfig
from rookery.webhooks.signing import signature_headers

EXCERPT_BYTES = 2048
REDACTED = "***"


def make_client(
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """One pooled client for every receiver: keep-alive per host, no redirects followed."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return httpx.AsyncClient(
        limits=limits,
        follow_redirects=False,
        transport=transport,
        headers={"User-Agent": "Rookery-Webhooks"},
    )


def request_headers(
    delivery: Delivery, webhook: WebhookConfig | None, now: datetime
) -> dict[str, str]:
    """Stored headers, with the configured (unredacted) values and fresh signatures."""
    headers = {k: v for k, v in delivery.headers.items() if v != REDACTED}
    if webhook is not None:
        headers.update(webhook.headers)
        if delivery.body is not None:
            headers["Content-Type"] = delivery.headers.get("Content-Type", webhook.content_type)
        if webhook.secrets:
            headers.update(
                signature_headers(webhook.secrets, delivery.uid, now, delivery.body or b"")
            )
    return headers


async def send(
    client: httpx.AsyncClient, delivery: Delivery, webhook: WebhookConfig | None, worker_id: str
) -> AttemptResult:
    """Send ``delivery`` once and describe what happened (never raises for I/O)."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: str | None = None
    try:
        response = await client.request(
            delivery.method,
            delivery.url,
            content=delivery.body,
            headers=request_headers(delivery, webhook, started),
            timeout=delivery.timeout_seconds,
        )
        status = response.status_code
        retry_after = response.headers.get("Retry-After")
        excerpt = response.content[:EXCERPT_BYTES].decode("utf-8", "replace") or None
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.TimeoutException:
        error = f"timed out after {delivery.timeout_seconds:g}s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:
        error = f"unexpected {type(exc).__name__}: {exc}"
    return AttemptResult(
        delivery_id=delivery.id,
        number=delivery.attempt_count + 1,
        started_at=started,
        latency_ms=(time.perf_counter() - clock) * 1000,
        status_code=status,
        error=error,
        response_excerpt=excerpt,
        retry_after=retry_after,
        worker=worker_id,
    )
