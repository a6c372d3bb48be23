"""Public routes: version, sign-in/out, session, and the webhook callback ``/tmp/{token}``."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery import __version__
from rookery.api.auth import principal, rookery, set_session_cookie
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.api.signin_throttle import SigninThrottle
from rookery.db.schema import current_revision
from rookery.domain.names import name_key
from rookery.errors import AuthenticationError, TooManyRequestsError
from rookery.services import tokens, users
from rookery.services.auth import WRONG_CREDENTIALS, Account, find_account, sign_out, signin_input
from rookery.services.lookups import get_user

router = APIRouter(tags=["session"])


@router.get("/version")
async def version(request: Request) -> JSONResponse:
    """Rookery's version and the database schema revision."""
    app = rookery(request)
    revision = await run_in_threadpool(current_revision, app.engine)
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
    app = rookery(request)
    login, password = signin_input(body.get("user_name") or body.get("email"), body.get("password"))

    def lookup() -> Account | None:
        with app.read_session() as session:
            return find_account(session, login)

    account = await run_in_threadpool(lookup)
    throttle: SigninThrottle = request.app.state.signin_throttle
    attempt = throttle.begin(
        f"user:{account.user_id}" if account else f"login:{name_key(login)}",
        request.client.host if request.client else "unknown",
    )
    try:  # an unknown user costs one dummy verification too: timing tells nothing
        verifying = app.password_pool.verify(account.password_hash if account else None, password)
    except TooManyRequestsError:
        throttle.forgive(attempt)  # never checked, so not a failure
        raise
    if not await asyncio.wrap_future(verifying) or account is None:
        raise AuthenticationError(WRONG_CREDENTIALS)
    throttle.succeeded(attempt)
    response = respond(200, "signed in", user_name=account.user_name)
    set_session_cookie(response, app, account.user_id, account.session_version)
    return response


@router.get("/signout")
async def signout(request: Request) -> JSONResponse:
    """End the caller's sessions (every cookie issued so far) and clear the cookie."""
    app = rookery(request)
    who = await principal(request)
    if who.user_id is not None:
        await run_in_threadpool(sign_out, app.uow(who.user_name), who.user_id)
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
