"""``/resources`` routes: every tree, one resource (with its parents on request), renames.

``GET /resources/{id}`` shows the resource with its children; with ``parent=true`` it shows the
chain up to the service instead (``invert=true`` from the service down, ``flatten=true`` as a
list under ``resources``), as Magpie 5.1.0 does.
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
from rookery.domain.service_types import allowed_child_types, child_resource_allowed
from rookery.services import catalog, renames, resources
from rookery.services.context import AppContext
from rookery.services.lookups import get_resource, root_of

router = APIRouter(tags=["resources"], dependencies=[Depends(require_admin)])

_ID = {"type": ["integer", "string"]}


def resource_answer(request: Request, session: Session, resource: Any) -> tuple[str, Any]:
    """The key and body of a resource view, following ``parent``/``invert``/``flatten``."""
    if not flag(request, "parents", "parent"):
        return "resource", catalog.resource_tree(session, resource)
    flatten = flag(request, "flatten", "flattened", "list")
    found = catalog.resource_parents(
        session, resource, invert=flag(request, "invert", "inverted"), flatten=flatten
    )
    return ("resources" if flatten else "resource"), found


async def create_under(
    app: AppContext,
    who: Principal,
    body: dict[str, Any],
    parent_id: Any,
    service_name: str | None = None,
) -> JSONResponse:
    """Create the resource a body describes under ``parent_id`` (inside ``service_name``)."""
    resource = await run_in_threadpool(
        partial(resources.create_resource, service_name=service_name),
        app.uow(who.user_name),
        body.get("resource_name"),
        body.get("resource_type"),
        parent_id,
        body.get("resource_display_name"),
    )
    return respond(201, "Create resource successful.", resource=resource)


@router.get("/resources")
async def list_resources(request: Request) -> JSONResponse:
    """Every service's tree, grouped by service type."""
    app = rookery(request)
    found = await read(app, catalog.resources_by_type, app.settings.twitcher_url)
    return respond(200, "Get resources successful.", resources=found)


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
    return await create_under(rookery(request), who, body, body.get("parent_id"))


@router.get("/resources/{resource_id}")
async def get_resource_route(request: Request, resource_id: str) -> JSONResponse:
    """One resource with its children (or its parents, see the module docstring)."""

    def query(session: Session) -> tuple[str, Any]:
        return resource_answer(request, session, get_resource(session, resource_id))

    key, found = await read(rookery(request), query)
    return respond(200, "Get resource successful.", **{key: found})


@router.patch("/resources/{resource_id}", openapi_extra=body_schema(["resource_name"]))
async def rename_resource(
    request: Request, resource_id: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Rename a resource."""
    body = await read_body(request)
    app = rookery(request)
    renamed = await run_in_threadpool(
        renames.rename_resource, app.uow(who.user_name), resource_id, body.get("resource_name")
    )
    return respond(200, "Update resource successful.", **renamed)


@router.delete("/resources/{resource_id}")
async def delete_resource(
    request: Request, resource_id: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a resource and everything below it."""
    app = rookery(request)
    await run_in_threadpool(resources.delete_resource, app.uow(who.user_name), resource_id)
    return respond(200, "Delete resource successful.")


@router.get("/resources/{resource_id}/permissions")
async def resource_permissions(request: Request, resource_id: str) -> JSONResponse:
    """The permissions that may be applied on this resource."""

    def query(session: Session) -> dict[str, Any]:
        resource = get_resource(session, resource_id)
        kind = root_of(session, resource).service_type or ""
        return catalog.resource_view(resource, kind)

    view = await read(rookery(request), query)
    listing = {key: view[key] for key in ("permission_names", "permissions")}
    return respond(200, "Get resource permissions successful.", **listing)


@router.get("/resources/{resource_id}/types")
async def resource_child_types(request: Request, resource_id: str) -> JSONResponse:
    """Which resource types may be created under this resource."""

    def query(session: Session) -> dict[str, Any]:
        resource = get_resource(session, resource_id)
        root = root_of(session, resource)
        kind = root.service_type or ""
        return {
            "resource_name": resource.resource_name,
            "resource_type": resource.resource_type,
            "children_resource_types": sorted(allowed_child_types(kind, resource.resource_type)),
            "children_resource_allowed": child_resource_allowed(kind, resource.resource_type),
            "root_service_id": root.id,
            "root_service_name": root.resource_name,
            "root_service_type": kind,
        }

    found = await read(rookery(request), query)
    return respond(200, "Get resource types successful.", **found)
