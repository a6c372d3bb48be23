"""Sign-in, sign-out, the landing redirect and "my account" (any signed-in user)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rookery.errors import RookeryError, TooManyRequestsError
from rookery.services import permission_editor as editor
from rookery.services.context import AppContext
from rookery.services.lookups import get_user
from rookery.services.users import user_group_names, user_view
from rookery.ui.rendering import query, read_form, redirect, render
from rookery.ui.session import hooks, require_viewer, rookery, viewer

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    """Administrators land on the dashboard, others on their account, nobody on sign-in."""
    who = await viewer(request)
    if who is None:
        return redirect(request, "/signin")
    return redirect(request, "/dashboard" if who.is_admin else "/me")


@router.get("/signin")
async def signin_page(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "signin.html", await viewer(request))


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Check the credentials as ``POST /signin`` does (throttled, pooled) and start a session."""
    form = await read_form(request)
    session = hooks(request)
    try:
        account = await session.check_credentials(
            request, form.get("user_name"), form.get("password")
        )
    except RookeryError as error:
        status = 429 if isinstance(error, TooManyRequestsError) else 401
        return render(request, "signin.html", None, status_code=status, failure=error.detail)
    response = redirect(request, "/")
    session.start_session(request, response, account)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End the session."""
    await read_form(request)
    response = redirect(request, "/signin", message="Signed out.")
    await hooks(request).end_session(request, response)
    return response


def _my_access(app: AppContext, user_name: str) -> dict[str, Any]:
    with app.read_session() as session:
        user = get_user(session, user_name)
        return {
            "user": user_view(user),
            "groups": user_group_names(session, user_name),
            "access": editor.allowed_on_services(session, user.user_name),
        }


@router.get("/me")
async def me(request: Request) -> Response:
    """The viewer's own account, groups and what they may do on each service."""
    who = await require_viewer(request)
    data = await query(_my_access, rookery(request), who.user_name)
    return render(request, "me.html", who, **data)
