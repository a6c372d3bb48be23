"""Webhook identity: the key a delivery stores to find its webhook again at send time.

A webhook's key is its declared ``id`` when the item has one, else ``{action}/{name}``.
Neither depends on where the item sits in its file or on which file holds it, so reordering
items, inserting new ones or splitting a file in two leaves every queued delivery pointing
at the webhook that produced it (SPEC §9).

Invariants:
- within one loaded configuration, keys are unique: :func:`index_by_key` refuses a second
  item with a key already taken, naming both items (file and position) and the key, so a
  delivery can never be matched to the wrong webhook's headers and signing secrets;
- a key says nothing secret: it is made of the action, the name and the declared id only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from rookery.errors import InvalidWebhookConfigError
from rookery.webhooks.actions import WebhookAction


class Identifiable(Protocol):
    """What identity needs of a webhook (``WebhookConfig`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def action(self) -> WebhookAction: ...
    @property
    def id(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def index(self) -> int: ...


W = TypeVar("W", bound=Identifiable)


def key_for(action: str, name: str, declared_id: str | None = None) -> str:
    """The key of a webhook: its declared id, else ``{action}/{name}``."""
    return declared_id if declared_id is not None else f"{action}/{name}"


def webhook_key(webhook: Identifiable) -> str:
    """The stable key of a loaded webhook."""
    return key_for(webhook.action.value, webhook.name, webhook.id)


def describe_item(webhook: Identifiable) -> str:
    """``file: webhook #N ('name')``, as configuration errors name an item."""
    return f"{webhook.source}: webhook #{webhook.index + 1} ({webhook.name!r})"


def index_by_key(webhooks: Iterable[W]) -> dict[str, W]:
    """Map every webhook's key to it; raise ``InvalidWebhookConfigError`` on a repeated key."""
    found: dict[str, W] = {}
    for webhook in webhooks:
        key = webhook_key(webhook)
        first = found.get(key)
        if first is not None:
            how = "id" if webhook.id is not None else "action and name"
            raise InvalidWebhookConfigError(
                f"{describe_item(webhook)}: key 'id': webhook key {key!r} (from its {how}) is "
                f"already used by {describe_item(first)}; give one of them a unique 'id:' "
                "or another name",
                param="id",
                value=key,
            )
        found[key] = webhook
    return found
