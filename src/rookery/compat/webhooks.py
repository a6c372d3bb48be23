"""Magpie's ``magpie.api.webhooks`` API, as thin entry points over Rookery's machinery (SPEC §7).

Scripts and tests written against Magpie's module keep working: the names, signatures and
meanings are the seed's. Underneath, nothing here sends synchronously except
:func:`send_webhook_request` (which Magpie also sends inline): :func:`process_webhook_requests`
writes the event and its deliveries to the durable outbox and wakes the worker.

Functions that need the running service (the database, the public URL) use the application
registered with :func:`use_app` — ``create_app`` registers the one it serves — or the one
found in ``settings["rookery.app"]``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from rookery.db.models import Group, Resource, Token, User
from rookery.domain.permissions import Permission, parse_permission
from rookery.domain.statuses import UserStatus
from rookery.errors import InvalidInputError
from rookery.services import events
from rookery.services.context import AppContext
from rookery.services.lookups import find_user, root_of
from rookery.webhooks.actions import (
    WEBHOOK_HTTP_METHODS,
    WEBHOOK_KEYS,
    WEBHOOK_KEYS_OPTIONAL,
    WEBHOOK_KEYS_REQUIRED,
    WEBHOOK_TEMPLATE_PARAMS,
    WebhookAction,
)
from rookery.webhooks.body import encode_body
from rookery.webhooks.config import WebhookConfig, load_webhooks, validate_webhook_item
from rookery.webhooks.registry import WebhookRegistry
from rookery.webhooks.signing import signature_headers
from rookery.webhooks.templates import replace_template

__all__ = [
    "LOGGER",
    "WEBHOOK_HTTP_METHODS",
    "WEBHOOK_KEYS",
    "WEBHOOK_KEYS_OPTIONAL",
    "WEBHOOK_KEYS_REQUIRED",
    "WEBHOOK_TEMPLATE_PARAMS",
    "WebhookAction",
    "WebhookActionNames",
    "generate_callback_url",
    "get_permission_update_params",
    "process_webhook_requests",
    "replace_template",
    "send_webhook_request",
    "setup_webhooks",
    "use_app",
    "webhook_update_error_status",
]

LOGGER = logging.getLogger("rookery.webhooks")
WebhookActionNames = [action.value for action in WebhookAction]

_app: AppContext | None = None


def use_app(app: AppContext | None) -> None:
    """Register the application these entry points act on (``create_app`` does it)."""
    global _app  # noqa: PLW0603 - Magpie's API has no parameter to pass the application
    _app = app


def _current(settings: Mapping[str, Any] | None = None) -> AppContext:
    found: AppContext | None = (settings or {}).get("rookery.app") or _app
    if found is None or not hasattr(found, "uow"):
        raise InvalidInputError("no Rookery application: call use_app(app) first", param="settings")
    return found


def get_permission_update_params(
    target: User | Group,
    resource: Resource,
    permission: Permission | str | Mapping[str, Any],
    db_session: Session,
) -> dict[str, Any]:
    """The template parameters of a permission event on ``resource`` for ``target``."""
    perm = parse_permission(permission)
    app = _app
    protected = app.settings.twitcher_url if app else ""
    params = {
        **events.resource_params(resource, root_of(db_session, resource), protected),
        **events.permission_params(perm),
    }
    if isinstance(target, User):
        params.update(events.user_params(target, with_status=True))
    else:
        params.update(events.group_params(target))
    return params


def process_webhook_requests(
    action: WebhookAction | str,
    params: Mapping[str, Any],
    update_user_status_on_error: bool = False,
    settings: Mapping[str, Any] | None = None,
) -> None:
    """Queue ``action`` with ``params`` for every matching webhook (durably; sent by workers).

    With ``update_user_status_on_error``, a failed attempt sets the user named by
    ``params['user.name']`` to ``WebhookError`` (and a later success returns it to ``OK``).
    """
    app = _current(settings)
    kind = WebhookAction(action)
    uow = app.uow()
    with uow:
        user = find_user(uow.session, str(params.get("user.name", "")))
        subject = (
            f"user:{user.id}"
            if user
            else f"group:{params.get('group.id')}"
            if "group.id" in params
            else f"event:{kind.value}"
        )
        events.publish(
            uow,
            kind,
            subject,
            dict(params),
            user=user,
            track_status=bool(user and update_user_status_on_error),
        )
        uow.commit()


def generate_callback_url(
    operation: str, db_session: Session, user: User | None = None, group: Group | None = None
) -> str:
    """Create a single-use token in ``db_session`` and return its callback URL."""
    token = Token(
        token=str(uuid.uuid4()),
        operation=str(operation),
        user_id=user.id if user else None,
        group_id=group.id if group else None,
    )
    db_session.add(token)
    return f"{_current().settings.public_url}/tmp/{token.token}"


def _as_config(webhook_config: WebhookConfig | Mapping[str, Any]) -> WebhookConfig:
    if isinstance(webhook_config, WebhookConfig):
        return webhook_config
    item = {k: v for k, v in webhook_config.items() if v is not None}
    return validate_webhook_item(item, "<send_webhook_request>", 0)


def send_webhook_request(
    webhook_config: WebhookConfig | Mapping[str, Any],
    params: Mapping[str, Any],
    update_user_status_on_error: bool = False,
) -> None:
    """Send one webhook now (synchronously, once), as Magpie does inline.

    Failures are logged, never raised; with ``update_user_status_on_error`` they set the user
    named by ``params['user.name']`` to ``WebhookError``.
    """
    webhook = _as_config(webhook_config)
    body = encode_body(replace_template(params, webhook.payload), webhook.content_type)
    headers = {**webhook.headers, **({"Content-Type": webhook.content_type} if body else {})}
    if webhook.secrets:
        headers.update(
            signature_headers(
                webhook.secrets, f"msg_{uuid.uuid4().hex}", datetime.now(UTC), body or b""
            )
        )
    try:
        response = httpx.request(
            webhook.method,
            webhook.url,
            content=body,
            headers=headers,
            timeout=webhook.timeout_seconds,
            follow_redirects=False,
        )
        failed = not response.is_success
        detail = f"HTTP {response.status_code}"
    except httpx.HTTPError as error:
        failed, detail = True, f"{type(error).__name__}: {error}"
    if failed:
        LOGGER.warning("webhook %r to %s failed: %s", webhook.name, webhook.url, detail)
        if update_user_status_on_error and params.get("user.name"):
            webhook_update_error_status(str(params["user.name"]))


def webhook_update_error_status(user_name: str) -> None:
    """Set the user's status to ``WebhookError`` (fires no webhook)."""
    app = _current()
    with app.session() as session:
        user = find_user(session, user_name)
        if user is not None:
            session.execute(
                update(User)
                .where(User.id == user.id)
                .values(status=int(UserStatus.WebhookError), status_version=User.status_version + 1)
            )
            session.commit()


def setup_webhooks(config_path: str | None, settings: MutableMapping[str, Any]) -> None:
    """Validate the webhooks under ``config_path`` and store them in ``settings`` by action.

    All or nothing: an invalid item raises and ``settings`` is left untouched. Afterwards
    ``settings['webhooks']`` maps each action to its webhooks, every key of ``WEBHOOK_KEYS``
    present (optional ones defaulted), and ``settings['rookery.webhook_registry']`` holds the
    validated registry.
    """
    registry = WebhookRegistry(load_webhooks(config_path) if config_path else [])
    grouped: dict[str, list[dict[str, Any]]] = {a.value: [] for a in WebhookAction}
    for webhook in registry:
        grouped[webhook.action.value].append(_seed_item(webhook))
    settings["webhooks"] = grouped
    settings["rookery.webhook_registry"] = registry


def _seed_item(webhook: WebhookConfig) -> dict[str, Any]:
    return {
        "name": webhook.name,
        "action": webhook.action.value,
        "method": webhook.method,
        "url": webhook.url,
        "format": webhook.content_type,
        "payload": webhook.payload,
        "headers": dict(webhook.headers),
        "secret": list(webhook.secrets) or None,
        "timeout": webhook.timeout_seconds,
        "retry": {"schedule": [d.total_seconds() for d in webhook.retry.schedule]},
        "enabled": webhook.enabled,
        "exclude_actors": sorted(webhook.exclude_actors),
        "id": webhook.id,
        "ordering": webhook.ordering.value,
    }
