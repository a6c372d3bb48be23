"""``/services`` and ``/resources`` routes: the trees permissions live on."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import Principal, require_admin, rookery
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.services import resources
from rookery.services.lookups import get_resource, get_service

router = APIRouter(tags=["services"], dependencies=[Depends(require_admin)])

_ID = {"type": ["integer", "string"]}


@router.get("/services")
async def list_services(request: Request, service_type: str | None = None) -> JSONResponse:
    """Every service, grouped by type then name."""
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            return resources.list_services(session, app.settings.twitcher_url, service_type)

    return respond(200, "services listed", services=await run_in_threadpool(query))


@router.post(
    "/services",
    status_code=201,
    openapi_extra=body_schema(
        ["service_name", "service_url", "service_type"],
        service_name=STRING,
        service_url=STRING,
        service_type=STRING,
        service_sync_type=STRING,
        configuration={"type": "object"},
    ),
)
async def create_service(request: Request, who: Principal = Depends(require_admin)) -> JSONResponse:
    """Register a service."""
    body = await read_body(request)
    app = rookery(request)
    service = await run_in_threadpool(
        resources.create_service,
        app.uow(who.user_name),
        body.get("service_name"),
        body.get("service_url"),
        body.get("service_type"),
        body.get("configuration"),
        body.get("service_sync_type"),
    )
    return respond(201, "service created", service=service)


@router.get("/services/{service_name}")
async def get_service_route(request: Request, service_name: str) -> JSONResponse:
    """One service."""
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            service = get_service(session, service_name)
            return resources.service_view(service, app.settings.twitcher_url)

    return respond(200, "service found", service=await run_in_threadpool(query))


@router.delete("/services/{service_name}")
async def delete_service(
    request: Request, service_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a service and everything below it."""
    app = rookery(request)
    await run_in_threadpool(resources.delete_service, app.uow(who.user_name), service_name)
    return respond(200, "service deleted")


@router.get("/services/{service_name}/resources")
async def list_service_resources(request: Request, service_name: str) -> JSONResponse:
    """A service with its whole resource tree."""
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            service = get_service(session, service_name)
            tree = resources.resource_tree(session, service)
            return {
                **resources.service_view(service, app.settings.twitcher_url),
                "resources": tree["children"],
            }

    return respond(200, "resources listed", **{service_name: await run_in_threadpool(query)})


@router.post(
    "/services/{service_name}/resources",
    status_code=201,
    openapi_extra=body_schema(
        ["resource_name", "resource_type"],
        resource_name=STRING,
        resource_display_name=STRING,
        resource_type=STRING,
        parent_id=_ID,
    ),
)
async def create_service_resource(
    request: Request, service_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Create a resource directly under a service (or under ``parent_id`` inside it)."""
    body = await read_body(request)
    app = rookery(request)

    def parent() -> int:
        with app.read_session() as session:
            return get_service(session, service_name).id

    parent_id = body.get("parent_id")
    if parent_id is None or parent_id == "":
        parent_id = await run_in_threadpool(parent)
    return await _create(app, who, body, parent_id, service_name)


@router.post(
    "/resources",
    status_code=201,
    openapi_extra=body_schema(
        ["resource_name", "resource_type", "parent_id"],
        resource_name=STRING,
        resource_display_name=STRING,
        resource_type=STRING,
        parent_id=_ID,
    ),
)
async def create_resource(
    request: Request, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Create a resource under ``parent_id``."""
    body = await read_body(request)
    return await _create(rookery(request), who, body, body.get("parent_id"))


async def _create(
    app: Any, who: Principal, body: dict[str, Any], parent_id: Any, service_name: str | None = None
) -> JSONResponse:
    resource = await run_in_threadpool(
        partial(resources.create_resource, service_name=service_name),
        app.uow(who.user_name),
        body.get("resource_name"),
        body.get("resource_type"),
        parent_id,
        body.get("resource_display_name"),
    )
    return respond(201, "resource created", resource=resource)


@router.get("/resources/{resource_id}")
async def get_resource_route(request: Request, resource_id: str) -> JSONResponse:
    """One resource with its children."""
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            return resources.resource_tree(session, get_resource(session, resource_id))

    return respond(200, "resource found", resource=await run_in_threadpool(query))


@router.delete("/resources/{resource_id}")
async def delete_resource(
    request: Request, resource_id: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a resource and everything below it."""
    app = rookery(request)
    await run_in_threadpool(resources.delete_resource, app.uow(who.user_name), resource_id)
    return respond(200, "resource deleted")
