"""Public routes: version, sign-in/out, session, and the webhook callback ``/tmp/{token}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery import __version__
from rookery.api.auth import principal, rookery
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.api.signin import check_credentials, end_session, start_session
from rookery.services import tokens, users
from rookery.services.lookups import get_user
from rookery.services.versions import schema_revision

router = APIRouter(tags=["session"])


@router.get("/version")
async def version(request: Request) -> JSONResponse:
    """Rookery's version and the database schema revision."""
    app = rookery(request)
    revision = await run_in_threadpool(schema_revision, app.engine)
    return respond(200, "Rookery version", version=__version__, db_version=revision)


@router.post(
    "/signin",
    openapi_extra=body_schema(["password"], user_name=STRING, email=STRING, password=STRING),
)
async def signin(request: Request) -> JSONResponse:
    """Check credentials and set the session cookie; 401 with one message for any mismatch.

    Failures are throttled per account and per client address (429 with ``Retry-After``);
    passwords are verified in the bounded hashing pool (429 when it is full).
    """
    body = await read_body(request)
    account = await check_credentials(
        request, body.get("user_name") or body.get("email"), body.get("password")
    )
    response = respond(200, "signed in", user_name=account.user_name)
    start_session(request, response, account)
    return response


@router.get("/signout")
async def signout(request: Request) -> JSONResponse:
    """End the caller's sessions (every cookie issued so far) and clear the cookie."""
    response = respond(200, "signed out")
    await end_session(request, response)
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
