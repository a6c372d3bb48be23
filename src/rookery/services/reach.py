"""What a user or a group can reach: the services and resource trees they hold permissions on.

Read models for ``/users/{u}/services``, ``/users/{u}/resources``,
``/users/{u}/services/{s}/resources`` and their ``/groups/{g}/...`` counterparts, as Magpie 5.1.0
builds them:

* a user's own permissions are ``direct``; with ``inherited`` its groups' permissions join them
  and every permission is typed ``inherited``; ``resolve`` keeps one permission per name and
  resource (the user's own first, then the highest group priority, then deny) and also
  considers the groups. A group's permissions are ``applied``. Each carries its ``reason``.
* a resource tree shows only the resources holding a permission, and their ancestors;
* ``/services`` lists services holding a permission on the service itself (with ``cascade``,
  also services with a permission anywhere below, shown without service permissions);
* ``/resources`` lists every requested type; a service appears when it or something below holds a
  permission, or always for an administrator caller unless ``filtered`` is asked.

Permissions are fetched with one query per holder table, then grouped by resource in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rookery.db.models import Group, GroupPermission, Resource, User, UserPermission
from rookery.domain.resolution import Grant, Holder, resolve_level
from rookery.domain.service_types import SERVICE_TYPES
from rookery.services import catalog
from rookery.services.permissions import as_permission, group_holder, listing_type

Rendered = dict[int, list[dict[str, Any]]]


@dataclass(frozen=True)
class ReachOptions:
    """The query options of the reach listings."""

    inherited: bool = False
    resolve: bool = False
    cascade: bool = False
    filtered: bool = False
    caller_is_admin: bool = False
    service_types: tuple[str, ...] = ()


def _group_grants(session: Session, groups: Sequence[Group]) -> dict[int, list[Grant]]:
    by_id = {group.id: group_holder(group) for group in groups}
    found: dict[int, list[Grant]] = {}
    if not by_id:
        return found
    rows = session.scalars(select(GroupPermission).where(GroupPermission.group_id.in_(by_id)))
    for row in rows:
        found.setdefault(row.resource_id, []).append(Grant(by_id[row.group_id], as_permission(row)))
    return found


Shown = dict[int, list[tuple[Grant, str]]]
"""The grants a listing shows by resource id, each with its reason."""


def grants_of(
    session: Session, holder: User | Group, options: ReachOptions
) -> tuple[Shown, User | Group]:
    """Every grant the listing shows, by resource id (with reasons), and whose listing it is."""
    if isinstance(holder, Group):
        own_grants = _group_grants(session, [holder])
        return {rid: [(g, g.holder.reason) for g in items] for rid, items in own_grants.items()}, (
            holder
        )
    own = Holder("user", holder.id, holder.user_name)
    found: dict[int, list[Grant]] = {}
    rows = session.scalars(select(UserPermission).where(UserPermission.user_id == holder.id))
    for row in rows:
        found.setdefault(row.resource_id, []).append(Grant(own, as_permission(row)))
    if options.inherited or options.resolve:
        for resource_id, grants in _group_grants(session, list(holder.groups)).items():
            found.setdefault(resource_id, []).extend(grants)
    if options.resolve:
        return {rid: resolve_level(grants) for rid, grants in found.items()}, holder
    return {rid: [(g, g.holder.reason) for g in grants] for rid, grants in found.items()}, holder


def render(grants: Shown, holder: User | Group) -> Rendered:
    """Grants as the API's permission objects (type and reason), by resource id."""
    return {
        rid: [
            {**g.permission.as_dict(listing_type(holder, g)), "reason": reason}
            for g, reason in items
        ]
        for rid, items in grants.items()
    }


def service_resources(
    session: Session, service: Resource, protected_url: str, shown: Rendered
) -> dict[str, Any]:
    """A service with only the resources holding permissions (and their ancestors)."""
    kind = service.service_type or ""
    view = catalog.service_view(
        service, protected_url, private=False, permissions=shown.get(service.id, [])
    )
    by_parent = catalog.descendants(session, service)
    keep = {rid for rid in shown if rid != service.id}
    view["resources"] = catalog.subtree(by_parent, service.id, kind, shown, keep)
    return view


def _services(session: Session) -> list[Resource]:
    query = select(Resource).where(Resource.parent_id.is_(None)).order_by(Resource.resource_name)
    return list(session.scalars(query))


def _roots(session: Session, resource_ids: set[int]) -> dict[int, int]:
    """The service id of each resource id."""
    if not resource_ids:
        return {}
    rows = session.execute(
        select(Resource.id, Resource.root_service_id).where(Resource.id.in_(resource_ids))
    )
    return {rid: root if root is not None else rid for rid, root in rows}


def reachable_services(
    session: Session, holder: User | Group, protected_url: str, options: ReachOptions
) -> dict[str, dict[str, Any]]:
    """``{type: {name: service with the holder's permissions on it}}``."""
    grants, whose = grants_of(session, holder, options)
    shown = render(grants, whose)
    roots = _roots(session, set(shown))
    wanted = set(options.service_types) or set(SERVICE_TYPES)
    grouped: dict[str, dict[str, Any]] = {t: {} for t in options.service_types}
    for service in _services(session):
        has_own = service.id in shown
        below = any(root == service.id and rid != service.id for rid, root in roots.items())
        if service.service_type not in wanted or not (has_own or (options.cascade and below)):
            continue
        view = catalog.service_view(
            service, protected_url, private=False, permissions=shown.get(service.id, [])
        )
        grouped.setdefault(service.service_type or "", {})[service.resource_name] = view
    return dict(sorted(grouped.items()))


def reachable_resources(
    session: Session, holder: User | Group, protected_url: str, options: ReachOptions
) -> dict[str, dict[str, Any]]:
    """``{type: {name: service tree}}`` for every requested type (all by default)."""
    grants, whose = grants_of(session, holder, options)
    shown = render(grants, whose)
    roots = _roots(session, set(shown))
    reached = set(roots.values())
    types = options.service_types or tuple(catalog.listed_service_types(session))
    grouped: dict[str, dict[str, Any]] = {t: {} for t in sorted(types)}
    show_all = options.caller_is_admin and not options.filtered
    for service in _services(session):
        if service.service_type not in grouped:
            continue
        if show_all or service.id in reached:
            tree = service_resources(session, service, protected_url, shown)
            grouped[service.service_type or ""][service.resource_name] = tree
    return grouped


def reachable_in_service(
    session: Session,
    holder: User | Group,
    service: Resource,
    protected_url: str,
    options: ReachOptions,
) -> dict[str, Any]:
    """One service with the holder's permissions on it and on the resources below."""
    grants, whose = grants_of(session, holder, options)
    shown = render(grants, whose)
    roots = _roots(session, set(shown))
    mine = {rid: items for rid, items in shown.items() if roots.get(rid) == service.id}
    return service_resources(session, service, protected_url, mine)
