"""``/services`` routes: services, their trees and the resources addressed through them.

Service routes are for administrators. ``/services/types...`` lives in ``service_types`` and
must be registered first, so that ``types`` is never read as a service name.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import Principal, require_admin, rookery
from rookery.api.query import flag
from rookery.api.reads import read
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.api.routes.resources import create_under, resource_answer
from rookery.domain.service_types import SERVICE, allowed_permissions
from rookery.services import catalog, renames, resources
from rookery.services.lookups import get_resource_in_service, get_service

router = APIRouter(tags=["services"], dependencies=[Depends(require_admin)])

_ID = {"type": ["integer", "string"]}

SERVICE_BODY = body_schema(
    ["service_name", "service_url", "service_type"],
    service_name=STRING,
    service_url=STRING,
    service_type=STRING,
    service_sync_type=STRING,
    configuration={"type": "object"},
)


@router.get("/services")
async def list_services(request: Request, service_type: str | None = None) -> JSONResponse:
    """Every service grouped by type (every known type listed), or a list with ``flatten``."""
    app = rookery(request)
    found = await read(
        app,
        partial(catalog.services_by_type, flatten=flag(request, "flatten", "list")),
        app.settings.twitcher_url,
        service_type,
    )
    return respond(200, "Get services successful.", services=found)


@router.post("/services", status_code=201, openapi_extra=SERVICE_BODY)
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
    return respond(201, "Service registration to db successful.", service=service)


@router.get("/services/{service_name}")
async def get_service_route(request: Request, service_name: str) -> JSONResponse:
    """One service, with the resource types it may hold."""
    app = rookery(request)

    def query(session: Session) -> dict[str, Any]:
        service = get_service(session, service_name)
        return catalog.service_view(service, app.settings.twitcher_url, structure=True)

    return respond(200, "Get service successful.", service=await read(app, query))


@router.patch(
    "/services/{service_name}",
    openapi_extra=body_schema(
        [], service_name=STRING, service_url=STRING, configuration={"type": "object"}
    ),
)
async def update_service(
    request: Request, service_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Rename a service, change its URL or its configuration."""
    body = await read_body(request)
    app = rookery(request)
    service = await run_in_threadpool(
        renames.update_service,
        app.uow(who.user_name),
        service_name,
        body.get("service_name"),
        body.get("service_url"),
        body.get("configuration", renames.NOT_GIVEN),
    )
    return respond(200, "Update service successful.", service=service)


@router.delete("/services/{service_name}")
async def delete_service(
    request: Request, service_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a service and everything below it."""
    app = rookery(request)
    await run_in_threadpool(resources.delete_service, app.uow(who.user_name), service_name)
    return respond(200, "Delete service successful.")


@router.get("/services/{service_name}/permissions")
async def service_permissions(request: Request, service_name: str) -> JSONResponse:
    """The permissions that may be applied on this service."""
    app = rookery(request)

    def query(session: Session) -> dict[str, Any]:
        kind = get_service(session, service_name).service_type or ""
        return catalog.allowed_listing(allowed_permissions(kind, SERVICE))

    return respond(200, "Get service permissions successful.", **await read(app, query))


@router.get("/services/{service_name}/resources")
async def list_service_resources(request: Request, service_name: str) -> JSONResponse:
    """A service with its whole resource tree, keyed by the service's name."""
    app = rookery(request)

    def query(session: Session) -> tuple[str, dict[str, Any]]:
        service = get_service(session, service_name)
        return service.resource_name, catalog.service_tree(
            session, service, app.settings.twitcher_url
        )

    name, tree = await read(app, query)
    return respond(200, "Get service resources successful.", **{name: tree})


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
    parent_id = body.get("parent_id")
    if parent_id is None or parent_id == "":
        parent_id = (await read(app, get_service, service_name)).id
    return await create_under(app, who, body, parent_id, service_name)


@router.get("/services/{service_name}/resources/{resource_id}")
async def get_service_resource(
    request: Request, service_name: str, resource_id: str
) -> JSONResponse:
    """A resource of this service, as ``GET /resources/{id}`` shows it."""
    app = rookery(request)

    def query(session: Session) -> tuple[str, Any]:
        return resource_answer(
            request, session, get_resource_in_service(session, service_name, resource_id)
        )

    key, found = await read(app, query)
    return respond(200, "Get resource successful.", **{key: found})


@router.delete("/services/{service_name}/resources/{resource_id}")
async def delete_service_resource(
    request: Request, service_name: str, resource_id: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a resource of this service and everything below it."""
    app = rookery(request)
    target = await read(app, get_resource_in_service, service_name, resource_id)
    await run_in_threadpool(resources.delete_resource, app.uow(who.user_name), target.id)
    return respond(200, "Delete resource successful.")
