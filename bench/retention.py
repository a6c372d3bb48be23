"""Retention: table rows and bytes before and after the worker's purge, over repeated rounds.

Each round bulk-inserts ``Plan.retention_rows`` deliveries that finished (``delivered``) long
ago, each with one attempt, then purges them the way the worker does
(:func:`rookery.db.retention.purge_finished`, 500 rows per transaction, then the orphan events)
and measures rows and bytes of ``deliveries`` + ``attempts`` (PostgreSQL: total relation
sizes, after a plain ``VACUUM`` standing in for autovacuum; SQLite: the used pages of the
whole file).
Flat bytes from round to round is the point: space freed by a purge is reused by the next
round's rows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.figures import Figure
from bench.harness import Plan, database
from bench.outbox_scaling import insert_pending, prepare

ROUNDS = 3
BATCH = 500
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _finish_all(engine: Any) -> None:
    """Mark every pending row delivered long ago, with one attempt each."""
    stamp: Any = LONG_AGO
    if engine.dialect.name == "sqlite":
        stamp = LONG_AGO.strftime("%Y-%m-%d %H:%M:%S.%f")
    with Session(engine) as session:
        session.execute(
            text(
                "INSERT INTO attempts (delivery_id, number, started_at, latency_ms, status_code) "
                "SELECT id, 1, :t, 1.0, 200 FROM deliveries WHERE state = 'pending'"
            ),
            {"t": stamp},
        )
        session.execute(
            text("UPDATE deliveries SET state = 'delivered', completed_at = :t, attempt_count = 1"),
            {"t": stamp},
        )
        session.commit()


def _size(engine: Any) -> tuple[int, float]:
    """Rows of deliveries + attempts, and their size in MB."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
    with engine.connect() as conn:
        rows = int(
            conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM attempts)"
            ).scalar_one()
        )
        if engine.dialect.name == "postgresql":
            size = conn.exec_driver_sql(
                "SELECT pg_total_relation_size('deliveries') + pg_total_relation_size('attempts')"
            ).scalar_one()
        else:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
            page = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
            size = (pages - free) * page
    return rows, int(size) / 1e6


def _purge(engine: Any) -> float:
    """Purge as the worker does; returns the seconds it took."""
    from rookery.db import retention
    from rookery.domain.delivery_states import DeliveryState

    cutoff = datetime.now(UTC) - timedelta(days=30)
    started = time.perf_counter()
    while True:
        with Session(engine) as session:
            done = retention.purge_finished(session, DeliveryState.DELIVERED, cutoff, BATCH)
            session.commit()
        if done < BATCH:
            break
    return time.perf_counter() - started


def run(plan: Plan, kind: str, workdir: Path) -> list[Figure]:
    rows_before: list[float] = []
    rows_after: list[float] = []
    mb_before: list[float] = []
    mb_after: list[float] = []
    seconds: list[float] = []
    size = plan.retention_rows
    with database(kind, workdir) as url:
        engine = prepare(url)
        try:
            for number in range(ROUNDS):
                low = number * size + 1
                insert_pending(engine, low, low + size - 1, 1000, build_lanes=False)
                _finish_all(engine)
                rows, mb = _size(engine)
                took = _purge(engine)
                left, mb_left = _size(engine)
                print(
                    f"  [{kind}] round {number + 1}: {rows:,} rows / {mb:.1f} MB, purged in "
                    f"{took:.1f}s, then {left:,} rows / {mb_left:.1f} MB"
                )
                rows_before.append(rows)
                rows_after.append(left)
                mb_before.append(mb)
                mb_after.append(mb_left)
                seconds.append(took)
        finally:
            engine.dispose()
    name = f"{size:,} delivered + attempts"
    return [
        Figure("retention", kind, f"{name}: rows before purge", "rows", rows_before),
        Figure("retention", kind, f"{name}: rows after purge", "rows", rows_after),
        Figure("retention", kind, f"{name}: MB before purge, rounds 1-3", "MB", mb_before),
        Figure("retention", kind, f"{name}: MB after purge, rounds 1-3", "MB", mb_after),
        Figure("retention", kind, f"{name}: purge time", "s", seconds),
    ]
