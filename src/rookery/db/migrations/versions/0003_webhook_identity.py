"""webhook identity: deliveries name their webhook by key and hold no secret

Revision ID: 0003_webhook_identity
Revises: 0001
Create Date: 2026-12-05

Data only, no schema change:
- ``deliveries.webhook_key`` written as ``{file}#{index}`` (the webhook's position) becomes
  ``{action}/{name}``, the key a webhook without a declared ``id`` has now (a position cannot
  be trusted after the configuration was edited; the action and name can);
- every stored header value except the computed ``Content-Type`` becomes ``***`` and a URL's
  password becomes ``***``: the worker takes the real values from the configuration.
The rules are written out here rather than imported, so that this migration keeps doing what
it did when later code changes. Downgrading cannot bring back redacted values or positions;
it leaves the rows as they are.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

revision = "0003_webhook_identity"
down_revision = "0002_sessions"
branch_labels = None
depends_on = None

BATCH = 1000
REDACTED = "***"
_POSITION_KEY = re.compile(r".*#\d+")

_deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("webhook_name", sa.String),
    sa.column("webhook_key", sa.String),
    sa.column("url", sa.Text),
    sa.column("headers", sa.JSON),
)


def _key(row: Any) -> str:
    if _POSITION_KEY.fullmatch(row.webhook_key):
        return f"{row.action}/{row.webhook_name}"
    return str(row.webhook_key)


def _headers(headers: dict[str, str] | None) -> dict[str, str]:
    return {
        name: value if name.lower() == "content-type" else REDACTED
        for name, value in (headers or {}).items()
    }


def _url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:{REDACTED}@{hostport}"))


def upgrade() -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(_deliveries)
            .where(_deliveries.c.id > last)
            .order_by(_deliveries.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = [
            {
                "b_id": row.id,
                "webhook_key": _key(row),
                "url": _url(row.url),
                "headers": _headers(row.headers),
            }
            for row in rows
            if (_key(row), _url(row.url), _headers(row.headers))
            != (row.webhook_key, row.url, row.headers)
        ]
        if changed:
            connection.execute(
                sa.update(_deliveries)
                .where(_deliveries.c.id == sa.bindparam("b_id"))
                .values(
                    webhook_key=sa.bindparam("webhook_key"),
                    url=sa.bindparam("url"),
                    headers=sa.bindparam("headers"),
                ),
                changed,
            )
        last = rows[-1].id


def downgrade() -> None:
    # Redacted values and file positions cannot be recovered; the keys stay readable.
    pass
