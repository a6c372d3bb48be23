"""``rookery webhooks test NAME``: send a sample event to the named webhook(s), once, now.

Decisions:
- the sample goes through the normal outbox (``events.publish``) with a registry holding only
  the webhook under test, so its request is rendered exactly as a real event's would be and the
  attempt shows up in the delivery log (actor ``rookery-cli``);
- the delivery is written already claimed by this process (``sending``, under a lease), so no
  worker sends it too; it is then sent once with the sender the entry point hands in (the
  worker's own, :func:`rookery.delivery.sender.send_once`) and its outcome recorded with
  :func:`rookery.db.outcomes.apply_result`;
- a sample is never retried (empty schedule) and changes no user's status; a disabled webhook
  or one excluding the actor is still tested, since the operator asked for it by name;
- each sample has a subject of its own, so it never holds back a real subject's deliveries.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from rookery.db.models import Delivery
from rookery.db.outcomes import AttemptResult, apply_result
from rookery.errors import NotFoundError
from rookery.services import events, outbox
from rookery.services.context import AppContext
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import WebhookAction
from rookery.webhooks.config import WebhookConfig
from rookery.webhooks.redaction import redact_url
from rookery.webhooks.registry import WebhookRegistry
from rookery.webhooks.retry import RetryPolicy

SAMPLE_ACTOR = "rookery-cli"
LEASE_MARGIN = timedelta(seconds=30)

SendOnce = Callable[[Delivery, WebhookConfig, str], Coroutine[Any, Any, AttemptResult]]
"""Sends one delivery once with a webhook's secrets, as ``worker_id``; never raises for I/O."""

_USER = {"user.name": "sample-user", "user.id": 0, "user.email": "sample-user@example.org"}
_GROUP = {"group.name": "sample-group", "group.id": 0}
_RESOURCE = {
    "resource.id": 0,
    "resource.name": "sample-service",
    "resource.display_name": "sample-service",
    "resource.type": "service",
    "service.name": "sample-service",
    "service.type": "api",
    "service.sync_type": None,
}
_PERMISSION = {
    "permission.name": "read",
    "permission.access": "allow",
    "permission.scope": "recursive",
    "permission": "read-allow-recursive",
}


def sample_params(action: WebhookAction, public_url: str) -> dict[str, Any]:
    """Realistic template parameters for ``action`` (``event.*`` are added by publishing)."""
    service = {**_RESOURCE, "service.public_url": f"{public_url}/ows/proxy/sample-service"}
    callback = {"callback_url": f"{public_url}/tmp/00000000-0000-4000-8000-000000000000"}
    table: dict[WebhookAction, dict[str, Any]] = {
        WebhookAction.CREATE_USER: {**_USER, **callback},
        WebhookAction.DELETE_USER: _USER,
        WebhookAction.UPDATE_USER: {**_USER, "user.status": 1},
        WebhookAction.UPDATE_USER_STATUS: {**_USER, "user.status": 2, **callback},
        WebhookAction.CREATE_USER_PERMISSION: {**_USER, "user.status": 1, **service, **_PERMISSION},
        WebhookAction.DELETE_USER_PERMISSION: {**_USER, "user.status": 1, **service, **_PERMISSION},
        WebhookAction.CREATE_GROUP_PERMISSION: {**_GROUP, **service, **_PERMISSION},
        WebhookAction.DELETE_GROUP_PERMISSION: {**_GROUP, **service, **_PERMISSION},
        WebhookAction.CREATE_GROUP: _GROUP,
        WebhookAction.DELETE_GROUP: _GROUP,
        WebhookAction.ADD_USER_TO_GROUP: {**_USER, **_GROUP},
        WebhookAction.REMOVE_USER_FROM_GROUP: {**_USER, **_GROUP},
        WebhookAction.CREATE_SERVICE: service,
        WebhookAction.DELETE_SERVICE: service,
        WebhookAction.CREATE_RESOURCE: service,
        WebhookAction.DELETE_RESOURCE: service,
    }
    return dict(table.get(action, {}))


def _echo(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def send_sample(
    app: AppContext, name: str, send_once: SendOnce, echo: Callable[[str], None] = _echo
) -> int:
    """Send a sample event to every webhook called ``name``; 0 if all answered 2xx, else 1."""
    webhooks = app.webhooks.by_name(name)
    if not webhooks:
        known = sorted({w.name for w in app.webhooks})
        raise NotFoundError(
            f"no webhook is named {name!r}; configured: "
            + (", ".join(repr(k) for k in known) if known else "none"),
            param="name",
            value=name,
        )
    worker_id = f"{SAMPLE_ACTOR}:{socket.gethostname()}:{os.getpid()}"
    results = [_test_one(app, webhook, worker_id, send_once) for webhook in webhooks]
    for webhook, (delivery_id, result) in zip(webhooks, results, strict=True):
        echo(_describe(webhook, delivery_id, result))
    return 0 if all(result.succeeded for _, result in results) else 1


def _test_one(
    app: AppContext, webhook: WebhookConfig, worker_id: str, send_once: SendOnce
) -> tuple[int, AttemptResult]:
    once = replace(webhook, enabled=True, exclude_actors=frozenset(), retry=RetryPolicy(()))
    delivery_id = _queue_sample(app, once, worker_id)
    with app.read_session() as session:
        delivery = session.get_one(Delivery, delivery_id)
    result = asyncio.run(send_once(delivery, webhook, worker_id))
    with app.session() as session:
        row = session.get(Delivery, delivery_id)
        # A starting SQLite worker may have released our claim; it then owns the outcome.
        if row is not None and row.claimed_by == worker_id:
            apply_result(session, row, result, datetime.now(UTC))
            session.commit()
    return delivery_id, result


def _queue_sample(app: AppContext, webhook: WebhookConfig, worker_id: str) -> int:
    """Write the sample's event and delivery, already claimed by this process; its id."""
    uow = UnitOfWork(
        app.session_factory, app.settings, WebhookRegistry([webhook]), actor=SAMPLE_ACTOR
    )
    with uow:
        subject = f"sample:{uuid.uuid4().hex[:12]}"
        params = sample_params(webhook.action, app.settings.public_url)
        events.publish(uow, webhook.action, subject, params, track_status=False)
        [delivery] = outbox.write_now(uow)
        lease = timedelta(seconds=webhook.timeout_seconds) + LEASE_MARGIN
        outbox.hold_for_sender(uow, delivery, worker_id, datetime.now(UTC) + lease)
        uow.commit()
        return delivery.id


def _describe(webhook: WebhookConfig, delivery_id: int, result: AttemptResult) -> str:
    outcome = f"HTTP {result.status_code}" if result.status_code is not None else "no answer"
    verdict = "ok" if result.succeeded else "FAILED"
    error = f" ({result.error})" if result.error and result.status_code is None else ""
    return (
        f"{verdict}: {webhook.name} [{webhook.action.value}] {webhook.method} "
        f"{redact_url(webhook.url)}: {outcome}{error} in {result.latency_ms:.1f} ms "
        f"(delivery {delivery_id})"
    )
