"""Sending one delivery over HTTP: the stored bytes, signed now, with a timeout.

A delivery is sent with the headers and signing secrets of the webhook that produced it, or
not at all (SPEC §9). :func:`webhook_for` finds that webhook by the delivery's stored key; when
it is gone, or now points at another URL, the delivery is not sent and
:func:`refused` describes why (a final failure: retrying it cannot help until the
configuration changes, and the operator's retry replays it then). The stored row holds no
header value and no URL password; both come from the loaded webhook at send time.

aiohttp is the worker's HTTP client: one session per worker, keep-alive connections pooled
per receiver. (httpx's pool scans every connection on each request, which capped a 64-slot
worker at ~150 requests/s; see docs/BENCHMARKS.md.) Its exceptions are translated here, once,
into an ``AttemptResult`` error text, so nothing above this module knows about aiohttp.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import aiohttp

from rookery.db.models import Delivery
from rookery.db.outcomes import AttemptResult
from rookery.db.queue import ClaimedDelivery
from rookery.webhooks.config import WebhookConfig
from rookery.webhooks.redaction import REDACTED, redact_url
from rookery.webhooks.registry import WebhookRegistry
from rookery.webhooks.signing import signature_headers

EXCERPT_BYTES = 2048
USER_AGENT = "Rookery-Webhooks"
PREPARED_KEPT = 1024


class PreparedRequests:
    """The unsigned headers of the requests sent, made once per webhook and stored headers.

    Every delivery of one webhook stores the same headers, read back as one shared, read-only
    object (:mod:`rookery.db.shared_json`), so their requests, and each one's retries, send
    the very same unsigned headers: they are made once and only the signatures, which carry
    the attempt's time, are computed again. Kept with the webhook they were made with (a
    reloaded webhook, maybe with other headers, prepares them anew) and the stored headers
    object itself, so an entry can never answer for another object; bounded, started afresh
    when full.
    """

    def __init__(self, kept: int = PREPARED_KEPT) -> None:
        self.kept = kept
        self._kept: dict[tuple[int, int, bool], _Prepared] = {}

    def headers(
        self, delivery: ClaimedDelivery, webhook: WebhookConfig, now: datetime
    ) -> dict[str, str]:
        """The request headers of this attempt: the prepared ones and fresh signatures."""
        stored = delivery.headers
        key = (id(webhook), id(stored), delivery.body is None)
        found = self._kept.get(key)
        if found is not None and found.webhook is webhook and found.stored is stored:
            fixed = found.headers
        else:
            fixed = unsigned_headers(delivery, webhook)
            if len(self._kept) >= self.kept:
                self._kept.clear()
            self._kept[key] = _Prepared(webhook, stored, fixed)
        if not webhook.secrets:
            return fixed
        signed = dict(fixed)
        signed.update(signature_headers(webhook.secrets, delivery.uid, now, delivery.body or b""))
        return signed

    def __len__(self) -> int:
        return len(self._kept)


@dataclass(frozen=True, slots=True)
class _Prepared:
    webhook: WebhookConfig
    stored: Mapping[str, str]  # held, so that its id names no other object meanwhile
    headers: dict[str, str]


def make_client(max_connections: int) -> aiohttp.ClientSession:
    """One pooled session for every receiver: keep-alive per host, no redirects followed, and
    no cookies kept: a delivery carries what its webhook says, never what a receiver set on
    an earlier one (Magpie's one request per event never did either)."""
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        limit_per_host=max_connections,
        ttl_dns_cache=300,
        keepalive_timeout=30,
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": USER_AGENT},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    )


@lru_cache(maxsize=1024)
def _redacted(url: str) -> str:
    return redact_url(url)


def webhook_for(
    delivery: ClaimedDelivery, registry: WebhookRegistry
) -> tuple[WebhookConfig | None, str | None]:
    """The webhook to send ``delivery`` with, or None and the reason it must not be sent."""
    webhook = registry.by_key(delivery.webhook_key)
    if webhook is not None and _redacted(webhook.url) == delivery.url:
        return webhook, None
    what = f"webhook {delivery.webhook_name!r} for action {delivery.action!r}"
    if webhook is None:
        return None, (
            f"{what} is no longer configured (key {delivery.webhook_key!r}); not sent. "
            "Retry it once the webhook is configured again"
        )
    return None, (
        f"{what} now sends to {redact_url(webhook.url)}, not {delivery.url}; not sent, "
        "so that its headers and secrets never reach a receiver they were not configured for"
    )


def refused(delivery: ClaimedDelivery, reason: str, worker_id: str) -> AttemptResult:
    """The attempt recorded for a delivery that was not sent: final, with ``reason``."""
    return AttemptResult(
        delivery_id=delivery.id,
        number=delivery.attempt_count + 1,
        started_at=datetime.now(UTC),
        latency_ms=0.0,
        status_code=None,
        error=reason,
        response_excerpt=None,
        retry_after=None,
        worker=worker_id,
        final=True,
    )


def unsigned_headers(delivery: ClaimedDelivery, webhook: WebhookConfig) -> dict[str, str]:
    """The stored computed headers and the webhook's configured values (no signatures)."""
    headers = {k: v for k, v in delivery.headers.items() if v != REDACTED}
    headers.update(webhook.headers)
    if delivery.body is not None:
        headers["Content-Type"] = delivery.headers.get("Content-Type", webhook.content_type)
    return headers


async def send(
    client: aiohttp.ClientSession,
    delivery: ClaimedDelivery,
    webhook: WebhookConfig,
    worker_id: str,
    prepared: PreparedRequests | None = None,
) -> AttemptResult:
    """Send ``delivery`` once with ``webhook``'s secrets; describe what happened (no I/O raise).

    The URL is the webhook's (the stored one without its password, see :func:`webhook_for`).
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: str | None = None
    try:
        async with client.request(
            delivery.method,
            webhook.url,
            data=delivery.body,
            headers=(prepared or PreparedRequests(1)).headers(delivery, webhook, started),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=delivery.timeout_seconds),
            # No body, no Content-Type (aiohttp would add application/octet-stream).
            skip_auto_headers=() if delivery.body is not None else ("Content-Type",),
        ) as response:
            status = response.status
            retry_after = response.headers.get("Retry-After")
            content = await response.content.read(EXCERPT_BYTES)
            excerpt = _storable(content.decode("utf-8", "replace")) or None
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except TimeoutError:
        error = f"timed out after {delivery.timeout_seconds:g}s"
    except aiohttp.ClientError as exc:
        error = _storable(f"{type(exc).__name__}: {exc}") if str(exc) else type(exc).__name__
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # one bad delivery must never kill the worker
        error = _storable(f"unexpected {type(exc).__name__}: {exc}")
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


def _storable(text: str) -> str:
    """``text`` as both databases store it: PostgreSQL's text holds no NUL, so each becomes
    U+FFFD (a receiver's answer is recorded however it is made: an unrecordable attempt
    would be sent again at every lease)."""
    return text.replace("\x00", "\ufffd")


async def send_once(delivery: Delivery, webhook: WebhookConfig, worker_id: str) -> AttemptResult:
    """Send ``delivery`` once on a client of its own (``rookery webhooks test``)."""
    async with make_client(1) as client:
        return await send(client, ClaimedDelivery.of(delivery), webhook, worker_id)
