"""The loaded webhooks, indexed by action and by a stable key.

A webhook's key is ``{source file}#{index}``: deliveries store it so that the worker can find
the webhook's secrets and headers at send time (those are never written to the database).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rookery.webhooks.actions import WebhookAction
from rookery.webhooks.config import WebhookConfig


def webhook_key(webhook: WebhookConfig) -> str:
    """The stable key of a webhook item: its file and position."""
    return f"{webhook.source}#{webhook.index}"


class WebhookRegistry:
    """Immutable collection of the configured webhooks."""

    def __init__(self, webhooks: Iterable[WebhookConfig] = ()) -> None:
        self._all = tuple(webhooks)
        self._by_action: dict[WebhookAction, list[WebhookConfig]] = {}
        for webhook in self._all:
            self._by_action.setdefault(webhook.action, []).append(webhook)
        self._by_key = {webhook_key(w): w for w in self._all}

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
        """Every webhook called ``name`` (names may repeat)."""
        return [w for w in self._all if w.name == name]

    def grouped(self) -> dict[str, list[dict[str, Any]]]:
        """Public (redacted) descriptions grouped by action, as settings and the API show them."""
        return {
            action.value: [w.as_public_dict() for w in hooks]
            for action, hooks in self._by_action.items()
        }
