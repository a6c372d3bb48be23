"""PostgreSQL query plans, read from ``EXPLAIN (ANALYZE, FORMAT JSON)``, for tests that bound
how much of a table a statement reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, TextClause, text

from rookery.services import events
from rookery.webhooks.actions import WebhookAction
from tests.support.delivery_log import hook
from tests.support.receiver import Receiver
from tests.support.service import Service


def backlog_on_postgresql(
    start_service: Callable[..., Service], receiver: Receiver, deliveries: int, subjects: int
) -> Service:
    """A service with no worker and ``deliveries`` pending create_user deliveries of one
    webhook, over ``subjects`` lanes; the test is skipped on SQLite (a plan is PostgreSQL's)."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    with service.app.uow() as uow:
        for i in range(deliveries):
            events.publish(
                uow, WebhookAction.CREATE_USER, f"user{i % subjects}", {"user.name": f"u{i}"}
            )
        uow.commit()
    return service


def explain_analyze(
    connection: Connection, statement: TextClause, params: dict[str, Any]
) -> dict[str, Any]:
    """The plan of ``statement`` run with ``params``; what it wrote is rolled back."""
    explained = connection.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement.text}"), params)
    document = explained.scalar_one()
    connection.rollback()
    explained_plan: dict[str, Any] = (
        json.loads(document) if isinstance(document, str) else document
    )[0]["Plan"]
    return explained_plan


def rows_read(plan: dict[str, Any], table: str) -> int:
    """Rows the plan's scans of ``table`` visited (returned, or removed by a filter), summed
    over the whole plan tree."""
    own = 0
    if plan.get("Relation Name") == table and "Scan" in plan["Node Type"]:
        visited = int(plan["Actual Rows"]) + int(plan.get("Rows Removed by Filter", 0))
        own = visited * int(plan["Actual Loops"])
    return own + sum(rows_read(child, table) for child in plan.get("Plans", []))
