"""Public routes: sign-in/out, session, sign-in providers and the webhook callback
``/tmp/{token}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import principal, rookery
from rookery.api.responses import STRING, body_schema, read_body, respond
from rookery.api.signin import check_credentials, end_session, start_session
from rookery.domain.names import name_key
from rookery.errors import ForbiddenError, NotFoundError, UnprocessableError
from rookery.services import token_links, users
from rookery.services.lookups import ANONYMOUS, get_user

router = APIRouter(tags=["session"])

SIGNED_IN = "Login successful."
"""Magpie's ``detail`` of a successful sign-in; its clients compare it."""


@router.post(
    "/signin",
    openapi_extra=body_schema(["password"], user_name=STRING, email=STRING, password=STRING),
)
async def signin(request: Request) -> JSONResponse:
    """Check credentials and set the session cookie; 401 with one message for any mismatch.

    Failures are throttled per account and per client address (429 with ``Retry-After``);
    passwords are verified in the bounded hashing pool (429 when it is full).
    """
    return await _sign_in(request, await read_body(request))


@router.get("/signin")
async def signin_from_query(request: Request) -> JSONResponse:
    """Magpie's ``GET /signin?user_name=...&password=...``: the same check from the query."""
    return await _sign_in(request, dict(request.query_params))


def _credentials(values: Mapping[str, Any]) -> tuple[Any, Any]:
    """The login and password given; 422 naming the one that is missing."""
    login = values.get("user_name") or values.get("email")
    password = values.get("password")
    if not login:
        raise UnprocessableError("user_name is required to sign in", param="user_name")
    if not password:
        raise UnprocessableError("password is required to sign in", param="password")
    if isinstance(login, str) and name_key(login) == name_key(ANONYMOUS):
        # Magpie refuses the anonymous account outright (403), whatever the password.
        raise ForbiddenError("the anonymous user cannot sign in", param="user_name", value=login)
    return login, password


async def _sign_in(request: Request, body: Mapping[str, Any]) -> JSONResponse:
    account = await check_credentials(request, *_credentials(body))
    response = respond(200, SIGNED_IN, user_name=account.user_name)
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


INTERNAL_PROVIDERS = ["Ziggurat"]
"""Magpie's sign-in providers by display name: only its own user table ("ziggurat"); Rookery
supports no external identity provider (OpenID, GitHub, WSO2)."""


@router.get("/providers")
async def providers() -> JSONResponse:
    """The sign-in providers, as Magpie lists them: internal and external display names."""
    return respond(
        200,
        "Get providers successful.",
        providers={"internal": INTERNAL_PROVIDERS, "external": []},
    )


INTERNAL_PROVIDER = "ziggurat"
"""Magpie's name for its own user table as a sign-in provider (``provider_name``)."""


@router.post("/providers/{provider_name}/signin")
async def provider_signin(request: Request, provider_name: str) -> JSONResponse:
    """Magpie's sign-in through a named provider: ``ziggurat`` (the internal one) signs in
    exactly like ``POST /signin``; any other provider is 404 (none is supported)."""
    _internal_provider(provider_name)
    return await _sign_in(request, await read_body(request))


@router.get("/providers/{provider_name}/signin")
async def provider_signin_from_query(request: Request, provider_name: str) -> JSONResponse:
    """``GET`` form of the provider sign-in, credentials in the query (as ``GET /signin``)."""
    _internal_provider(provider_name)
    return await _sign_in(request, dict(request.query_params))


def _internal_provider(provider_name: str) -> None:
    if provider_name.lower() != INTERNAL_PROVIDER:
        raise NotFoundError(
            f"sign-in provider '{provider_name}' is not supported; only '{INTERNAL_PROVIDER}'",
            param="provider_name",
            value=provider_name,
            compare=[INTERNAL_PROVIDER],
        )


@router.get("/tmp/{token}")
async def use_token(request: Request, token: str) -> JSONResponse:
    """Follow a single-use link: a receiver's failure report, or a registration/terms step."""
    app = rookery(request)
    who = await principal(request)
    actor = who.user_name if who.signed_in else None
    done = await run_in_threadpool(token_links.follow, app.uow(actor), token, is_admin=who.is_admin)
    return respond(200, done)
