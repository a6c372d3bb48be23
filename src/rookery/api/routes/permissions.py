"""Permission routes for users and groups, on services and on resources (SPEC §2).

Eight path shapes share one implementation: the holder is ``/users/{u}`` or ``/groups/{g}``,
the target ``/services/{s}`` or ``/resources/{id}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import Principal, require_admin, require_reader, rookery
from rookery.api.query import flag
from rookery.api.responses import body_schema, read_body, respond
from rookery.services import bulk_permissions
from rookery.services import permissions as perms
from rookery.services.context import AppContext
from rookery.services.lookups import get_resource, get_service
from rookery.services.loop_writes import run_write
from rookery.services.permission_views import created_view

router = APIRouter(tags=["permissions"])

PERMISSION_BODY = body_schema(
    [],
    permission={
        "oneOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "access": {"type": "string"},
                    "scope": {"type": "string"},
                },
                "required": ["name"],
            },
        ]
    },
    permission_name={"type": "string"},
)

Finder = perms.TargetFinder


async def _caller(request: Request, kind: str, name: str) -> tuple[Principal, str]:
    if kind == "user":
        who, target = await require_reader(request, name)
        return who, target
    return await require_admin(request), name


async def _admin_for(request: Request, kind: str, name: str) -> tuple[Principal, perms.HolderRef]:
    """Changes are for administrators; ``current`` names the administrator themself."""
    who = await require_admin(request)
    target = who.user_name if kind == "user" and name == "current" else name
    return who, perms.HolderRef(kind, target)


def _write(
    app: AppContext,
    who: Principal,
    ref: perms.HolderRef,
    find: Finder,
    key: str,
    body: dict[str, Any],
    replace: bool,
) -> tuple[dict[str, Any], bool]:
    perm = perms.read_permission_body(body)
    return perms.write_permission(
        app.uow(who.user_name), ref, find, key, perm, replace=replace, render=created_view
    )


def _remove(
    app: AppContext, who: Principal, ref: perms.HolderRef, find: Finder, key: str, name: str
) -> None:
    perms.delete_permission(app.uow(who.user_name), ref, find, key, name)


def _list(
    app: AppContext, ref: perms.HolderRef, find: Finder, key: str, flags: dict[str, bool]
) -> dict[str, Any]:
    with app.read_session() as session:
        return perms.list_permissions(session, ref, find(session, key), **flags)


def _routes(kind: str, target: str, find: Finder) -> None:
    holder_part = "/users/{holder}" if kind == "user" else "/groups/{holder}"
    path = f"{holder_part}/{target}/{{key}}/permissions"
    tag = f"{kind} permissions"

    async def listing(request: Request, holder: str, key: str, inherited: bool) -> JSONResponse:
        _, name = await _caller(request, kind, holder)
        flags = {
            "inherited": inherited or flag(request, "inherited", "inherit"),
            "resolve": flag(request, "resolve", "resolved"),
            "effective": flag(request, "effective"),
        }
        found = await run_in_threadpool(
            _list, rookery(request), perms.HolderRef(kind, name), find, key, flags
        )
        return respond(200, "permissions listed", **found)

    @router.get(path, tags=[tag], name=f"list_{kind}_{target}_permissions")
    async def list_(request: Request, holder: str, key: str) -> JSONResponse:
        return await listing(request, holder, key, inherited=False)

    if kind == "user":
        inherited_path = path.replace("/permissions", "/inherited_permissions")

        @router.get(inherited_path, tags=[tag], name=f"list_user_{target}_inherited_permissions")
        async def list_inherited(request: Request, holder: str, key: str) -> JSONResponse:
            """The older alias of ``.../permissions?inherited=true``."""
            return await listing(request, holder, key, inherited=True)

    async def write(request: Request, holder: str, key: str, replace: bool) -> JSONResponse:
        who, ref = await _admin_for(request, kind, holder)
        body = await read_body(request)
        app = rookery(request)
        view, created = await run_write(app.engine, _write, app, who, ref, find, key, body, replace)
        code = 201 if created else 200
        return respond(code, "permission created" if created else "permission replaced", **view)

    @router.post(
        path,
        tags=[tag],
        status_code=201,
        openapi_extra=PERMISSION_BODY,
        name=f"create_{kind}_{target}_permission",
    )
    async def create(request: Request, holder: str, key: str) -> JSONResponse:
        return await write(request, holder, key, replace=False)

    @router.put(
        path,
        tags=[tag],
        status_code=201,
        openapi_extra=PERMISSION_BODY,
        name=f"replace_{kind}_{target}_permission",
    )
    async def put(request: Request, holder: str, key: str) -> JSONResponse:
        return await write(request, holder, key, replace=True)

    @router.delete(
        path, tags=[tag], openapi_extra=PERMISSION_BODY, name=f"delete_{kind}_{target}_permission"
    )
    async def delete(request: Request, holder: str, key: str) -> JSONResponse:
        who, ref = await _admin_for(request, kind, holder)
        body = await read_body(request)
        name = perms.read_permission_body(body).name
        app = rookery(request)
        await run_write(app.engine, _remove, app, who, ref, find, key, name)
        return respond(200, "permission deleted")

    @router.delete(
        path + "/{permission_name}", tags=[tag], name=f"delete_{kind}_{target}_permission_by_name"
    )
    async def delete_named(
        request: Request, holder: str, key: str, permission_name: str
    ) -> JSONResponse:
        who, ref = await _admin_for(request, kind, holder)
        app = rookery(request)
        await run_write(app.engine, _remove, app, who, ref, find, key, permission_name)
        return respond(200, "permission deleted")


@router.patch(
    "/permissions",
    tags=["permissions"],
    openapi_extra=body_schema(["permissions"], permissions={"type": "array"}),
)
async def bulk_update(request: Request) -> JSONResponse:
    """Magpie's bulk change of permissions along one resource path (see bulk_permissions)."""
    who = await require_admin(request)
    body = await read_body(request)
    app = rookery(request)
    await run_in_threadpool(
        bulk_permissions.apply_bulk, app.uow(who.user_name), body.get("permissions")
    )
    return respond(200, "Update permissions successful.")


for _kind in ("user", "group"):
    _routes(_kind, "services", get_service)
    _routes(_kind, "resources", get_resource)
