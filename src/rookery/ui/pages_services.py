"""Services, their resource trees and the permissions editor (administrators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from rookery.domain.service_types import SERVICE_TYPES, allowed_child_types
from rookery.services import catalog, groups, renames, resource_moves, resources
from rookery.services import permission_editor as editor
from rookery.services.context import AppContext
from rookery.services.lookups import get_resource, root_of
from rookery.services.permissions import HolderRef
from rookery.services.users import list_users
from rookery.ui.rendering import act, query, read_form, redirect, render
from rookery.ui.session import Caller, PageError, require_admin, rookery

router = APIRouter(dependencies=[Depends(require_admin)])


def _all_services(session: Session, protected_url: str) -> list[dict[str, Any]]:
    """Every service's view, by name."""
    listed = catalog.services_by_type(session, protected_url, flatten=True)
    assert isinstance(listed, list)  # flatten gives a list
    return sorted(listed, key=lambda s: str(s["service_name"]))


def _services(app: AppContext) -> list[dict[str, Any]]:
    with app.read_session() as session:
        return _all_services(session, app.settings.twitcher_url)


@router.get("/services")
async def service_list(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Every service, and a form to register one."""
    found = await query(_services, rookery(request))
    return render(request, "services.html", who, services=found, types=sorted(SERVICE_TYPES))


@router.post("/services")
async def service_create(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Register a service."""
    form = await read_form(request)
    name = form.get("service_name", "")
    return await act(
        request,
        f"/services/{name}",
        f"Service {name} created.",
        resources.create_service,
        rookery(request).uow(who.user_name),
        name,
        form.get("service_url"),
        form.get("service_type"),
    )


MOVE_CHOICES_LIMIT = 100
"""Above this many nodes a move names its new parent by id: a list of every possible parent
under every node would grow with the square of the tree."""


def _tree(app: AppContext, name: str) -> dict[str, Any]:
    with app.read_session() as session:
        nodes = editor.service_nodes(session, name)
        service = nodes[0][0]
        kind = service.service_type or ""
        shown: list[dict[str, Any]] = [
            {
                "id": n.id,
                "name": n.resource_name,
                "type": n.resource_type,
                "depth": d,
                "children": allowed_child_types(kind, n.resource_type),
            }
            for n, d in nodes
        ]
        listed = len(shown) <= MOVE_CHOICES_LIMIT
        for node, (resource, _) in zip(shown, nodes, strict=True):
            movable = resource.parent_id is not None
            node["move_by_id"] = movable and not listed
            node["targets"] = (
                [  # where it could move (the service refuses its own subtree)
                    p
                    for p in shown
                    if p["id"] not in (resource.id, resource.parent_id)
                    and node["type"] in p["children"]
                ]
                if movable and listed
                else []
            )
        return {
            "service": catalog.service_view(service, app.settings.twitcher_url),
            "nodes": shown,
        }


@router.get("/services/{name}")
async def service_detail(
    request: Request, name: str, who: Caller = Depends(require_admin)
) -> Response:
    """A service's resource tree: add a child, delete a node (with confirmation)."""
    data = await query(_tree, rookery(request), name)
    return render(request, "service.html", who, **data)


@router.post("/services/{name}/resources")
async def resource_create(
    request: Request, name: str, who: Caller = Depends(require_admin)
) -> Response:
    """Add a resource under a node of this service."""
    form = await read_form(request)
    child = form.get("resource_name", "")
    return await act(
        request,
        f"/services/{name}",
        f"Resource {child} created.",
        resources.create_resource,
        rookery(request).uow(who.user_name),
        child,
        form.get("resource_type"),
        form.get("parent_id"),
        service_name=name,
    )


def _service_of(app: AppContext, resource_id: str) -> str:
    with app.read_session() as session:
        return root_of(session, get_resource(session, resource_id)).resource_name


@router.post("/resources/{resource_id}/delete")
async def resource_delete(
    request: Request, resource_id: str, who: Caller = Depends(require_admin)
) -> Response:
    """Delete a resource or service and everything below it, once confirmed."""
    form = await read_form(request)
    app = rookery(request)
    service = await query(_service_of, app, resource_id)
    back = f"/services/{service}"
    if form.get("confirm") != "yes":
        return redirect(request, back, error="Tick the box to confirm the deletion.")
    if form.get("is_service") == "yes":
        back = "/services"
    return await act(
        request, back, "Deleted.", resources.delete_resource, app.uow(who.user_name), resource_id
    )


@router.post("/resources/{resource_id}/rename")
async def resource_rename(
    request: Request, resource_id: str, who: Caller = Depends(require_admin)
) -> Response:
    """Give a service or resource a new name (its id and permissions stay)."""
    form = await read_form(request)
    app = rookery(request)
    service = await query(_service_of, app, resource_id)
    new_name = form.get("resource_name", "")
    if form.get("is_service") == "yes":
        service = new_name
    return await act(
        request,
        f"/services/{service}",
        f"Renamed to {new_name}.",
        renames.rename_resource,
        app.uow(who.user_name),
        resource_id,
        new_name,
    )


@router.post("/resources/{resource_id}/move")
async def resource_move(
    request: Request, resource_id: str, who: Caller = Depends(require_admin)
) -> Response:
    """Move a resource with its subtree under another node of its service."""
    form = await read_form(request)
    app = rookery(request)
    service = await query(_service_of, app, resource_id)
    return await act(
        request,
        f"/services/{service}",
        "Moved.",
        resource_moves.move_resource,
        app.uow(who.user_name),
        resource_id,
        form.get("parent_id"),
    )


def _holder(request: Request) -> HolderRef | None:
    raw = request.query_params.get("holder", "")
    kind, _, name = raw.partition(":")
    if not raw:
        return None
    if kind not in ("user", "group") or not name:
        raise PageError(400, "holder must be user:NAME or group:NAME")
    return HolderRef(kind, name)


def _editor(app: AppContext, ref: HolderRef | None, service: str) -> dict[str, Any]:
    with app.read_session() as session:
        holders = [f"user:{u.user_name}" for u in list_users(session)] + [
            f"group:{g}" for g in groups.list_group_names(session)
        ]
        services = [s["service_name"] for s in _all_services(session, "")]
        matrix = editor.permission_matrix(session, ref, service) if ref and service else []
        return {"holders": holders, "services": services, "matrix": matrix}


@router.get("/permissions")
async def permissions_page(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Applied, inherited and effective permissions of a user or group over a service tree."""
    ref = _holder(request)
    service = request.query_params.get("service", "")
    data = await query(_editor, rookery(request), ref, service)
    return render(
        request,
        "permissions.html",
        who,
        ref=ref,
        service=service,
        holder=request.query_params.get("holder", ""),
        **data,
    )


@router.post("/permissions")
async def permissions_change(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Apply or remove one permission of the holder on one node."""
    form = await read_form(request)
    kind, _, name = form.get("holder", "").partition(":")
    ref = HolderRef(kind, name)
    back = f"/permissions?holder={form.get('holder', '')}&service={form.get('service', '')}"
    uow = rookery(request).uow(who.user_name)
    if form.get("remove"):
        return await act(
            request,
            back,
            "Permission removed.",
            editor.revoke,
            uow,
            ref,
            form.get("resource_id"),
            form["remove"],
        )
    permission = "-".join(form.get(k, "") for k in ("name", "access", "scope"))
    return await act(
        request,
        back,
        f"Permission {permission} applied.",
        editor.grant,
        uow,
        ref,
        form.get("resource_id"),
        permission,
    )
