"""``/groups`` routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import Principal, require_admin, rookery
from rookery.api.responses import BOOLEAN, STRING, body_schema, read_body, respond
from rookery.services import groups
from rookery.services.lookups import get_group

router = APIRouter(tags=["groups"], dependencies=[Depends(require_admin)])


@router.get("/groups")
async def list_groups(request: Request) -> JSONResponse:
    """Every group name."""
    app = rookery(request)

    def query() -> list[str]:
        with app.read_session() as session:
            return groups.list_group_names(session)

    return respond(200, "groups listed", group_names=await run_in_threadpool(query))


@router.post(
    "/groups",
    status_code=201,
    openapi_extra=body_schema(
        ["group_name"], group_name=STRING, description=STRING, discoverable=BOOLEAN, terms=STRING
    ),
)
async def create_group(request: Request, who: Principal = Depends(require_admin)) -> JSONResponse:
    """Create a group; 409 on a duplicate."""
    body = await read_body(request)
    app = rookery(request)
    group = await run_in_threadpool(
        groups.create_group,
        app.uow(who.user_name),
        body.get("group_name"),
        body.get("description"),
        body.get("discoverable", False),
        body.get("terms"),
    )
    return respond(201, "group created", group=group)


@router.get("/groups/{group_name}")
async def get_group_route(request: Request, group_name: str) -> JSONResponse:
    """One group with its members."""
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            return groups.group_view(get_group(session, group_name), detailed=True)

    return respond(200, "group found", group=await run_in_threadpool(query))


@router.patch(
    "/groups/{group_name}",
    openapi_extra=body_schema(
        [], group_name=STRING, description=STRING, discoverable=BOOLEAN, terms=STRING
    ),
)
async def update_group(
    request: Request, group_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Rename or describe a group (built-in groups cannot be renamed)."""
    body = await read_body(request)
    app = rookery(request)
    group = await run_in_threadpool(groups.update_group, app.uow(who.user_name), group_name, body)
    return respond(200, "group updated", group=group)


@router.delete("/groups/{group_name}")
async def delete_group(
    request: Request, group_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a group (built-in groups are 403)."""
    app = rookery(request)
    await run_in_threadpool(groups.delete_group, app.uow(who.user_name), group_name)
    return respond(200, "group deleted")


@router.get("/groups/{group_name}/users")
async def list_group_users(request: Request, group_name: str) -> JSONResponse:
    """Names of a group's members."""
    app = rookery(request)

    def query() -> list[str]:
        with app.read_session() as session:
            return [u.user_name for u in get_group(session, group_name).users]

    return respond(200, "members listed", user_names=await run_in_threadpool(query))
