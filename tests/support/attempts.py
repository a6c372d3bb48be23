"""Attempt results as the worker hands them to ``record_results``, for tests that record by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from rookery.db.outcomes import AttemptResult


def answered(
    delivery_id: int,
    worker: str,
    *,
    number: int = 1,
    status: int = 200,
    at: datetime | None = None,
    excerpt: str | None = None,
) -> AttemptResult:
    """Attempt ``number`` of ``delivery_id``, answered ``status`` by the receiver in 1 ms."""
    return AttemptResult(
        delivery_id=delivery_id,
        number=number,
        started_at=at or datetime.now(UTC),
        latency_ms=1.0,
        status_code=status,
        error=None,
        response_excerpt=excerpt,
        retry_after=None,
        worker=worker,
    )


def tried(
    number: int,
    status: int | None,
    retry_after: str | None = None,
    *,
    final: bool = False,
    at: datetime,
) -> AttemptResult:
    """Attempt ``number`` of delivery 1 by worker ``w`` at ``at``, answered ``status`` (None:
    no answer), for tables of what an attempt's outcome decides."""
    return AttemptResult(
        delivery_id=1,
        number=number,
        started_at=at,
        latency_ms=1.0,
        status_code=status,
        error=None if status is not None and 200 <= status < 300 else "failed",
        response_excerpt=None,
        retry_after=retry_after,
        worker="w",
        final=final,
    )
