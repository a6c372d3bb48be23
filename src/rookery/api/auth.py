"""Who is calling: the signed session cookie, and the admin / self-or-admin checks.

The cookie (named ``auth_tkt`` by default, in Pyramid's AuthTkt layout exactly as Magpie writes
it: see ``rookery.api.auth_ticket``) holds the user id, signed with the deployment secret and
stamped with its issue time. It is valid for ``ROOKERY_SESSION_EXPIRE`` seconds and only while
its stamp is not before the user's ``sessions_valid_from`` (``rookery.domain.sessions``):
sign-out and any password change move that instant past every stamp issued so far, so every
earlier cookie stops working. A cookie Magpie wrote with the same secret counts alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from rookery.api.auth_ticket import make_ticket, read_ticket
from rookery.domain.sessions import ticket_counts, ticket_stamp
from rookery.errors import AuthenticationError, ForbiddenError
from rookery.services.context import AppContext
from rookery.services.lookups import ANONYMOUS, caller_by_id


@dataclass(frozen=True)
class Principal:
    """The signed-in user (or nobody) for one request."""

    user_id: int | None
    user_name: str
    is_admin: bool

    @property
    def signed_in(self) -> bool:
        """False for anonymous requests."""
        return self.user_id is not None


NOBODY = Principal(None, ANONYMOUS, False)


def rookery(request: Request) -> AppContext:
    """The application object behind this request."""
    app: AppContext = request.app.state.rookery
    return app


def session_cookie(app: AppContext, user_id: int, valid_from: int) -> str:
    """The cookie value for a user signed in now, whose sessions are valid from ``valid_from``."""
    return make_ticket(app.secret, user_id, ticket_stamp(time.time(), valid_from))


def set_session_cookie(response: Response, app: AppContext, user_id: int, valid_from: int) -> None:
    """Put a fresh session cookie on ``response``."""
    response.set_cookie(
        app.settings.cookie_name,
        session_cookie(app, user_id, valid_from),
        max_age=app.settings.session_expire_seconds,
        httponly=True,
        samesite="lax",
        path=app.settings.root_path or "/",
    )


def sessions_valid_from(app: AppContext, user_id: int) -> int | None:
    """The instant the user's sessions are valid from now (None when the user is gone)."""
    with app.read_connection() as connection:
        caller = caller_by_id(connection, user_id)
        return None if caller is None else caller.sessions_valid_from


def load_principal(app: AppContext, token: str) -> Principal:
    """The caller a session cookie names (NOBODY when it is not valid), read in this thread."""
    ticket = read_ticket(app.secret, token, app.settings.session_expire_seconds, time.time())
    if ticket is None:
        return NOBODY
    with app.read_connection() as connection:
        caller = caller_by_id(connection, ticket.user_id)
    if caller is None or not ticket_counts(ticket.issued_at, caller.sessions_valid_from):
        return NOBODY
    return Principal(caller.id, caller.user_name, caller.is_admin)


async def principal(request: Request) -> Principal:
    """The caller, from the session cookie (NOBODY without a valid one)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    app = rookery(request)
    token = request.cookies.get(app.settings.cookie_name)
    found = await run_in_threadpool(load_principal, app, token) if token else NOBODY
    request.state.principal = found
    return found


async def require_admin(request: Request) -> Principal:
    """401 without a session, 403 for a signed-in non-administrator."""
    who = await principal(request)
    if not who.signed_in:
        raise AuthenticationError("sign in first: this route needs an administrator session")
    if not who.is_admin:
        raise ForbiddenError("this route is for administrators only")
    return who


async def require_self_or_admin(request: Request, user_name: str) -> tuple[Principal, str]:
    """The caller and the user the path names (``current`` = the caller)."""
    who = await principal(request)
    if not who.signed_in:
        raise AuthenticationError("sign in first: this route needs a session")
    target = who.user_name if user_name == "current" else user_name
    if not who.is_admin and target.casefold() != who.user_name.casefold():
        raise ForbiddenError("only administrators may act on other users")
    return who, target


async def require_reader(request: Request, user_name: str) -> tuple[Principal, str]:
    """Like :func:`require_self_or_admin`, for reading only: a caller without a session who
    reads ``current`` (or ``anonymous``) reads the anonymous user, as Magpie lets anyone do."""
    who = await principal(request)
    if not who.signed_in and user_name.lower() in ("current", ANONYMOUS):
        return who, ANONYMOUS
    return await require_self_or_admin(request, user_name)
