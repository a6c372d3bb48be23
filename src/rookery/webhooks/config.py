"""Webhook configuration: validating items and loading them from files (SPEC §4).

:func:`load_webhooks` reads a file or directory (see ``config_files``), takes each document's
``webhooks`` list, and turns every item into a :class:`WebhookConfig` with
:func:`validate_webhook_item`. Invariants:

- All or nothing: the first invalid item raises :class:`InvalidWebhookConfigError` and nothing
  is returned. Every message names the file, the item (``webhook #N``, counted from 1 in the
  file's list, with its name when known), the key at fault, and what was expected.
- Items keep file order, then list order; ``WebhookConfig.index`` is the 0-based position in its
  file's list, used in messages only. A webhook is identified by its key (``identity``): its
  declared ``id``, else ``{action}/{name}``; two items with one key are refused. Duplicate names
  under distinct keys are allowed (a warning on ``rookery.webhooks``).
- A ``WebhookConfig`` is complete and immutable: optional keys are filled with their defaults,
  the method is upper-case, ``content_type`` is the resolved ``format``, header values are
  strings, and the payload holds only JSON values (YAML dates become ISO 8601 text).
- Decisions beyond the SPEC: a ``Content-Type`` header (and the other headers Rookery sets:
  ``Content-Length`` and the ``webhook-*`` signature headers) is refused rather than silently
  overridden; ``timeout`` also accepts numeric or duration text (values from ``${ENV}`` are
  text); ``enabled`` accepts ``true``/``false`` text for the same reason; a secret that is still
  an unexpanded ``$VAR`` is refused, so an unset variable never becomes a signing key.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rookery.domain.ordering import Ordering
from rookery.errors import InvalidWebhookConfigError
from rookery.webhooks.actions import WEBHOOK_KEYS, WEBHOOK_KEYS_REQUIRED, WebhookAction
from rookery.webhooks.body import DEFAULT_FORMAT, content_type_for
from rookery.webhooks.config_files import read_config_documents
from rookery.webhooks.config_values import (
    DEFAULT_TIMEOUT_SECONDS,
    BadValueError,
    describe,
    parse_action,
    parse_declared_id,
    parse_enabled,
    parse_exclude_actors,
    parse_format,
    parse_headers,
    parse_method,
    parse_name,
    parse_ordering,
    parse_payload,
    parse_retry,
    parse_secrets,
    parse_timeout,
    parse_url,
    suggest,
)
from rookery.webhooks.identity import index_by_key, webhook_key
from rookery.webhooks.redaction import REDACTED, redact_headers, redact_url
from rookery.webhooks.retry import RetryPolicy

LOGGER = logging.getLogger("rookery.webhooks")
_SECRET_KEYS = frozenset({"headers", "secret"})
_T = TypeVar("_T")


@dataclass(frozen=True)
class WebhookConfig:
    """One validated webhook item, with every optional key filled in."""

    name: str
    action: WebhookAction
    method: str
    url: str
    content_type: str = field(default_factory=lambda: content_type_for(DEFAULT_FORMAT))
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    enabled: bool = True
    exclude_actors: frozenset[str] = frozenset()
    ordering: Ordering = Ordering.RECEIVER
    id: str | None = None
    source: str = ""
    index: int = 0

    @property
    def key(self) -> str:
        """The stable key deliveries store: the declared ``id``, else ``{action}/{name}``."""
        return webhook_key(self)

    def as_public_dict(self) -> dict[str, Any]:
        """Return a JSON-able description: every header value and secret redacted."""
        return {
            "key": self.key,
            "id": self.id,
            "name": self.name,
            "action": self.action.value,
            "method": self.method,
            "url": redact_url(self.url),
            "content_type": self.content_type,
            "payload": self.payload,
            "headers": redact_headers(self.headers),
            "secrets": [REDACTED for _ in self.secrets],
            "timeout_seconds": self.timeout_seconds,
            "retry": {
                "schedule": [pause.total_seconds() for pause in self.retry.schedule],
                "jitter": self.retry.jitter,
            },
            "enabled": self.enabled,
            "exclude_actors": sorted(self.exclude_actors),
            "ordering": self.ordering.value,
            "source": self.source,
            "index": self.index,
        }


def load_webhooks(
    path: str | Path, environ: Mapping[str, str] | None = None
) -> list[WebhookConfig]:
    """Return every webhook configured under ``path`` (a file or a directory), validated.

    Raise ``InvalidWebhookConfigError`` for the first file or item that is invalid.
    """
    return webhooks_from_documents(read_config_documents(path, environ))


def webhooks_from_documents(documents: list[tuple[Path, Any]]) -> list[WebhookConfig]:
    """Return the validated webhooks of already-read ``(file, document)`` pairs, in order."""
    webhooks: list[WebhookConfig] = []
    for source, document in documents:
        for index, item in enumerate(_webhook_items(source, document)):
            webhooks.append(validate_webhook_item(item, str(source), index))
    index_by_key(webhooks)  # refuses two items with one key
    _warn_duplicate_names(webhooks)
    return webhooks


def _webhook_items(source: Path, document: Any) -> list[Any]:
    """Return the ``webhooks`` list of one document (empty when it has none)."""
    if document is None or (isinstance(document, dict) and "webhooks" not in document):
        LOGGER.warning("%s: no 'webhooks' section; this file configures no webhook", source)
        return []
    if not isinstance(document, dict):
        raise InvalidWebhookConfigError(
            f"{source}: expected a mapping of sections (such as 'webhooks'), "
            f"got {describe(document)}",
            param="webhooks",
        )
    items = document["webhooks"]
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidWebhookConfigError(
            f"{source}: key 'webhooks': expected a list of webhook items, got {describe(items)}",
            param="webhooks",
        )
    return items


def _warn_duplicate_names(webhooks: list[WebhookConfig]) -> None:
    """Log one warning per webhook name used more than once."""
    counts = Counter(webhook.name for webhook in webhooks)
    for name, count in counts.items():
        if count > 1:
            LOGGER.warning("webhook name %r is used by %d items", name, count)


def validate_webhook_item(item: Any, source: str, index: int) -> WebhookConfig:
    """Return the webhook an item describes; raise ``InvalidWebhookConfigError`` naming the fault.

    ``source`` is the file the item comes from and ``index`` its 0-based position in that
    file's ``webhooks`` list.
    """
    where = f"{source}: webhook #{index + 1}"
    if not isinstance(item, dict):
        raise InvalidWebhookConfigError(
            f"{where}: expected a mapping with keys {', '.join(sorted(WEBHOOK_KEYS_REQUIRED))}, "
            f"got {describe(item)}",
            param="webhooks",
        )
    name = _parse_key(item, "name", where, parse_name)
    where = f"{where} ({name!r})"
    _check_keys(item, where)
    return WebhookConfig(
        name=name,
        action=_parse_key(item, "action", where, parse_action),
        method=_parse_key(item, "method", where, parse_method),
        url=_parse_key(item, "url", where, parse_url),
        content_type=_parse_key(item, "format", where, parse_format),
        payload=_parse_key(item, "payload", where, parse_payload),
        headers=_parse_key(item, "headers", where, parse_headers),
        secrets=_parse_key(item, "secret", where, parse_secrets),
        timeout_seconds=_parse_key(item, "timeout", where, parse_timeout),
        retry=_parse_key(item, "retry", where, parse_retry),
        enabled=_parse_key(item, "enabled", where, parse_enabled),
        exclude_actors=_parse_key(item, "exclude_actors", where, parse_exclude_actors),
        id=_parse_key(item, "id", where, parse_declared_id),
        ordering=_parse_key(item, "ordering", where, parse_ordering),
        source=source,
        index=index,
    )


def _check_keys(item: dict[Any, Any], where: str) -> None:
    """Refuse unknown keys (suggesting the nearest known one) and missing required keys."""
    for key in item:
        if key not in WEBHOOK_KEYS:
            hint = suggest(key, WEBHOOK_KEYS)
            raise InvalidWebhookConfigError(
                f"{where}: key {describe(key)}: unknown key{hint}; "
                f"expected one of {', '.join(sorted(WEBHOOK_KEYS))}",
                param=str(key),
            )
    for key in sorted(WEBHOOK_KEYS_REQUIRED):
        if item.get(key) in (None, ""):
            raise InvalidWebhookConfigError(
                f"{where}: key '{key}': required, expected a non-empty value", param=key
            )


def _parse_key(item: dict[Any, Any], key: str, where: str, parse: Callable[[Any], _T]) -> _T:
    """Parse ``item[key]`` (``None`` when absent) and add the item's context to any error."""
    try:
        return parse(item.get(key))
    except BadValueError as error:
        # Header values and secrets are never echoed back, not even in an error.
        shown = REDACTED if key in _SECRET_KEYS else item.get(key)
        raise InvalidWebhookConfigError(
            f"{where}: key '{key}': {error}", param=key, value=shown
        ) from error
