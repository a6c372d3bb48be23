"""Webhooks carrying secrets, and searches for those secrets where they must never be."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData, select

from tests.support.receiver import Receiver


@dataclass(frozen=True)
class SecretHook:
    """A webhook whose headers and signing secret are its own (and distinct from any other's)."""

    name: str
    receiver: Receiver
    path: str
    headers: dict[str, str]
    secret: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, name: str, receiver: Receiver, **extra: Any) -> SecretHook:
        """Headers whose names are on no deny-list and whose values are all secret."""
        key = base64.b64encode(f"{name}-signing-key-0123456789".encode()).decode()
        return cls(
            name=name,
            receiver=receiver,
            path=f"/{name}",
            headers={
                "Authorization": f"Bearer {name}-bearer-7f3a",
                "X-Auth": f"{name}-x-auth-91c2",
                "X-Hub-Signature": f"{name}-hub-sig-55e0",
            },
            secret=f"whsec_{key}",
            extra=extra,
        )

    def item(self, **overrides: Any) -> dict[str, Any]:
        """The webhook item as a configuration file holds it."""
        return {
            "name": self.name,
            "action": "create_user",
            "method": "POST",
            "url": self.receiver.url(self.path),
            "payload": {"user": "{{user.name}}", "hook": self.name},
            "headers": dict(self.headers),
            "secret": self.secret,
            "retry": {"schedule": []},
            **self.extra,
            **overrides,
        }

    @property
    def secret_values(self) -> list[str]:
        """Every value that must stay out of storage, API, CLI and logs."""
        return [*self.headers.values(), self.secret, self.secret.removeprefix("whsec_")]


def leaks(text: str, hooks: Iterable[SecretHook]) -> list[str]:
    """The secret values of ``hooks`` that occur in ``text``."""
    return [value for hook in hooks for value in hook.secret_values if value in text]


def database_text(engine: Engine) -> str:
    """Every value of every column of every table, as one text (bytes decoded)."""
    metadata = MetaData()
    metadata.reflect(engine)
    parts: list[str] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    shown = value
                    if isinstance(value, bytes | memoryview):
                        shown = bytes(value).decode("utf-8", "replace")
                    parts.append(f"{table.name}: {shown}")
    return "\n".join(parts)
