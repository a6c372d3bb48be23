"""The outbox: the one module of the services that writes deliveries and moves their state.

Invariants:
- an event and its deliveries are written here only, the deliveries ``pending``, in the
  event's transaction, with their request rendered once (method, URL, headers, body), their
  lane (``receiver|subject``, or a lane of its own when the webhook declares ``ordering:
  none``) and ``receiver``, without ORM objects: the rows are queued on the unit of work,
  which writes them at commit (:mod:`rookery.db.outbox_rows`; on PostgreSQL with their
  lanes' heads and the wake-up in one statement when the transaction only opened
  deliveries);
- every state change a use case makes goes through here and is checked against
  :mod:`rookery.domain.delivery_states`; the worker's own moves (claim, release, outcome)
  are the queue SQL's (:mod:`rookery.db.queue`, :mod:`rookery.db.outcomes`);
- the unit of work learns from here, and only here, how many deliveries became due in its
  transaction (``uow.deliveries_written``), which decides whether workers are woken;
- no secret is stored: header values and a URL's password are ``***`` (the worker takes the
  real ones from the webhook when it sends).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement

from rookery.db import queue
from rookery.db.lanes import OpenedDelivery
from rookery.db.models import User
from rookery.domain.delivery_states import DeliveryState, ensure_transition
from rookery.domain.ordering import Ordering
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.body import encode_body
from rookery.webhooks.config import WebhookConfig
from rookery.webhooks.redaction import redact_headers, redact_url
from rookery.webhooks.templates import replace_template


def receiver_of(url: str) -> str:
    """The receiver a URL points at: scheme, host and port (SPEC §6 "Ordering")."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def write_event(uow: UnitOfWork, event: dict[str, Any]) -> None:
    """Queue ``event``'s row (its columns) for the commit."""
    uow.events_unwritten.append(event)


def write_deliveries(
    uow: UnitOfWork,
    event: dict[str, Any],
    webhooks: Sequence[WebhookConfig],
    subject: str,
    status_user: User | None,
) -> None:
    """Queue one delivery of ``event`` per webhook; ``status_user``'s status follows them.

    The rows are written at the commit, after the event's own row, which they reference
    (:meth:`UnitOfWork.commit`; :func:`write_now` for a caller that needs them sooner).
    """
    if not webhooks:
        return
    if status_user is not None and status_user.id is None:
        uow.session.flush()  # a user added in this transaction gets its id
    rows = [_delivery(event, webhook, subject, status_user) for webhook in webhooks]
    uow.deliveries_unwritten += rows
    uow.deliveries_written += len(rows)


def write_now(uow: UnitOfWork) -> list[OpenedDelivery]:
    """Write the events and deliveries queued so far; the deliveries written."""
    return uow.write_outbox()


def hold_for_sender(
    uow: UnitOfWork, delivery: OpenedDelivery, worker_id: str, lease_until: datetime
) -> None:
    """Mark a delivery written in this transaction as already claimed by ``worker_id``."""
    ensure_transition(DeliveryState.PENDING, DeliveryState.SENDING)
    queue.hold(uow.session, delivery.id, worker_id, lease_until)
    uow.lanes_touched[delivery.lane] = delivery.receiver
    uow.deliveries_written -= 1  # claimed here: no worker needs waking for it


def requeue(
    uow: UnitOfWork,
    ids: Sequence[int] | None,
    now: datetime,
    *conditions: ColumnElement[bool],
) -> int:
    """Put finished deliveries (by id and/or matching ``conditions``) back in the queue."""
    count = queue.requeue(uow.session, ids, now, *conditions)
    uow.deliveries_written += count
    return count


def _delivery(
    event: dict[str, Any], webhook: WebhookConfig, subject: str, status_user: User | None
) -> dict[str, Any]:
    """The columns of ``event``'s delivery to ``webhook``: its request rendered once."""
    params: dict[str, Any] = event["params"]
    body = encode_body(replace_template(params, webhook.payload), webhook.content_type)
    headers = {"Content-Type": webhook.content_type} if body is not None else {}
    headers.update(redact_headers(webhook.headers))
    receiver = receiver_of(webhook.url)
    uid = f"msg_{uuid.uuid4().hex}"
    lane = f"{receiver}|{subject}"
    if webhook.ordering == Ordering.NONE:
        lane = f"{lane}|{uid}"  # a lane of its own: waits for nothing, holds up nothing
    return {
        "uid": uid,
        "event_id": event["id"],
        "action": event["action"],
        "webhook_name": webhook.name,
        "webhook_key": webhook.key,
        "subject": subject,
        "lane": lane,
        "receiver": receiver,
        "state": DeliveryState.PENDING,
        "attempt_count": 0,
        "next_attempt_at": event["created_at"],
        "lease_until": None,
        "claimed_by": None,
        "method": webhook.method,
        "url": redact_url(webhook.url),
        "headers": headers,
        "body": body,
        "timeout_seconds": webhook.timeout_seconds,
        "retry_schedule": [d.total_seconds() for d in webhook.retry.schedule],
        "user_id": status_user.id if status_user is not None else None,
        "error_status_version": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": event["created_at"],
        "completed_at": None,
    }
