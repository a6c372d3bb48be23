"""Self-registration in the console, as Magpie's UI offers it: a registration form for new
accounts at Magpie's ``/ui/register`` (only when ``ROOKERY_USER_REGISTRATION_ENABLED``, else
404 as in Magpie) and, for any signed-in user, the discoverable groups to join or leave (a
group with terms e-mails them first). Magpie's account path ``/ui/users/current`` leads to the
signed-in user's own page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from rookery.errors import RookeryError
from rookery.services import group_registration, self_registration
from rookery.services.context import AppContext
from rookery.ui.rendering import query, read_form, redirect, render, status_of
from rookery.ui.session import PageError, require_viewer, rookery, viewer

router = APIRouter()


def _require_registration(request: Request) -> None:
    if not rookery(request).settings.user_registration_enabled:
        raise PageError(404, "Registration of new accounts is not enabled here.")


@router.get("/register")
async def register_page(request: Request) -> Response:
    """The form a new user fills in to ask for an account."""
    _require_registration(request)
    return render(request, "register.html", await viewer(request), values={})


@router.post("/register")
async def register(request: Request) -> Response:
    """Record the registration and e-mail its confirmation link (the API's ``/register/users``)."""
    _require_registration(request)
    form = await read_form(request)
    values = {"user_name": form.get("user_name", ""), "email": form.get("email", "")}
    who = await viewer(request)
    if form.get("password", "") != form.get("password_again", ""):
        failure = "The two passwords differ; type the same password twice."
        return render(
            request, "register.html", who, status_code=400, failure=failure, values=values
        )
    try:
        pending = await run_in_threadpool(
            self_registration.register,
            rookery(request).uow(None),
            values["user_name"],
            values["email"],
            form.get("password"),
        )
    except RookeryError as error:
        return render(
            request,
            "register.html",
            who,
            status_code=status_of(error),
            failure=error.detail,
            values=values,
        )
    return render(request, "register_sent.html", who, registration=pending)


@router.get("/users/current")
async def current_account(request: Request) -> Response:
    """Magpie's path of the signed-in user's account page: Rookery's is ``/ui/me``."""
    await require_viewer(request)
    return redirect(request, "/me")


def _groups_of(app: AppContext, user_name: str) -> list[dict[str, object]]:
    with app.read_session() as session:
        return group_registration.discoverable_for(session, user_name)


@router.get("/me/groups")
async def my_groups(request: Request) -> Response:
    """The discoverable groups, with a button to join or leave each."""
    who = await require_viewer(request)
    found = await query(_groups_of, rookery(request), who.user_name)
    return render(request, "my_groups.html", who, groups=found)


@router.post("/me/groups/{group}/join")
async def join(request: Request, group: str) -> Response:
    """Join a discoverable group, or have its terms e-mailed when it has some."""
    who = await require_viewer(request)
    await read_form(request)
    try:
        joined, _ = await run_in_threadpool(
            group_registration.join, rookery(request).uow(who.user_name), who.user_name, group
        )
    except RookeryError as error:
        return redirect(request, "/me/groups", error=error.detail)
    if joined:
        return redirect(request, "/me/groups", message=f"You joined {group}.")
    sent = f"The terms of {group} were e-mailed to you: you join once you accept them."
    return redirect(request, "/me/groups", message=sent)


@router.post("/me/groups/{group}/leave")
async def leave(request: Request, group: str) -> Response:
    """Leave a discoverable group (or withdraw a request waiting for its terms)."""
    who = await require_viewer(request)
    await read_form(request)
    try:
        await run_in_threadpool(
            group_registration.leave, rookery(request).uow(who.user_name), who.user_name, group
        )
    except RookeryError as error:
        return redirect(request, "/me/groups", error=error.detail)
    return redirect(request, "/me/groups", message=f"You left {group}.")
