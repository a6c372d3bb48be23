"""``/register/*``: self-registration of users and of group memberships (Magpie 5.1.0).

``/register/groups…`` needs a signed-in user (401 otherwise); ``POST /register/users`` is
public; listing, showing and deleting pending registrations is for administrators. Without
``ROOKERY_USER_REGISTRATION_ENABLED`` the ``/register/users`` routes answer 404, as Magpie
leaves them out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import Principal, principal, require_admin, rookery
from rookery.api.responses import JSON_TYPE, STRING, body_schema, read_body, respond
from rookery.errors import AuthenticationError
from rookery.services import group_registration, self_registration

router = APIRouter(tags=["register"])


async def require_user(request: Request) -> Principal:
    """401 unless someone is signed in."""
    who = await principal(request)
    if not who.signed_in:
        raise AuthenticationError("sign in first: this route needs a session")
    return who


@router.get("/register/groups", dependencies=[Depends(require_user)])
async def list_discoverable_groups(request: Request) -> JSONResponse:
    """Names of the groups anyone signed in may join."""
    app = rookery(request)

    def query() -> list[str]:
        with app.read_session() as session:
            return group_registration.discoverable_names(session)

    names = await run_in_threadpool(query)
    return respond(200, "discoverable groups listed", group_names=names)


@router.get("/register/groups/{group_name}", dependencies=[Depends(require_user)])
async def show_discoverable_group(request: Request, group_name: str) -> JSONResponse:
    """A discoverable group's public details (404 for hidden and missing groups alike)."""
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            group = group_registration.get_discoverable(session, group_name)
            return group_registration.public_view(group)

    return respond(200, "discoverable group found", group=await run_in_threadpool(query))


# The documented 202 (the body is the usual envelope).
PENDING_TERMS: dict[int | str, dict[str, Any]] = {
    202: {"description": "terms e-mailed; pending", "content": {JSON_TYPE: {}}}
}


@router.post("/register/groups/{group_name}", status_code=201, responses=PENDING_TERMS)
async def join_group(
    request: Request, group_name: str, who: Principal = Depends(require_user)
) -> JSONResponse:
    """Join a discoverable group: 201, or 202 when its terms must first be accepted by e-mail."""
    app = rookery(request)
    joined, body = await run_in_threadpool(
        group_registration.join, app.uow(who.user_name), who.user_name, group_name
    )
    if joined:
        return respond(201, "user joined the discoverable group", **body)
    return respond(
        202, "the group's terms were e-mailed: membership waits for their acceptance", **body
    )


@router.delete("/register/groups/{group_name}")
async def leave_group(
    request: Request, group_name: str, who: Principal = Depends(require_user)
) -> JSONResponse:
    """Leave a discoverable group (404 when not a member)."""
    app = rookery(request)
    await run_in_threadpool(
        group_registration.leave, app.uow(who.user_name), who.user_name, group_name
    )
    return respond(200, "user left the discoverable group")


@router.get("/register/users", dependencies=[Depends(require_admin)])
async def list_registrations(request: Request) -> JSONResponse:
    """Names of the pending registrations (administrators)."""
    app = rookery(request)
    names = await run_in_threadpool(self_registration.list_pending, app.uow(None))
    return respond(200, "pending registrations listed", registrations=names)


@router.post(
    "/register/users",
    status_code=201,
    openapi_extra=body_schema(
        ["user_name", "email", "password"], user_name=STRING, email=STRING, password=STRING
    ),
)
async def register_user(request: Request) -> JSONResponse:
    """Register: a pending user is recorded and its confirmation link e-mailed (201)."""
    body = await read_body(request)
    app = rookery(request)
    pending = await run_in_threadpool(
        self_registration.register,
        app.uow(None),
        body.get("user_name"),
        body.get("email"),
        body.get("password"),
    )
    return respond(
        201, "registration recorded: confirm it with the e-mailed link", registration=pending
    )


@router.get("/register/users/{user_name}", dependencies=[Depends(require_admin)])
async def show_registration(request: Request, user_name: str) -> JSONResponse:
    """One pending registration with its open links (administrators)."""
    app = rookery(request)
    pending = await run_in_threadpool(self_registration.show_pending, app.uow(None), user_name)
    return respond(200, "pending registration found", registration=pending)


@router.delete("/register/users/{user_name}")
async def delete_registration(
    request: Request, user_name: str, who: Principal = Depends(require_admin)
) -> JSONResponse:
    """Delete a pending registration: its links stop working (administrators)."""
    app = rookery(request)
    await run_in_threadpool(self_registration.delete_pending, app.uow(who.user_name), user_name)
    return respond(200, "pending registration deleted")
