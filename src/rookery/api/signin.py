"""Signing in and out, shared by ``POST /signin`` and the console's sign-in form.

Invariants: every password check goes through the per-account and per-address throttle and the
bounded hashing pool; an unknown login costs one dummy verification, so timing tells nothing;
signing out moves the user's ``sessions_valid_from`` past every cookie issued so far; a
successful sign-in stores a hash made with older Argon2id parameters again with today's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import principal, rookery, set_session_cookie
from rookery.api.signin_throttle import SigninThrottle
from rookery.domain.names import name_key
from rookery.errors import AuthenticationError, TooManyRequestsError
from rookery.services.auth import (
    WRONG_CREDENTIALS,
    Account,
    find_account,
    sign_out,
    signin_input,
    upgrade_password_hash,
)


async def check_credentials(request: Request, login_value: Any, password_value: Any) -> Account:
    """The account these credentials open; 401 for any mismatch, 429 when throttled."""
    app = rookery(request)
    login, password = signin_input(login_value, password_value)

    def lookup() -> Account | None:
        with app.read_session() as session:
            return find_account(session, login)

    account = await run_in_threadpool(lookup)
    throttle: SigninThrottle = request.app.state.signin_throttle
    attempt = throttle.begin(
        f"user:{account.user_id}" if account else f"login:{name_key(login)}",
        request.client.host if request.client else "unknown",
    )
    try:
        verifying = app.password_pool.verify(account.password_hash if account else None, password)
    except TooManyRequestsError:
        throttle.forgive(attempt)  # never checked, so not a failure
        raise
    if not await asyncio.wrap_future(verifying) or account is None:
        raise AuthenticationError(WRONG_CREDENTIALS)
    throttle.succeeded(attempt)
    if account.hash_is_outdated:
        uow = app.uow(account.user_name)
        await run_in_threadpool(upgrade_password_hash, uow, account, password)
    return account


def start_session(request: Request, response: Response, account: Account) -> None:
    """Put a fresh session cookie for ``account`` on ``response``."""
    set_session_cookie(response, rookery(request), account.user_id, account.sessions_valid_from)


async def end_session(request: Request, response: Response) -> None:
    """End the caller's sessions (every cookie issued so far) and clear the cookie."""
    app = rookery(request)
    who = await principal(request)
    if who.user_id is not None:
        await run_in_threadpool(sign_out, app.uow(who.user_name), who.user_id)
    response.delete_cookie(app.settings.cookie_name, path=app.settings.root_path or "/")
