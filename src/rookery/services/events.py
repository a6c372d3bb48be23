"""Events: describe a change as template parameters and write it to the outbox.

``publish`` runs inside the change's unit of work. It queues one ``events`` row and one
``deliveries`` row per matching, enabled webhook whose ``exclude_actors`` does not name the
actor; the unit of work writes them when it commits.
For Magpie's seven actions it offers exactly the parameters SPEC §5 lists (``ACTION_PARAMS``),
whatever the caller passed, so a template Magpie leaves literal (``{{user.email}}`` in
``update_user_status``) stays literal here too.
Each delivery's request (method, URL, headers, body) is rendered here, once; the worker sends
those stored bytes on every attempt. The row names its webhook by key (``identity``) and holds
no secret: header values and a URL's password are stored as ``***`` and the worker takes the
real ones from that webhook when it sends. A callback token is created only when some webhook of a
callback-carrying action is about to receive the event (SPEC §6 "Callback URL").
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from rookery.db.models import Group, Resource, Token, User
from rookery.domain.permissions import Permission
from rookery.services import outbox
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import ACTION_PARAMS, WebhookAction
from rookery.webhooks.config import WebhookConfig

CALLBACK_ACTIONS = {WebhookAction.CREATE_USER, WebhookAction.UPDATE_USER_STATUS}

Params = dict[str, Any]


def user_params(user: User, *, with_status: bool = False) -> Params:
    """``user.*`` parameters (``user.status`` is always the integer)."""
    params: Params = {"user.name": user.user_name, "user.id": user.id, "user.email": user.email}
    if with_status:
        params["user.status"] = int(user.status)
    return params


def group_params(group: Group) -> Params:
    """``group.*`` parameters."""
    return {"group.name": group.group_name, "group.id": group.id}


def resource_params(resource: Resource, root: Resource, protected_url: str) -> Params:
    """``resource.*`` and ``service.*`` parameters; service keys are null below a service."""
    is_service = resource.parent_id is None
    return {
        "resource.id": resource.id,
        "resource.name": resource.resource_name,
        "resource.display_name": resource.display_name,
        "resource.type": resource.resource_type,
        "service.name": resource.resource_name if is_service else None,
        "service.type": root.service_type,
        "service.public_url": f"{protected_url}/{resource.resource_name}" if is_service else None,
        "service.sync_type": resource.sync_type if is_service else None,
    }


def permission_params(permission: Permission) -> Params:
    """``permission.*`` parameters and ``permission`` (the explicit string)."""
    return {
        "permission.name": permission.name,
        "permission.access": permission.access.value,
        "permission.scope": permission.scope.value,
        "permission": permission.explicit,
    }


def publish(
    uow: UnitOfWork,
    action: WebhookAction,
    subject: str,
    params: Params,
    *,
    user: User | None = None,
    track_status: bool | None = None,
) -> None:
    """Record ``action`` in the outbox of the current transaction and queue its deliveries.

    With ``track_status`` the deliveries' outcomes set ``user``'s status (SPEC §6); by
    default only ``create_user``'s do.
    """
    now = datetime.now(UTC)
    event_id = str(uuid.uuid4())
    full: Params = {
        **offered_params(action, params),
        "event.id": event_id,
        "event.action": action.value,
        "event.time": now.isoformat(),
        "actor.name": uow.actor,
    }
    targets = [w for w in uow.webhooks.for_action(action) if _wants(w, uow.actor)]
    if targets and action in CALLBACK_ACTIONS and user is not None:
        full["callback_url"] = _callback_url(uow, action, user)
    event = {
        "id": event_id,
        "action": action.value,
        "subject": subject,
        "actor": uow.actor,
        "params": full,
        "created_at": now,
    }
    outbox.write_event(uow, event)
    if track_status is None:
        track_status = action == WebhookAction.CREATE_USER
    outbox.write_deliveries(uow, event, targets, subject, user if track_status else None)


def offered_params(action: WebhookAction, params: Params) -> Params:
    """The caller's parameters restricted to those SPEC §5 lists for a Magpie action."""
    allowed = ACTION_PARAMS.get(action)
    if allowed is None:
        return dict(params)
    return {key: value for key, value in params.items() if key in allowed}


def _wants(webhook: WebhookConfig, actor: str | None) -> bool:
    return webhook.enabled and (actor is None or actor not in webhook.exclude_actors)


def _callback_url(uow: UnitOfWork, action: WebhookAction, user: User) -> str:
    token = Token(token=str(uuid.uuid4()), operation=action.value, user_id=user.id)
    uow.session.add(token)
    return f"{uow.settings.public_url}/tmp/{token.token}"
