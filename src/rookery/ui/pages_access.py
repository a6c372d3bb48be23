"""Users and groups pages (administrators): list, search, create, edit, delete, membership."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from rookery.domain.statuses import UserStatus
from rookery.errors import RookeryError
from rookery.services import group_registration, groups, users
from rookery.services.context import AppContext
from rookery.services.lookups import get_group, get_user
from rookery.ui.rendering import act, query, read_form, redirect, render
from rookery.ui.session import Caller, require_admin, rookery

router = APIRouter(dependencies=[Depends(require_admin)])

STATUSES = [s.label for s in UserStatus]


def _users(app: AppContext, search: str, status: str) -> list[dict[str, Any]]:
    with app.read_session() as session:
        found = users.list_users(session, status or None)
        needle = search.casefold()
        return [
            users.user_view(u)
            for u in found
            if not needle or needle in u.user_name.casefold() or needle in u.email.casefold()
        ]


@router.get("/users")
async def user_list(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Every user with status; search by name or email, filter by status."""
    search = request.query_params.get("q", "")
    status = request.query_params.get("status", "")
    found = await query(_users, rookery(request), search, status)
    return render(
        request, "users.html", who, users=found, q=search, status=status, statuses=STATUSES
    )


@router.post("/users")
async def user_create(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Create a user (fires ``create_user`` like the API)."""
    form = await read_form(request)
    name = form.get("user_name", "")
    return await act(
        request,
        "/users",
        f"User {name} created.",
        users.create_user,
        rookery(request).uow(who.user_name),
        name,
        form.get("email"),
        form.get("password"),
        form.get("group_name") or None,
    )


def _user_page(app: AppContext, name: str) -> dict[str, Any]:
    with app.read_session() as session:
        user = get_user(session, name)
        return {"user": users.user_view(user), "all_groups": groups.list_group_names(session)}


@router.get("/users/{name}")
async def user_detail(
    request: Request, name: str, who: Caller = Depends(require_admin)
) -> Response:
    """One user: edit form, status, groups, delete."""
    data = await query(_user_page, rookery(request), name)
    return render(request, "user.html", who, statuses=STATUSES, **data)


@router.post("/users/{name}/edit")
async def user_edit(request: Request, name: str, who: Caller = Depends(require_admin)) -> Response:
    """Change email, password or status (e.g. back to OK from WebhookError)."""
    form = await read_form(request)
    changes = {k: form[k] for k in ("email", "password", "status") if form.get(k)}
    if changes.get("email") == form.get("current_email"):
        changes.pop("email")
    if changes.get("status") == form.get("current_status"):
        changes.pop("status")
    return await act(
        request,
        f"/users/{name}",
        "User updated.",
        users.update_user,
        rookery(request).uow(who.user_name),
        name,
        changes,
        actor_is_admin=True,
    )


@router.post("/users/{name}/groups")
async def user_join(request: Request, name: str, who: Caller = Depends(require_admin)) -> Response:
    """Add the user to a group; a group with terms e-mails them first, as the API does."""
    form = await read_form(request)
    group = form.get("group_name", "")
    try:
        joined, _ = await run_in_threadpool(
            group_registration.join,
            rookery(request).uow(who.user_name),
            name,
            group,
            discoverable_only=False,
        )
    except RookeryError as error:
        return redirect(request, f"/users/{name}", error=error.detail)
    if joined:
        return redirect(request, f"/users/{name}", message=f"Added to {group}.")
    sent = f"The terms of {group} were e-mailed to {name}: membership waits for their acceptance."
    return redirect(request, f"/users/{name}", message=sent)


@router.post("/users/{name}/groups/{group}/remove")
async def user_leave(
    request: Request, name: str, group: str, who: Caller = Depends(require_admin)
) -> Response:
    """Take the user out of a group."""
    await read_form(request)
    return await act(
        request,
        f"/users/{name}",
        f"Removed from {group}.",
        users.remove_membership,
        rookery(request).uow(who.user_name),
        name,
        group,
    )


@router.post("/users/{name}/delete")
async def user_delete(
    request: Request, name: str, who: Caller = Depends(require_admin)
) -> Response:
    """Delete the user once the confirmation box is ticked."""
    form = await read_form(request)
    if form.get("confirm") != "yes":
        return redirect(request, f"/users/{name}", error="Tick the box to confirm the deletion.")
    app = rookery(request)
    return await act(
        request,
        "/users",
        f"User {name} deleted.",
        users.delete_user,
        app.uow(who.user_name),
        name,
    )


def _groups(app: AppContext) -> list[dict[str, Any]]:
    with app.read_session() as session:
        return [
            groups.group_view(get_group(session, n), detailed=True)
            for n in groups.list_group_names(session)
        ]


@router.get("/groups")
async def group_list(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Every group with its description, discoverability and member count."""
    found = await query(_groups, rookery(request))
    return render(request, "groups.html", who, groups=found)


@router.post("/groups")
async def group_create(request: Request, who: Caller = Depends(require_admin)) -> Response:
    """Create a group."""
    form = await read_form(request)
    name = form.get("group_name", "")
    return await act(
        request,
        "/groups",
        f"Group {name} created.",
        groups.create_group,
        rookery(request).uow(who.user_name),
        name,
        form.get("description") or None,
        form.get("discoverable") == "yes",
    )


def _group_page(app: AppContext, name: str) -> dict[str, Any]:
    with app.read_session() as session:
        return {"group": groups.group_view(get_group(session, name), detailed=True)}


@router.get("/groups/{name}")
async def group_detail(
    request: Request, name: str, who: Caller = Depends(require_admin)
) -> Response:
    """One group: members, description, discoverable, delete."""
    data = await query(_group_page, rookery(request), name)
    return render(request, "group.html", who, **data)


@router.post("/groups/{name}/edit")
async def group_edit(request: Request, name: str, who: Caller = Depends(require_admin)) -> Response:
    """Change the description and discoverability."""
    form = await read_form(request)
    changes = {
        "description": form.get("description", ""),
        "discoverable": form.get("discoverable") == "yes",
    }
    return await act(
        request,
        f"/groups/{name}",
        "Group updated.",
        groups.update_group,
        rookery(request).uow(who.user_name),
        name,
        changes,
    )


@router.post("/groups/{name}/delete")
async def group_delete(
    request: Request, name: str, who: Caller = Depends(require_admin)
) -> Response:
    """Delete the group once the confirmation box is ticked."""
    form = await read_form(request)
    if form.get("confirm") != "yes":
        return redirect(request, f"/groups/{name}", error="Tick the box to confirm the deletion.")
    return await act(
        request,
        "/groups",
        f"Group {name} deleted.",
        groups.delete_group,
        rookery(request).uow(who.user_name),
        name,
    )
