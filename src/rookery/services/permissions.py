"""Permission use cases: apply, replace, remove and list permissions of users and groups.

A holder is a user or a group; a target is a service or a resource. Every create and delete
publishes the matching ``*_user_permission`` / ``*_group_permission`` event describing the
permission actually stored or actually removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BindParameter, Select, Table, and_, bindparam, select
from sqlalchemy.orm import Session

from rookery.db import trees
from rookery.db.models import Group, GroupPermission, Resource, User, UserPermission
from rookery.domain.names import name_key
from rookery.domain.permissions import (
    Access,
    Permission,
    PermissionType,
    Scope,
    check_permission_allowed,
    parse_permission,
)
from rookery.domain.resolution import Grant, Holder, resolve_all, resolve_level
from rookery.domain.service_types import allowed_permissions
from rookery.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from rookery.services import catalog, events
from rookery.services.conflicts import settle_races
from rookery.services.lookups import (
    ADMIN_GROUP,
    ADMIN_PRIORITY,
    ANONYMOUS,
    get_group,
    get_user,
    groups_of,
    root_of,
    storable,
)
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import WebhookAction

Row = UserPermission | GroupPermission


@dataclass(frozen=True)
class HolderRef:
    """Which permissions table, and whose: ``kind`` is ``user`` or ``group``."""

    kind: str
    name: str


def _holder(session: Session, ref: HolderRef) -> User | Group:
    return get_user(session, ref.name) if ref.kind == "user" else get_group(session, ref.name)


def _rows_of(table: type[Row], owner: Any) -> Select[Any]:
    return select(table).where(owner == bindparam("owner"), table.resource_id == bindparam("rid"))


# Built once: see rookery.services.lookups on why the statements of every request are.
_ROWS: dict[str, Select[Any]] = {
    "user": _rows_of(UserPermission, UserPermission.user_id),
    "group": _rows_of(GroupPermission, GroupPermission.group_id),
}


def _holder_with_rows(
    model: type[User] | type[Group], table: type[Row], owner: Any
) -> Select[Any, Any]:
    return (
        select(model, table)
        .outerjoin(table, and_(owner == model.id, table.resource_id == bindparam("rid")))
        .where(model.name_key == bindparam("key"))
    )


_HOLDER_WITH_ROWS: dict[str, Select[Any, Any]] = {
    "user": _holder_with_rows(User, UserPermission, UserPermission.user_id),
    "group": _holder_with_rows(Group, GroupPermission, GroupPermission.group_id),
}


def _rows(session: Session, holder: User | Group, resource_id: int) -> list[Row]:
    kind = "user" if isinstance(holder, User) else "group"
    return list(session.scalars(_ROWS[kind], {"owner": holder.id, "rid": resource_id}))


def _holder_and_rows(
    session: Session, ref: HolderRef, resource_id: int
) -> tuple[User | Group, list[Row]]:
    """The holder and its permission rows on ``resource_id``, in one statement (404 as
    :func:`_holder` says it when there is no such holder)."""
    found = (
        session.execute(
            _HOLDER_WITH_ROWS[ref.kind], {"rid": resource_id, "key": name_key(ref.name)}
        ).all()
        if storable(ref.name)
        else []
    )
    if not found:
        return _holder(session, ref), []  # raises NotFoundError
    holder = cast(User | Group, found[0][0])
    return holder, [cast(Row, row) for _, row in found if row is not None]


def as_permission(row: Row) -> Permission:
    return Permission(row.name, Access(row.access), Scope(row.scope))


_TABLES = {
    "user": cast(Table, UserPermission.__table__),
    "group": cast(Table, GroupPermission.__table__),
}
_INSERT = {kind: table.insert() for kind, table in _TABLES.items()}
_DELETE = {
    kind: table.delete().where(table.c.id == bindparam("row_id")) for kind, table in _TABLES.items()
}


def _insert_row(
    session: Session, holder: User | Group, resource: Resource, perm: Permission
) -> None:
    """The permission's row, written at once (no ORM object: nothing reads it back)."""
    kind = "user" if isinstance(holder, User) else "group"
    values = {
        f"{kind}_id": holder.id,
        "resource_id": resource.id,
        "name": perm.name,
        "access": perm.access.value,
        "scope": perm.scope.value,
    }
    session.execute(_INSERT[kind], values)


def _delete_row(session: Session, row: Row) -> None:
    """Delete a permission's row at once (the loaded object is not used after)."""
    kind = "user" if isinstance(row, UserPermission) else "group"
    session.execute(_DELETE[kind], {"row_id": row.id})


def read_permission_body(body: dict[str, Any]) -> Permission:
    """The permission in a body: ``permission`` (string or object) or ``permission_name``."""
    value = body.get("permission", body.get("permission_name"))
    if value is None:
        raise InvalidInputError(
            "permission is required (a string such as 'read-allow-match' or "
            "an object {name, access, scope})",
            param="permission",
        )
    return parse_permission(value)


def _check_target(
    session: Session,
    holder: User | Group,
    resource: Resource,
    perm: Permission,
    *,
    configured: bool = False,
) -> Resource:
    if isinstance(holder, User) and holder.user_name == ANONYMOUS and not configured:
        raise ForbiddenError(
            "the anonymous user cannot be given permissions", param="user_name", value=ANONYMOUS
        )
    root = root_of(session, resource)
    check_permission_allowed(perm, root.service_type or "", resource.resource_type)
    return root


def _publish(
    uow: UnitOfWork,
    created: bool,
    holder: User | Group,
    resource: Resource,
    root: Resource,
    perm: Permission,
) -> None:
    params = {
        **events.resource_params(resource, root, uow.settings.twitcher_url),
        **events.permission_params(perm),
    }
    if isinstance(holder, User):
        action = (
            WebhookAction.CREATE_USER_PERMISSION
            if created
            else WebhookAction.DELETE_USER_PERMISSION
        )
        params.update(events.user_params(holder, with_status=True))
        events.publish(uow, action, f"user:{holder.id}", params)
    else:
        action = (
            WebhookAction.CREATE_GROUP_PERMISSION
            if created
            else WebhookAction.DELETE_GROUP_PERMISSION
        )
        params.update(events.group_params(holder))
        events.publish(uow, action, f"group:{holder.id}", params)


def apply_permission(
    uow: UnitOfWork,
    ref: HolderRef,
    resource: Resource,
    perm: Permission,
    *,
    replace: bool,
    configured: bool = False,
) -> tuple[User | Group, bool]:
    """Create (POST) or create-or-replace (PUT) a permission; returns (holder, created).

    POST on an existing name is 409. PUT with an identical permission is 409 and sends
    nothing; PUT replacing another access/scope publishes delete then create. Through the API
    the anonymous user is given nothing (403); ``configured`` is the start-up registration,
    which gives it the public ``getcapabilities`` of declared services, as Magpie's does.
    """
    session = uow.session
    holder, rows = _holder_and_rows(session, ref, resource.id)
    root = _check_target(session, holder, resource, perm, configured=configured)
    existing = next((r for r in rows if r.name == perm.name), None)
    if existing is not None:
        old = as_permission(existing)
        if not replace or old == perm:
            raise ConflictError(
                f"permission '{old.explicit}' already exists on resource "
                f"{resource.id} for {ref.kind} '{ref.name}'",
                param="permission",
                value=perm.explicit,
                named={
                    "permission_name": perm.explicit,
                    "resource_id": resource.id,
                    f"{ref.kind}_id": holder.id,
                },
            )
        _delete_row(session, existing)
        _publish(uow, False, holder, resource, root, old)
    _insert_row(session, holder, resource, perm)
    _publish(uow, True, holder, resource, root, perm)
    return holder, existing is None


TargetFinder = Callable[[Session, str], Resource]
View = Callable[[User | Group, Resource, Permission], dict[str, Any]]


@settle_races
def write_permission(
    uow: UnitOfWork,
    ref: HolderRef,
    find_target: TargetFinder,
    key: str,
    perm: Permission,
    *,
    replace: bool,
    render: View,
) -> tuple[dict[str, Any], bool]:
    """POST or PUT a permission in its own transaction; returns (rendered view, created)."""
    with uow:
        resource = find_target(uow.session, key)
        holder, created = apply_permission(uow, ref, resource, perm, replace=replace)
        view = render(holder, resource, perm)
        uow.commit()
    return view, created


def delete_permission(
    uow: UnitOfWork, ref: HolderRef, find_target: TargetFinder, key: str, permission_name: str
) -> Permission:
    """DELETE a permission by name in its own transaction."""
    with uow:
        removed = remove_permission(uow, ref, find_target(uow.session, key), permission_name)
        uow.commit()
    return removed


def remove_permission(
    uow: UnitOfWork,
    ref: HolderRef,
    resource: Resource,
    permission_name: str,
    *,
    configured: bool = False,
) -> Permission:
    """Delete the permission with that name (whatever its access/scope); 404 if none.
    ``configured``: the start-up registration, the one writer of the anonymous user's."""
    session = uow.session
    holder, rows = _holder_and_rows(session, ref, resource.id)
    if isinstance(holder, User) and holder.user_name == ANONYMOUS and not configured:
        raise ForbiddenError(
            "the anonymous user's permissions cannot be changed",
            param="user_name",
            value=ANONYMOUS,
        )
    name = parse_permission(permission_name).name if permission_name else ""
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        raise NotFoundError(
            f"{ref.kind} '{ref.name}' has no permission '{permission_name}' on "
            f"resource {resource.id}",
            param="permission",
            value=permission_name,
        )
    removed = as_permission(row)
    _delete_row(session, row)
    _publish(uow, False, holder, resource, root_of(session, resource), removed)
    return removed


def list_permissions(
    session: Session,
    ref: HolderRef,
    resource: Resource,
    *,
    inherited: bool = False,
    resolve: bool = False,
    effective: bool = False,
) -> dict[str, Any]:
    """``{permission_names, permissions}`` applied on a resource (see SPEC §2 query flags)."""
    holder = _holder(session, ref)
    if effective and isinstance(holder, User):
        groups = groups_of(session, holder)
        chain = _chain(session, holder, groups, resource)
        root = root_of(session, resource)
        allowed = allowed_permissions(root.service_type or "", resource.resource_type)
        admin = any(group.group_name == ADMIN_GROUP for group in groups)
        found = [r.as_dict() for r in resolve_all(allowed, chain, is_admin=admin)]
    else:
        grants = _level_grants(session, holder, resource.id, with_groups=inherited or resolve)
        shown = resolve_level(grants) if resolve else [(g, g.holder.reason) for g in grants]
        found = [
            {**g.permission.as_dict(listing_type(holder, g)), "reason": reason}
            for g, reason in shown
        ]
    found.sort(key=lambda p: (p["name"], p["access"], p["scope"]))
    # Magpie's names: each permission's implicit form (none for a deny), then its explicit one.
    names = catalog.permission_listing(found)["permission_names"]
    return {"permission_names": names, "permissions": found}


def listing_type(holder: User | Group, grant: Grant) -> PermissionType:
    """Magpie's names: a group's own are ``applied``; in a user's listing, the user's own are
    ``direct`` and those coming from its groups ``inherited``."""
    if isinstance(holder, Group):
        return PermissionType.APPLIED
    return PermissionType.DIRECT if grant.holder.kind == "user" else PermissionType.INHERITED


def group_holder(group: Group) -> Holder:
    priority = ADMIN_PRIORITY if group.group_name == ADMIN_GROUP else group.priority
    return Holder("group", group.id, group.group_name, priority)


def _level_grants(
    session: Session, holder: User | Group, resource_id: int, *, with_groups: bool
) -> list[Grant]:
    if isinstance(holder, Group):
        return [
            Grant(group_holder(holder), as_permission(r))
            for r in _rows(session, holder, resource_id)
        ]
    grants = [
        Grant(Holder("user", holder.id, holder.user_name), as_permission(r))
        for r in _rows(session, holder, resource_id)
    ]
    if with_groups:
        for group in holder.groups:
            grants += [
                Grant(group_holder(group), as_permission(r))
                for r in _rows(session, group, resource_id)
            ]
    return grants


_LEVELS: BindParameter[int] = bindparam("levels", expanding=True)
_USER_ROWS_ON = select(UserPermission).where(
    UserPermission.user_id == bindparam("owner"), UserPermission.resource_id.in_(_LEVELS)
)
_GROUP_ROWS_ON = select(GroupPermission).where(
    GroupPermission.group_id.in_(bindparam("owners", expanding=True)),
    GroupPermission.resource_id.in_(_LEVELS),
)


def _chain(
    session: Session, user: User, user_groups: list[Group], resource: Resource
) -> list[list[Grant]]:
    """The grants on ``resource`` and each level above it, in three queries for any depth."""
    levels = trees.ancestor_ids(session, resource.id)
    by_level: dict[int, list[Grant]] = {rid: [] for rid in levels}
    me = Holder("user", user.id, user.user_name)
    for row in session.scalars(_USER_ROWS_ON, {"owner": user.id, "levels": levels}):
        by_level[row.resource_id].append(Grant(me, as_permission(row)))
    groups = {group.id: group_holder(group) for group in user_groups}
    for group_row in session.scalars(_GROUP_ROWS_ON, {"owners": list(groups), "levels": levels}):
        by_level[group_row.resource_id].append(
            Grant(groups[group_row.group_id], as_permission(group_row))
        )
    return [by_level[rid] for rid in levels]
