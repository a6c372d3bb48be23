"""Webhooks, the delivery log and the dashboard (administrators).

The log, a delivery's attempts and the retries are the API's own use cases
(``services.delivery_log``, ``services.delivery_retries``); the sample sender is the worker's,
handed in by the app factory (``ConsoleSession.send_once``); the dashboard's series come from
``services.delivery_history``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from rookery.errors import RookeryError
from rookery.services import delivery_history as history
from rookery.services import delivery_log as log
from rookery.services import delivery_retries as retries
from rookery.services.context import AppContext
from rookery.services.delivery_samples import send_sample
from rookery.ui import charts
from rookery.ui.rendering import act, query, read_form, redirect, render
from rookery.ui.session import Caller, hooks, require_admin, rookery

router = APIRouter(dependencies=[Depends(require_admin)])

FILTERS = ("webhook", "status", "subject", "since", "until")
PAGE_SIZE = 50


@router.get("/webhooks")
async def webhook_list(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """The configured webhooks, secrets and sensitive headers redacted."""
    hooks = [w.as_public_dict() for w in rookery(request).webhooks]
    return render(request, "webhooks.html", who, webhooks=hooks)


@router.post("/webhooks/test")
async def webhook_test(request: Request) -> Response:
    """Send a sample event to the webhooks of that name now, and say how it went."""
    form = await read_form(request)
    lines: list[str] = []
    try:
        await run_in_threadpool(
            send_sample,
            rookery(request),
            form.get("name", ""),
            hooks(request).send_once,
            lines.append,
        )
    except RookeryError as error:
        return redirect(request, "/webhooks", error=error.detail)
    return redirect(request, "/webhooks", message=" ".join(lines))


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}


@router.get("/deliveries")
async def delivery_list(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """The delivery log, newest first, filtered by webhook, status, subject and time."""
    filters = _filters(request)
    page = await query(log.list_deliveries, rookery(request), limit=PAGE_SIZE, **filters)
    hooks = sorted({w.name for w in rookery(request).webhooks})
    return render(
        request, "deliveries.html", who, filters=filters, page=page, hooks=hooks, states=log.STATES
    )


@router.post("/deliveries/retry")
async def delivery_bulk_retry(request: Request) -> Response:
    """Queue every matching failed (or delivered, if asked) delivery again."""
    form = await read_form(request)
    filters = {k: v for k in FILTERS if (v := form.get(k, "").strip())}
    if not filters:
        return redirect(request, "/deliveries", error="Choose at least one filter to retry.")
    try:
        count = await run_in_threadpool(lambda: retries.retry_matching(rookery(request), **filters))
    except RookeryError as error:
        return redirect(request, "/deliveries", error=error.detail)
    return redirect(request, "/deliveries", message=f"{count} deliveries queued again.")


def _delivery(app: AppContext, delivery_id: str) -> dict[str, Any]:
    found = log.get_delivery(app, delivery_id)
    with app.read_session() as session:
        blocker = history.blocked_behind(session, found["id"])
        behind = log.delivery_summary(blocker) if blocker is not None else None
    return {"delivery": found, "behind": behind}


@router.get("/deliveries/{delivery_id}")
async def delivery_detail(
    request: Request, delivery_id: str, who: Caller = Depends(require_admin)
) -> Response:
    """One delivery: the request sent, every attempt, and what it waits behind."""
    data = await query(_delivery, rookery(request), delivery_id)
    return render(request, "delivery.html", who, **data)


@router.post("/deliveries/{delivery_id}/retry")
async def delivery_retry(request: Request, delivery_id: str) -> Response:
    """Queue one finished delivery again."""
    await read_form(request)
    return await act(
        request,
        f"/deliveries/{delivery_id}",
        "Queued again.",
        retries.retry_delivery,
        rookery(request),
        delivery_id,
    )


def _dashboard(app: AppContext) -> dict[str, Any]:
    now = datetime.now(UTC)
    with app.read_session() as session:
        minutes = history.outcomes_per_minute(session, now)
        queue = history.queue_over_hour(session, now)
        receivers = history.receiver_failures(session, now)
    return {
        "outcomes_chart": charts.stacked_minutes(minutes),
        "queue_chart": charts.queue_lines(queue),
        "receivers_chart": charts.failure_bars(receivers),
        "receivers": receivers,
        "totals": {
            "delivered": sum(m.delivered for m in minutes),
            "rejected": sum(m.rejected for m in minutes),
            "unreachable": sum(m.unreachable for m in minutes),
            "waiting": queue[-1].depth,
            "oldest": queue[-1].oldest_age_seconds,
        },
        "now": now,
    }


@router.get("/dashboard")
async def dashboard(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Health at a glance over the last hour, as server-drawn SVG charts."""
    data = await query(_dashboard, rookery(request))
    return render(request, "dashboard.html", who, **data)
