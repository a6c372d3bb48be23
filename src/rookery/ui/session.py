"""Who is looking at a console page, and the CSRF token that guards its forms.

The console shares the API's session: it is handed the API's own ``principal`` reader and
cookie maker (``ConsoleSession``, wired by the web app factory), so a change of the cookie
format happens in one place. Invariants: every state-changing console request is a POST whose
form carries ``csrf_token`` equal to the ``rookery_csrf`` cookie (double submit; the cookie is
``SameSite=Strict``, so another site can neither read nor send it); pages for administrators
answer 401 without a session and 403 for other users, as the API does.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request, Response

from rookery.services.auth import Account
from rookery.services.context import AppContext
from rookery.services.delivery_samples import SendOnce

CSRF_COOKIE = "rookery_csrf"
CSRF_FIELD = "csrf_token"


class Caller(Protocol):
    """What the console needs to know about the signed-in user (the API's Principal)."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def user_name(self) -> str: ...

    @property
    def is_admin(self) -> bool: ...


@dataclass(frozen=True)
class ConsoleSession:
    """The API's session functions, handed to the console by the app factory.

    ``check_credentials`` is the API's throttled, pooled password check (401/429 as
    :class:`RookeryError`); ``start_session`` sets the cookie for what it returned;
    ``end_session`` revokes the caller's sessions and clears the cookie; ``send_once`` is the
    worker's sender, used by "test this webhook".
    """

    principal: Callable[[Request], Awaitable[Caller]]
    check_credentials: Callable[[Request, object, object], Awaitable[Account]]
    start_session: Callable[[Request, Response, Account], None]
    end_session: Callable[[Request, Response], Awaitable[None]]
    send_once: SendOnce


class PageError(Exception):
    """A console page cannot be shown: rendered as an HTML page with ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def rookery(request: Request) -> AppContext:
    """The application object behind this request."""
    app: AppContext = request.app.state.rookery
    return app


def hooks(request: Request) -> ConsoleSession:
    """The session functions the app factory installed."""
    found: ConsoleSession = request.app.state.console_session
    return found


async def viewer(request: Request) -> Caller | None:
    """The signed-in user, or None."""
    who = await hooks(request).principal(request)
    return who if who.user_id is not None else None


async def require_viewer(request: Request) -> Caller:
    """The signed-in user; 401 otherwise."""
    who = await viewer(request)
    if who is None:
        raise PageError(401, "Sign in first: this page needs a session.")
    return who


async def require_admin(request: Request) -> Caller:
    """The signed-in administrator; 401 without a session, 403 for other users."""
    who = await require_viewer(request)
    if not who.is_admin:
        raise PageError(403, "This page is for administrators only.")
    return who


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one when it has none; ``remember_csrf`` stores it)."""
    token: str | None = getattr(request.state, "csrf", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        request.state.csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    """Store the token handed out on this page in the browser's cookie, if it is new."""
    token = getattr(request.state, "csrf", None)
    if token and token != request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            path=rookery(request).settings.root_path or "/",
        )


def check_csrf(request: Request, submitted: object) -> None:
    """403 unless the form's token matches the browser's CSRF cookie."""
    expected = request.cookies.get(CSRF_COOKIE)
    if (
        not expected
        or not isinstance(submitted, str)
        or not secrets.compare_digest(expected, submitted)
    ):
        raise PageError(403, "The form's security token is missing or stale: reload the page.")
