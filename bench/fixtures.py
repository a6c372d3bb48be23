"""What the benchmarks create before measuring: a service, routes, groups, and queued events.

Two ways in: through the REST API of a running ``rookery serve`` (``ApiSetup``), and through
the outbox writer in this process (``queue_group_permission_events``), which is how the throughput
benchmark queues its events quickly with no worker running.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.harness import admin_cookies, database, settings_for, webhook, write_webhooks

SERVICE = "bench"


class ApiSetup:
    """An admin HTTP client for a running service, with helpers to create what we need."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, cookies=admin_cookies(base), timeout=30)

    def service(self) -> None:
        response = self.client.post(
            "/services",
            json={
                "service_name": SERVICE,
                "service_url": "http://127.0.0.1:9/bench",
                "service_type": "api",
            },
        )
        assert response.status_code in (201, 409), response.text

    def group(self, name: str) -> None:
        response = self.client.post("/groups", json={"group_name": name})
        assert response.status_code in (201, 409), response.text

    def close(self) -> None:
        self.client.close()


def queue_group_permission_events(
    database_url: str, webhooks: Path, events: int, groups: int, batch: int = 500
) -> int:
    """Queue ``events`` create_group_permission events through the outbox writer.

    Each event is written by ``rookery.services.events.publish``, the function every use case
    calls inside its unit of work: it renders each matching webhook's request once and writes
    the event row and one delivery row per webhook, exactly as ``POST /groups/{g}/services/{s}/
    permissions`` would. The permission rows themselves are skipped and ``batch`` events share
    one commit, so 20,000 events load in seconds instead of minutes (the ORM use case costs
    ~3-10 ms per call). Subjects cycle over ``groups`` groups, i.e. ``groups`` lanes. Returns
    the number of delivery rows written.
    """
    from rookery.bootstrap import build
    from rookery.domain.permissions import parse_permission
    from rookery.services import events as outbox
    from rookery.webhooks.actions import WebhookAction

    app = build(settings_for(database_url, webhooks))
    written = 0
    try:
        perms = [outbox.permission_params(parse_permission(n)) for n in ("read", "write")]
        for start in range(0, events, batch):
            uow = app.uow("admin")
            with uow:
                for i in range(start, min(events, start + batch)):
                    g = i % groups
                    params = {
                        "resource.id": 1000 + i // (2 * groups),
                        "resource.name": f"r{i // (2 * groups)}",
                        "resource.display_name": f"r{i // (2 * groups)}",
                        "resource.type": "route",
                        "service.name": None,
                        "service.type": "api",
                        "service.public_url": None,
                        "service.sync_type": None,
                        "group.name": f"g{g}",
                        "group.id": 10 + g,
                        **perms[(i // groups) % 2],
                    }
                    outbox.publish(
                        uow, WebhookAction.CREATE_GROUP_PERMISSION, f"group:{10 + g}", params
                    )
                written += uow.deliveries_written
                uow.commit()
        return written
    finally:
        app.engine.dispose()


@contextmanager
def queued_database(db: str, rows: int, lanes: int, prefix: str) -> Iterator[tuple[str, int]]:
    """A fresh ``db`` database (in a temporary directory named ``prefix``...) holding ``rows``
    create_group_permission deliveries in ``lanes`` lanes to a receiver nobody runs: its URL,
    and how many were queued. For benchmarks of the queue's own statements."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        item = webhook("h0", "create_group_permission", "http://127.0.0.1:9/h0")
        hooks = write_webhooks(workdir / "queued.yml", [item])
        with database(db, workdir) as url:
            yield url, queue_group_permission_events(url, hooks, rows, lanes)
