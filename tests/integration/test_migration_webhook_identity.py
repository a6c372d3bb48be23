"""Migration 0003_webhook_identity: deliveries written by 0001-era code (webhook found by file
position, header values and URL passwords stored) are converted in place and still delivered."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select

from rookery.db.engine import make_engine
from rookery.db.models import Delivery, Event
from rookery.db.schema import alembic_config, current_revision, upgrade
from tests.conftest import ServiceFactory
from tests.support.delivery_log import wait_for_count
from tests.support.receiver import Receiver
from tests.support.secrets import SecretHook, database_text, leaks
from tests.support.service import write_config


@pytest.fixture
def old_engine(database_url: str) -> Iterator[Engine]:
    """The test database at revision 0001, as the previous release left it."""
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    config = alembic_config(engine)
    with engine.begin() as connection:  # the PostgreSQL test database may be at head already
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert current_revision(engine) == "0001"
    yield engine
    engine.dispose()


def old_row(number: int, hook: SecretHook, key: str, url: str) -> dict[str, Any]:
    """A pending delivery as 0001-era code wrote it: position key, a header in clear."""
    now = datetime.now(UTC)
    return {
        "uid": f"msg_old{number}",
        "event_id": "ev-old",
        "action": "create_user",
        "webhook_name": hook.name,
        "webhook_key": key,
        "subject": f"user:{number}",
        "lane": f"old-receiver|user:{number}",
        "state": "pending",
        "attempt_count": 0,
        "next_attempt_at": now,
        "method": "POST",
        "url": url,
        "headers": {
            "Content-Type": "application/json",
            "Authorization": "***",
            "X-Hub-Signature": hook.headers["X-Hub-Signature"],
        },
        "body": b'{"user": "old"}',
        "timeout_seconds": 5.0,
        "retry_schedule": [],
        "created_at": now,
    }


def test_old_rows_get_keys_lose_secrets_and_are_delivered(
    old_engine: Engine, start_service: ServiceFactory, tmp_path: Path
) -> None:
    """Position keys become `{action}/{name}`, stored header values and URL passwords become
    `***`, a row already keyed stays keyed, and each old delivery then goes out with its own
    webhook's headers and secret, even though the configuration was reordered meanwhile."""
    receiver = Receiver().start()
    try:
        partner = SecretHook.make("partner", receiver)
        # No Authorization header: billing's URL carries Basic credentials instead.
        made = SecretHook.make("billing", receiver)
        billing = replace(
            made, headers={k: v for k, v in made.headers.items() if k != "Authorization"}
        )
        billing_url = receiver.url("/billing").replace("http://", "http://bill:pa55-old@")
        with old_engine.begin() as connection:
            connection.execute(
                insert(Event),
                [
                    {
                        "id": "ev-old",
                        "action": "create_user",
                        "subject": "user:1",
                        "actor": None,
                        "params": {"user.name": "old"},
                        "created_at": datetime.now(UTC),
                    }
                ],
            )
            connection.execute(
                insert(Delivery),
                [
                    old_row(1, partner, "/etc/rookery/webhooks.yml#0", receiver.url("/partner")),
                    old_row(2, billing, "/etc/rookery/webhooks.yml#1", billing_url),
                    old_row(3, billing, "create_user/billing", billing_url),
                ],
            )
        upgrade(old_engine)

        with old_engine.connect() as connection:
            rows = connection.execute(
                select(Delivery.webhook_key, Delivery.url, Delivery.headers).order_by(Delivery.id)
            ).all()
        assert [row.webhook_key for row in rows] == [
            "create_user/partner",
            "create_user/billing",
            "create_user/billing",
        ]
        assert rows[1].url == receiver.url("/billing").replace("http://", "http://bill:***@")
        assert {row.headers["X-Hub-Signature"] for row in rows} == {"***"}
        assert {row.headers["Content-Type"] for row in rows} == {"application/json"}
        assert leaks(database_text(old_engine), [partner, billing]) == []
        assert "pa55-old" not in database_text(old_engine)

        items = [billing.item(url=billing_url), partner.item()]
        config = write_config(tmp_path / "live", items)
        service = start_service(webhooks_config_path=str(config))
        wait_for_count(service, 3, status="delivered")
        for path, own in (("/partner", partner), ("/billing", billing)):
            for got in receiver.on(path):
                assert got.headers["x-hub-signature"] == own.headers["X-Hub-Signature"]
                assert got.headers["x-auth"] == own.headers["X-Auth"]
        assert len(receiver.on("/billing")) == 2
    finally:
        receiver.stop()
