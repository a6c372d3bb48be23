"""``/webhooks`` routes (admin only): configured webhooks and the delivery log.

Decisions:
- retries answer 202: the delivery is queued again, the worker sends it right after;
- a bulk retry takes its filters from the query string and/or the body (the body wins) and
  refuses an empty filter unless ``all`` is true, so a stray POST cannot resend everything;
  without ``status`` it retries ``failed`` deliveries only (``status=delivered`` resends
  delivered ones);
- a delivery id that is not a positive integer is a 400, never a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import require_admin, rookery
from rookery.api.responses import BOOLEAN, STRING, body_schema, read_body, respond
from rookery.errors import InvalidInputError
from rookery.services import delivery_log as log
from rookery.services import delivery_retries as retries

router = APIRouter(tags=["webhooks"], dependencies=[Depends(require_admin)])

FILTER_KEYS = ("status", "action", "webhook", "subject", "since", "until")
_TRUE = {"true", "1", "yes", "on"}


@router.get("/webhooks")
async def list_webhooks(request: Request) -> JSONResponse:
    """The configured webhooks in configuration order, secrets and credentials redacted."""
    hooks = [w.as_public_dict() for w in rookery(request).webhooks]
    return respond(200, "webhooks listed", webhooks=hooks, total=len(hooks))


@router.get("/webhooks/deliveries")
async def list_deliveries(
    request: Request,
    status: str | None = None,
    action: str | None = None,
    webhook: str | None = None,
    subject: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    offset: int = 0,
    blocked: bool = False,
) -> JSONResponse:
    """Deliveries newest first; filter by status, action, webhook, subject and time;
    ``blocked=true``: only the deliveries holding up a lane for too long."""
    page = await run_in_threadpool(
        lambda: log.list_deliveries(
            rookery(request),
            status=status,
            action=action,
            webhook=webhook,
            subject=subject,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            blocked=blocked,
        )
    )
    return respond(200, "deliveries listed", **page, limit=limit, offset=offset)


@router.get("/webhooks/deliveries/{delivery_id}")
async def get_delivery(request: Request, delivery_id: str) -> JSONResponse:
    """One delivery: the event, the rendered request and every attempt."""
    found = await run_in_threadpool(log.get_delivery, rookery(request), delivery_id)
    return respond(200, "delivery found", delivery=found)


@router.post("/webhooks/deliveries/{delivery_id}/retry", status_code=202)
async def retry_delivery(request: Request, delivery_id: str) -> JSONResponse:
    """Queue a failed (or delivered) delivery for one more attempt now; 409 if still queued."""
    summary = await run_in_threadpool(retries.retry_delivery, rookery(request), delivery_id)
    return respond(202, "delivery queued again", delivery=summary)


@router.post(
    "/webhooks/deliveries/retry",
    status_code=202,
    openapi_extra=body_schema([], **dict.fromkeys(FILTER_KEYS, STRING), all=BOOLEAN),
)
async def retry_matching(request: Request) -> JSONResponse:
    """Queue every matching finished delivery again (filters in the query or body)."""
    body = await read_body(request)
    filters = bulk_filters(dict(request.query_params), body)
    count = await run_in_threadpool(lambda: retries.retry_matching(rookery(request), **filters))
    return respond(202, f"{count} delivery(ies) queued again", count=count, filters=filters)


def bulk_filters(query: dict[str, str], body: dict[str, Any]) -> dict[str, str]:
    """The bulk-retry filters: query values, overridden by body values; never empty by mistake."""
    unknown = sorted(set(body) - {*FILTER_KEYS, "all"})
    if unknown:
        raise InvalidInputError(
            f"unknown bulk retry key {unknown[0]!r}; use {', '.join(FILTER_KEYS)} or all",
            param=unknown[0],
            value=body[unknown[0]],
        )
    merged: dict[str, Any] = {k: v for k, v in query.items() if k in (*FILTER_KEYS, "all")}
    merged.update(body)
    filters: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = merged.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise InvalidInputError(f"{key} must be text", param=key, value=value)
        filters[key] = value
    if not filters and not _is_true(merged.get("all")):
        raise InvalidInputError(
            "give at least one filter (status, action, webhook, subject, since, until) "
            'or "all": true to retry every failed delivery',
            param="all",
            value=merged.get("all"),
        )
    return filters


def _is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE
