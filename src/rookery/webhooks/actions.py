"""The vocabulary of webhooks: actions, template parameters, HTTP methods and item keys.

Invariants:

- ``WebhookAction`` values are the exact action strings operators write in configuration files;
  Magpie's seven actions keep Magpie's spelling so Magpie files load unchanged.
- ``WEBHOOK_TEMPLATE_PARAMS`` lists every parameter name of SPEC §5, with no duplicates.
- ``WEBHOOK_KEYS`` is exactly the union of the required and optional item keys.
- ``ACTION_PARAMS`` names, for each of Magpie's seven actions, exactly the parameters SPEC §5
  lists for it (the ``event.*`` and ``actor.name`` keys every event offers come on top), so a
  payload template that Magpie would leave literal stays literal in Rookery too.
"""

from __future__ import annotations

import enum


class WebhookAction(str, enum.Enum):  # noqa: UP042 - Magpie-compatible seed API: a str mixin Enum
    """An event that can trigger a webhook; the value is the string used in configuration."""

    # Magpie's actions.
    CREATE_USER = "create_user"
    DELETE_USER = "delete_user"
    UPDATE_USER_STATUS = "update_user_status"
    CREATE_USER_PERMISSION = "create_user_permission"
    DELETE_USER_PERMISSION = "delete_user_permission"
    CREATE_GROUP_PERMISSION = "create_group_permission"
    DELETE_GROUP_PERMISSION = "delete_group_permission"
    # Rookery's own actions.
    CREATE_GROUP = "create_group"
    DELETE_GROUP = "delete_group"
    ADD_USER_TO_GROUP = "add_user_to_group"
    REMOVE_USER_FROM_GROUP = "remove_user_from_group"
    CREATE_SERVICE = "create_service"
    DELETE_SERVICE = "delete_service"
    CREATE_RESOURCE = "create_resource"
    DELETE_RESOURCE = "delete_resource"
    UPDATE_USER = "update_user"


MAGPIE_ACTIONS: frozenset[WebhookAction] = frozenset(
    {
        WebhookAction.CREATE_USER,
        WebhookAction.DELETE_USER,
        WebhookAction.UPDATE_USER_STATUS,
        WebhookAction.CREATE_USER_PERMISSION,
        WebhookAction.DELETE_USER_PERMISSION,
        WebhookAction.CREATE_GROUP_PERMISSION,
        WebhookAction.DELETE_GROUP_PERMISSION,
    }
)

WEBHOOK_HTTP_METHODS: list[str] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

WEBHOOK_KEYS_REQUIRED: frozenset[str] = frozenset({"name", "action", "method", "url"})
WEBHOOK_KEYS_OPTIONAL: frozenset[str] = frozenset(
    {
        "format",
        "payload",
        "headers",
        "secret",
        "timeout",
        "retry",
        "enabled",
        "exclude_actors",
        "id",
        "ordering",
    }
)
WEBHOOK_KEYS: frozenset[str] = WEBHOOK_KEYS_REQUIRED | WEBHOOK_KEYS_OPTIONAL

_USER_KEYS = ("user.name", "user.id", "user.email")
_TARGET_KEYS = (
    "resource.id",
    "resource.name",
    "resource.display_name",
    "resource.type",
    "service.name",
    "service.type",
    "service.public_url",
    "service.sync_type",
    "permission.name",
    "permission.access",
    "permission.scope",
    "permission",
)
_GROUP_KEYS = ("group.name", "group.id")
_EVENT_KEYS = ("callback_url", "event.id", "event.action", "event.time", "actor.name")
WEBHOOK_TEMPLATE_PARAMS: list[str] = [
    *_GROUP_KEYS,
    *_USER_KEYS,
    "user.status",
    *_TARGET_KEYS,
    *_EVENT_KEYS,
]
_USER_PERMISSION_KEYS = frozenset({*_USER_KEYS, "user.status", *_TARGET_KEYS})
_GROUP_PERMISSION_KEYS = frozenset({*_GROUP_KEYS, *_TARGET_KEYS})

ACTION_PARAMS: dict[WebhookAction, frozenset[str]] = {
    WebhookAction.CREATE_USER: frozenset({*_USER_KEYS, "callback_url"}),
    WebhookAction.DELETE_USER: frozenset(_USER_KEYS),
    WebhookAction.UPDATE_USER_STATUS: frozenset(
        {"user.name", "user.id", "user.status", "callback_url"}
    ),
    WebhookAction.CREATE_USER_PERMISSION: _USER_PERMISSION_KEYS,
    WebhookAction.DELETE_USER_PERMISSION: _USER_PERMISSION_KEYS,
    WebhookAction.CREATE_GROUP_PERMISSION: _GROUP_PERMISSION_KEYS,
    WebhookAction.DELETE_GROUP_PERMISSION: _GROUP_PERMISSION_KEYS,
}
