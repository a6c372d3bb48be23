"""The delivery log: list and inspect deliveries (``/webhooks/deliveries``, console, CLI).

Retrying lives in :mod:`rookery.services.delivery_retries`.

Invariants:
- nothing here writes;
- secrets never leave: stored header values and URL passwords were redacted when the delivery
  was written (and are redacted again here, for rows written by older versions);
- every time is ISO 8601 UTC text; lists are newest first and report the total match count;
- bad filter values are :class:`InvalidInputError` naming the parameter, unknown ids
  :class:`NotFoundError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from rookery.db.models import Attempt, Delivery
from rookery.db.queue_stats import blocked_heads
from rookery.domain.delivery_states import DeliveryState
from rookery.errors import InvalidInputError, NotFoundError
from rookery.services.context import AppContext
from rookery.services.delivery_history import blocked_behind
from rookery.webhooks.redaction import redact_headers, redact_url

STATES = tuple(state.value for state in DeliveryState)
MAX_LIMIT = 500
EXCERPT_BYTES = 2048


@dataclass(frozen=True)
class DeliveryFilter:
    """Which deliveries a list or a bulk retry is about (every field optional)."""

    status: str | None = None
    action: str | None = None
    webhook: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(
        cls,
        *,
        status: str | None = None,
        action: str | None = None,
        webhook: str | None = None,
        subject: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> DeliveryFilter:
        """Validate raw filter values (times as ISO 8601 text or datetimes)."""
        if status is not None and status not in STATES:
            raise InvalidInputError(
                f"status must be one of {', '.join(STATES)}", param="status", value=status
            )
        return cls(
            status=status or None,
            action=action or None,
            webhook=webhook or None,
            subject=subject or None,
            since=parse_time(since, "since"),
            until=parse_time(until, "until"),
        )

    @property
    def is_empty(self) -> bool:
        """True when no field narrows the selection."""
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on ``Delivery`` (``since`` inclusive, ``until`` exclusive)."""
        found: list[ColumnElement[bool]] = []
        if self.status is not None:
            found.append(Delivery.state == self.status)
        if self.action is not None:
            found.append(Delivery.action == self.action)
        if self.webhook is not None:
            found.append(Delivery.webhook_name == self.webhook)
        if self.subject is not None:
            found.append(Delivery.subject == self.subject)
        if self.since is not None:
            found.append(Delivery.created_at >= self.since)
        if self.until is not None:
            found.append(Delivery.created_at < self.until)
        return found


def parse_time(value: datetime | str | None, param: str) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (naive values are taken as UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _from_iso(value, param)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _from_iso(text: str, param: str) -> datetime:
    # A "+01:00" offset in an unencoded query string arrives as " 01:00".
    candidates = [text.strip(), re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip())]
    for candidate in candidates:
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    raise InvalidInputError(
        f"{param} must be an ISO 8601 time such as 2024-05-01T12:00:00Z", param=param, value=text
    )


def parse_id(value: int | str) -> int:
    """A delivery id from a path or argument; anything but a positive integer is invalid."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0 or isinstance(value, bool):
        raise InvalidInputError("a delivery id is a positive integer", param="id", value=value)
    return number


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 text in UTC (None stays None)."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def list_deliveries(
    app: AppContext,
    *,
    status: str | None = None,
    action: str | None = None,
    webhook: str | None = None,
    subject: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    limit: int = 50,
    offset: int = 0,
    blocked: bool = False,
) -> dict[str, Any]:
    """One page of matching deliveries, newest first, with the number of matches.

    ``blocked`` keeps only the deliveries heading a blocked lane: their lane has not moved
    for ``ROOKERY_LANE_BLOCKED_SECONDS`` while others wait behind them.
    """
    where = DeliveryFilter.parse(
        status=status, action=action, webhook=webhook, subject=subject, since=since, until=until
    ).conditions()
    if blocked:
        since_blocked = datetime.now(UTC) - timedelta(seconds=app.settings.lane_blocked_seconds)
        where.append(Delivery.id.in_(blocked_heads(since_blocked)))
    _check_page(limit, offset)
    with app.session() as session:
        total = session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0
        rows = session.scalars(
            select(Delivery).where(*where).order_by(Delivery.id.desc()).limit(limit).offset(offset)
        ).all()
        return {"deliveries": [delivery_summary(d) for d in rows], "total": int(total)}


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(
            f"limit must be between 1 and {MAX_LIMIT}", param="limit", value=limit
        )
    if offset < 0:
        raise InvalidInputError("offset must not be negative", param="offset", value=offset)


def delivery_summary(delivery: Delivery) -> dict[str, Any]:
    """A delivery as one line of the log."""
    return {
        "id": delivery.id,
        "uid": delivery.uid,
        "event_id": delivery.event_id,
        "action": delivery.action,
        "webhook_name": delivery.webhook_name,
        "webhook_key": delivery.webhook_key,
        "subject": delivery.subject,
        "state": delivery.state,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": iso(delivery.next_attempt_at)
        if delivery.state == DeliveryState.PENDING
        else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "method": delivery.method,
        "url": redact_url(delivery.url),
        "created_at": iso(delivery.created_at),
        "completed_at": iso(delivery.completed_at),
    }


def get_delivery(app: AppContext, delivery_id: int | str) -> dict[str, Any]:
    """One delivery: its event, the rendered request and every attempt."""
    number = parse_id(delivery_id)
    with app.session() as session:
        delivery = session.scalar(
            select(Delivery)
            .where(Delivery.id == number)
            .options(selectinload(Delivery.event), selectinload(Delivery.attempts))
        )
        if delivery is None:
            raise NotFoundError(f"delivery {number} does not exist", param="id", value=number)
        event = delivery.event
        ahead = blocked_behind(session, delivery.id)
        return {
            **delivery_summary(delivery),
            "blocked_by": ahead.id if ahead is not None else None,
            "event": {
                "id": event.id,
                "action": event.action,
                "subject": event.subject,
                "actor": event.actor,
                "params": event.params,
                "created_at": iso(event.created_at),
            },
            "request": {
                "method": delivery.method,
                "url": redact_url(delivery.url),
                "headers": redact_headers(delivery.headers),
                "body": delivery.body.decode("utf-8", "replace") if delivery.body else None,
                "timeout_seconds": delivery.timeout_seconds,
                "retry_schedule": list(delivery.retry_schedule),
            },
            "attempts": [attempt_view(a) for a in delivery.attempts],
        }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    """One attempt as the log shows it (the excerpt is at most 2 KiB)."""
    excerpt = attempt.response_excerpt
    if excerpt is not None:
        excerpt = excerpt.encode("utf-8")[:EXCERPT_BYTES].decode("utf-8", "ignore")
    return {
        "number": attempt.number,
        "started_at": iso(attempt.started_at),
        "status_code": attempt.status_code,
        "latency_ms": round(attempt.latency_ms, 3),
        "error": attempt.error,
        "response_excerpt": excerpt,
        "worker": attempt.worker,
    }
