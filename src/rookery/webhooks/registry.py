"""The loaded webhooks, indexed by action and by their stable key.

A webhook's key (see ``identity``) is its declared ``id`` or ``{action}/{name}``: deliveries
store it so that the worker finds, at send time, the webhook that produced them, and takes that
webhook's header values and signing secrets (never written to the database) from memory.
Invariant: keys are unique (building a registry with a repeated key raises
``InvalidWebhookConfigError``), so a key names at most one webhook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rookery.webhooks.actions import WebhookAction
from rookery.webhooks.config import WebhookConfig
from rookery.webhooks.identity import index_by_key, webhook_key

__all__ = ["WebhookRegistry", "webhook_key"]


class WebhookRegistry:
    """Immutable collection of the configured webhooks."""

    def __init__(self, webhooks: Iterable[WebhookConfig] = ()) -> None:
        self._all = tuple(webhooks)
        self._by_action: dict[WebhookAction, list[WebhookConfig]] = {}
        for webhook in self._all:
            self._by_action.setdefault(webhook.action, []).append(webhook)
        self._by_key = index_by_key(self._all)

    def __iter__(self) -> Iterator[WebhookConfig]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def for_action(self, action: WebhookAction | str) -> list[WebhookConfig]:
        """The webhooks configured for ``action``, in configuration order."""
        return self._by_action.get(WebhookAction(action), [])

    def by_key(self, key: str) -> WebhookConfig | None:
        """The webhook stored under ``key``, or None if it is no longer configured."""
        return self._by_key.get(key)

    def by_name(self, name: str) -> list[WebhookConfig]:
        """Every webhook called ``name`` (names may repeat across actions)."""
        return [w for w in self._all if w.name == name]

    def grouped(self) -> dict[str, list[dict[str, Any]]]:
        """Public (redacted) descriptions grouped by action, as settings and the API show them."""
        return {
            action.value: [w.as_public_dict() for w in hooks]
            for action, hooks in self._by_action.items()
        }
