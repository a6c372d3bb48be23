"""Public routes: sign-in/out, session, and the webhook callback ``/tmp/{token}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import principal, rookery, session_cookie
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.db.models import User
from rookery.services import tokens, users
from rookery.services.auth import authenticate
from rookery.services.lookups import get_user

router = APIRouter(tags=["session"])


@router.post(
    "/signin",
    openapi_extra=body_schema(["password"], user_name=STRING, email=STRING, password=STRING),
)
async def signin(request: Request) -> JSONResponse:
    """Check credentials and set the session cookie; 401 with one message for any mismatch."""
    body = await read_body(request)
    app = rookery(request)

    def check() -> User:
        with app.read_session() as session:
            return authenticate(
                session, body.get("user_name") or body.get("email"), body.get("password")
            )

    user = await run_in_threadpool(check)
    response = respond(200, "signed in", user_name=user.user_name)
    response.set_cookie(
        app.settings.cookie_name,
        session_cookie(app, user),
        httponly=True,
        samesite="lax",
        path=app.settings.root_path or "/",
    )
    return response


@router.get("/signout")
async def signout(request: Request) -> JSONResponse:
    """Clear the session cookie."""
    app = rookery(request)
    response = respond(200, "signed out")
    response.delete_cookie(app.settings.cookie_name, path=app.settings.root_path or "/")
    return response


@router.get("/session")
async def session_route(request: Request) -> JSONResponse:
    """Who is signed in (``authenticated: false`` for nobody)."""
    who = await principal(request)
    if not who.signed_in:
        return respond(200, "no session", authenticated=False)
    app = rookery(request)

    def query() -> dict[str, Any]:
        with app.read_session() as session:
            return users.user_view(get_user(session, who.user_name))

    return respond(200, "session found", authenticated=True, user=await run_in_threadpool(query))


@router.get("/tmp/{token}")
async def use_token(request: Request, token: str) -> JSONResponse:
    """A receiver reports failure: the user becomes ``WebhookError`` (single use)."""
    app = rookery(request)
    await run_in_threadpool(tokens.use_token, app.uow(None), token)
    return respond(200, "token used: the user's status is now WebhookError")
