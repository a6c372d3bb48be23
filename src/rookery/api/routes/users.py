"""``/users`` routes: accounts and memberships."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import (
    Principal,
    principal,
    require_admin,
    require_reader,
    require_self_or_admin,
    rookery,
    sessions_valid_from,
    set_session_cookie,
)
from rookery.api.reads import read
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.api.routes.register import PENDING_TERMS
from rookery.services import group_registration, self_registration, users
from rookery.services.lookups import get_user as find_user_or_404

router = APIRouter(tags=["users"])


@router.get("/users", dependencies=[Depends(require_admin)])
async def list_users(
    request: Request, detail: bool = False, status: str | None = None
) -> JSONResponse:
    """User names (or, with ``detail=true``, summaries), optionally filtered by status."""
    app = rookery(request)

    def query() -> list[dict[str, object]]:
        with app.read_session() as session:
            found = [users.user_view(u, detailed=False) for u in users.list_users(session, status)]
            return found + self_registration.pending_summaries(session, status)

    found = await run_in_threadpool(query)
    if detail:
        return respond(200, "users listed", users=found)
    return respond(200, "users listed", user_names=sorted(u["user_name"] for u in found))


@router.post(
    "/users",
    status_code=201,
    openapi_extra=body_schema(
        ["user_name", "email", "password"],
        user_name=STRING,
        email=STRING,
        password=STRING,
        group_name=STRING,
    ),
)
async def create_user(request: Request, who: Principal = Depends(require_admin)) -> JSONResponse:
    """Create a user; fires ``create_user``."""
    body = await read_body(request)
    app = rookery(request)
    user = await run_in_threadpool(
        users.create_user,
        app.uow(who.user_name),
        body.get("user_name"),
        body.get("email"),
        body.get("password"),
        body.get("group_name"),
    )
    return respond(201, "user created", user=user)


@router.get("/users/{user_name}")
async def get_user(request: Request, user_name: str) -> JSONResponse:
    """One user (``current`` is the caller; without a session, the anonymous user).

    Without a session, a user that does not exist is 404 before the 401, as in Magpie.
    """
    app = rookery(request)
    if not (await principal(request)).signed_in and user_name.lower() != "current":
        await read(app, find_user_or_404, user_name)
    _, target = await require_reader(request, user_name)

    def query() -> dict[str, object]:
        with app.read_session() as session:
            return users.user_view(find_user_or_404(session, target))

    return respond(200, "user found", user=await run_in_threadpool(query))


@router.patch(
    "/users/{user_name}",
    openapi_extra=body_schema(
        [], user_name=STRING, email=STRING, password=STRING, status={"type": ["string", "integer"]}
    ),
)
async def update_user(request: Request, user_name: str) -> JSONResponse:
    """Change name, email, password or status (name and status: administrators only)."""
    who, target = await require_self_or_admin(request, user_name)
    body = await read_body(request)
    app = rookery(request)
    user = await run_in_threadpool(
        users.update_user, app.uow(who.user_name), target, body, actor_is_admin=who.is_admin
    )
    response = respond(200, "user updated", user=user)
    if (
        body.get("password") is not None
        and who.user_id is not None
        and (target.casefold() == who.user_name.casefold())
    ):
        # The change ended every session of the caller, this one too: hand it a new one.
        valid_from = await run_in_threadpool(sessions_valid_from, app, who.user_id)
        if valid_from is not None:
            set_session_cookie(response, app, who.user_id, valid_from)
    return response


@router.delete("/users/{user_name}")
async def delete_user(request: Request, user_name: str) -> JSONResponse:
    """Delete a user (administrators, or the user themself); fires ``delete_user``."""
    app = rookery(request)
    who, target = await require_self_or_admin(request, user_name)
    await run_in_threadpool(users.delete_user, app.uow(who.user_name), target)
    return respond(200, "user deleted")


@router.get("/users/{user_name}/groups")
async def list_user_groups(
    request: Request, user_name: str, status: str | None = None
) -> JSONResponse:
    """The groups a user belongs to (``status=pending|all``: with terms not yet accepted).

    ``current`` without a session reads the anonymous user's groups.
    """
    _, target = await require_reader(request, user_name)
    app = rookery(request)

    def query() -> list[str]:
        with app.read_session() as session:
            return users.user_group_names(session, target, status)

    return respond(200, "groups listed", group_names=await run_in_threadpool(query))


@router.post(
    "/users/{user_name}/groups",
    status_code=201,
    responses=PENDING_TERMS,
    openapi_extra=body_schema(["group_name"], group_name=STRING),
)
async def add_user_group(
    request: Request, user_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Add a user to a group; 409 if already a member, 202 while the group's terms wait."""
    body = await read_body(request)
    app = rookery(request)
    target = who.user_name if user_name == "current" else user_name
    joined, result = await run_in_threadpool(
        group_registration.join,
        app.uow(who.user_name),
        target,
        body.get("group_name"),
        discoverable_only=False,
    )
    if not joined:
        return respond(202, "the group's terms were e-mailed to the user: pending", **result)
    return respond(201, "user added to group", **result)


@router.delete("/users/{user_name}/groups/{group_name}")
async def remove_user_group(
    request: Request, user_name: str, group_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Remove a user from a group; nobody leaves ``anonymous``."""
    app = rookery(request)
    target = who.user_name if user_name == "current" else user_name
    await run_in_threadpool(users.remove_membership, app.uow(who.user_name), target, group_name)
    return respond(200, "user removed from group")
