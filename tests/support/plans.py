"""PostgreSQL query plans, read from ``EXPLAIN (ANALYZE, FORMAT JSON)``, for tests that bound
how much of a table a statement reads."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, TextClause, text


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
