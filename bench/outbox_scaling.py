"""Outbox scaling: time to claim a batch with a small and a large backlog of pending deliveries.

The schema comes from the real migrations; one event row is shared by every delivery, and
the deliveries are bulk-inserted in SQL (``generate_series`` on PostgreSQL, a recursive CTE
on SQLite), all due, spread over ``LANES`` lanes. Each timing is one call of
``rookery.db.queue.claim_due`` (limit 64, the worker's default concurrency) in a transaction
that is rolled back, so the backlog stays the same; a run's figure is the median of
``CLAIMS`` calls. A second shape puts the backlog in only ``FEW_LANES`` lanes (fewer lane
heads than the batch size), the case where the claim query must look past blocked rows.
The same claims are timed once more as the worker makes them, taking each lane's run (up to
``rookery.delivery.runs.RUN_DEPTH`` deliveries): such a claim takes more rows where lanes are
longer, so its figure is the time per delivery claimed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.figures import Figure
from bench.harness import Plan, database, median

LANES = 1000
FEW_LANES = 10
CLAIMS = 15
BATCH = 64
DUE = datetime(2020, 1, 1, tzinfo=UTC)

_PG_INSERT = """
INSERT INTO deliveries (uid, event_id, action, webhook_name, webhook_key, subject, lane,
    receiver, state, attempt_count, next_attempt_at, method, url, headers, body, timeout_seconds,
    retry_schedule,
    created_at)
SELECT 'msg_' || i, 'bench-event', 'create_group_permission', 'bench', 'bench.yml#0',
    'group:' || (i % :lanes), 'http://127.0.0.1:9|group:' || (i % :lanes),
    'http://127.0.0.1:9', 'pending', 0, :due,
    'POST', 'http://127.0.0.1:9/h', '{"Content-Type": "application/json"}',
    convert_to('{"group": "g' || (i % :lanes) || '", "permission": "read"}', 'UTF8'),
    10, '[1, 5, 30]', :due
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS i
"""

_SQLITE_INSERT = """
INSERT INTO deliveries (uid, event_id, action, webhook_name, webhook_key, subject, lane,
    receiver, state, attempt_count, next_attempt_at, method, url, headers, body, timeout_seconds,
    retry_schedule,
    created_at)
WITH RECURSIVE seq(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM seq WHERE i < :stop)
SELECT 'msg_' || i, 'bench-event', 'create_group_permission', 'bench', 'bench.yml#0',
    'group:' || (i % :lanes), 'http://127.0.0.1:9|group:' || (i % :lanes),
    'http://127.0.0.1:9', 'pending', 0, :due,
    'POST', 'http://127.0.0.1:9/h', '{"Content-Type": "application/json"}',
    CAST('{"group": "g' || (i % :lanes) || '", "permission": "read"}' AS BLOB),
    10, '[1, 5, 30]', :due
FROM seq
"""


def prepare(url: str) -> Any:
    """An engine on a migrated database holding the one shared event."""
    from rookery.db.engine import make_engine
    from rookery.db.schema import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        session.execute(
            text(
                "INSERT INTO events (id, action, subject, actor, params, created_at) "
                "VALUES ('bench-event', 'create_group_permission', 'group:0', 'admin', '{}', :t)"
            ),
            {"t": _stamp(engine, DUE)},
        )
        session.commit()
    return engine


def _stamp(engine: Any, moment: datetime) -> Any:
    # SQLite stores naive text in SQLAlchemy's format; PostgreSQL takes the datetime.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite" else moment


def insert_pending(
    engine: Any, start: int, stop: int, lanes: int, *, build_lanes: bool = True
) -> None:
    """Insert deliveries numbered ``start..stop`` (inclusive), all pending and due."""
    sql = _PG_INSERT if engine.dialect.name == "postgresql" else _SQLITE_INSERT
    chunk = 200_000
    for low in range(start, stop + 1, chunk):
        with Session(engine) as session:
            params = {
                "start": low,
                "stop": min(stop, low + chunk - 1),
                "lanes": lanes,
                "due": _stamp(engine, DUE),
            }
            session.execute(text(sql), params)
            session.commit()
    if build_lanes:
        # The rows bypassed the outbox: write their lanes' rows as the migration would.
        from rookery.db import lanes as lane_rows

        with Session(engine) as session:
            lane_rows.rebuild(session, datetime.now(UTC))
            session.commit()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def claim_ms(engine: Any, depth: int = 1) -> tuple[float, int]:
    """Median time of ``CLAIMS`` rolled-back ``claim_due`` calls (fewer past 3 s), in ms, and
    how many deliveries one call claimed."""
    from rookery.db import queue

    times: list[float] = []
    claimed: list[Any] = []
    while len(times) < CLAIMS and (len(times) < 3 or sum(times) < 3000):
        with Session(engine) as session:
            started = time.perf_counter()
            claimed = queue.claim_due(
                session,
                "bench-worker",
                BATCH,
                timedelta(seconds=60),
                datetime.now(UTC),
                depth=depth,
            )
            times.append((time.perf_counter() - started) * 1000)
            assert claimed, "nothing claimed"
            session.rollback()
    return median(times), len(claimed)


def _shape(
    plan: Plan, kind: str, workdir: Path, lanes: int, sizes: tuple[int, int]
) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Per backlog size: the claim's ms (heads only), and µs per delivery of a claim of runs."""
    from rookery.delivery.runs import RUN_DEPTH

    small, big = sizes
    per_size: dict[int, list[float]] = {small: [], big: []}
    per_delivery: dict[int, list[float]] = {small: [], big: []}
    with database(kind, workdir) as url:
        engine = prepare(url)
        try:
            have = 0
            for size in (small, big):
                started = time.monotonic()
                insert_pending(engine, have + 1, size, lanes)
                have = size
                print(
                    f"  [{kind}] {size:,} pending in {lanes} lanes "
                    f"(inserted in {time.monotonic() - started:.1f}s)",
                    end="",
                )
                for _ in range(plan.runs):
                    per_size[size].append(claim_ms(engine)[0])
                    ms, taken = claim_ms(engine, RUN_DEPTH)
                    per_delivery[size].append(1000 * ms / taken)
                print(
                    ": claim "
                    + " / ".join(f"{t:.1f}" for t in per_size[size])
                    + " ms; runs "
                    + " / ".join(f"{t:.0f}" for t in per_delivery[size])
                    + " µs per delivery"
                )
        finally:
            engine.dispose()
    return per_size, per_delivery


def run(plan: Plan, kind: str, workdir: Path) -> list[Figure]:
    small, big = plan.outbox_sizes[kind]
    figures: list[Figure] = []
    shapes = [(LANES, (small, big)), (FEW_LANES, (small, min(big, 100_000)))]
    for lanes, sizes in shapes:
        per_size, per_delivery = _shape(plan, kind, workdir, lanes, sizes)
        a, b = sizes
        name = f"claim {BATCH}, {lanes} lanes"
        ratio = [y / x for x, y in zip(per_size[a], per_size[b], strict=True)]
        runs = [y / x for x, y in zip(per_delivery[a], per_delivery[b], strict=True)]
        figures += [
            Figure("outbox", kind, f"{name}, {a:,} pending", "ms", per_size[a]),
            Figure("outbox", kind, f"{name}, {b:,} pending", "ms", per_size[b]),
            Figure(
                "outbox",
                kind,
                f"{name}: {b:,} / {a:,}",
                "ratio",
                ratio,
                target="<= 1.5" if lanes == LANES else "<= 2",
            ),
            Figure("outbox", kind, f"{name}, runs, {a:,} pending", "µs/delivery", per_delivery[a]),
            Figure("outbox", kind, f"{name}, runs, {b:,} pending", "µs/delivery", per_delivery[b]),
            Figure("outbox", kind, f"{name}, runs: {b:,} / {a:,} per delivery", "ratio", runs),
        ]
    return figures
