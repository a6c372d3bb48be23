"""Read models of services and resources, shaped as Magpie 5.1.0 renders them.

Every service or resource body carries ``permission_names`` and ``permissions``. Unless a caller
passes the permissions applied for some user or group, they are the *allowed* permissions of that
resource type, expanded as Magpie does: every allowed name with both accesses and both scopes,
typed ``allowed``. ``permission_names`` lists, for each permission in order, its old implicit form
(``read``, ``read-match``; none for a deny) followed by its explicit form
(``read-allow-recursive``), without repeats.

Trees are loaded with one query per service and assembled in memory; children are keyed by
resource id and sorted by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rookery.db.models import Resource
from rookery.domain.permissions import Access, Permission, PermissionType, Scope
from rookery.domain.service_configurations import configuration_view
from rookery.domain.service_types import (
    SERVICE,
    allowed_permissions,
    child_resource_allowed,
    get_service_type,
    listed_types,
)
from rookery.services.lookups import root_of

PermissionMap = Mapping[int, Sequence[dict[str, Any]]]
"""Applied permissions (already rendered objects) by resource id."""


def _order(permission: dict[str, Any]) -> tuple[str, bool, bool]:
    """Magpie's order: by name, allow before deny, match before recursive."""
    return (
        permission["name"],
        permission["access"] != Access.ALLOW.value,
        permission["scope"] != Scope.MATCH.value,
    )


def permission_listing(permissions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``{permission_names, permissions}`` for rendered permission objects, in Magpie's order.

    Objects are kept as given (a user's groups may each hold the same permission, as Magpie
    lists them when not resolved); names are listed once.
    """
    ordered = sorted(permissions, key=_order)
    names: list[str] = []
    for item in ordered:
        explicit = f"{item['name']}-{item['access']}-{item['scope']}"
        if item["access"] == Access.ALLOW.value:
            implicit = (
                item["name"]
                if item["scope"] == Scope.RECURSIVE.value
                else (f"{item['name']}-{Scope.MATCH.value}")
            )
            if implicit not in names:
                names.append(implicit)
        if explicit not in names:
            names.append(explicit)
    return {"permission_names": names, "permissions": ordered}


def allowed_listing(names: Iterable[str]) -> dict[str, Any]:
    """Every access and scope of each allowed name, typed ``allowed``."""
    return permission_listing(
        Permission(name, access, scope).as_dict(PermissionType.ALLOWED)
        for name in set(names)
        for access in Access
        for scope in Scope
    )


def _allowed_on(service_type: str, resource_type: str) -> dict[str, Any]:
    return allowed_listing(allowed_permissions(service_type, resource_type))


def public_url(protected_url: str, service: Resource) -> str:
    """Where clients reach a service through the protecting proxy."""
    return f"{protected_url}/{service.resource_name}"


def service_view(
    service: Resource,
    protected_url: str,
    *,
    private: bool = True,
    structure: bool = False,
    permissions: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A service; ``private`` adds ``service_url``, ``structure`` the resource types allowed."""
    kind = service.service_type or ""
    view: dict[str, Any] = {
        "public_url": public_url(protected_url, service),
        "service_name": service.resource_name,
        "service_type": kind,
        "service_sync_type": service.sync_type,
        "resource_id": service.id,
        "resource_type": SERVICE,
        "configuration": configuration_view(kind, service.configuration),
    }
    if private:
        view["service_url"] = service.service_url
    listing = _allowed_on(kind, SERVICE) if permissions is None else permission_listing(permissions)
    view.update(listing)
    if structure:
        rules = get_service_type(kind)
        view["resource_types_allowed"] = sorted(rules.resource_types[1:])
        view["resource_child_allowed"] = len(rules.resource_types) > 1
        view["resource_structure_allowed"] = structure_allowed(kind)
    return view


def resource_view(
    resource: Resource,
    service_type: str,
    permissions: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A resource (or a service seen as a resource) with its permissions, without children."""
    listing = (
        _allowed_on(service_type, resource.resource_type)
        if permissions is None
        else permission_listing(permissions)
    )
    return {
        "resource_name": resource.resource_name,
        "resource_display_name": resource.display_name or resource.resource_name,
        "resource_type": resource.resource_type,
        "resource_id": resource.id,
        "parent_id": resource.parent_id,
        "root_service_id": resource.root_service_id,
        "resource_child_allowed": child_resource_allowed(service_type, resource.resource_type),
        **listing,
    }


def descendants(session: Session, service: Resource) -> dict[int | None, list[Resource]]:
    """Every resource of a service, grouped by parent id, each group sorted by name."""
    rows = session.scalars(
        select(Resource)
        .where(Resource.root_service_id == service.id)
        .order_by(Resource.resource_name, Resource.id)
    )
    by_parent: dict[int | None, list[Resource]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    return by_parent


def subtree(
    by_parent: Mapping[int | None, list[Resource]],
    parent_id: int,
    service_type: str,
    permissions: PermissionMap | None = None,
    keep: set[int] | None = None,
) -> dict[str, Any]:
    """The ``children`` mapping under ``parent_id``.

    With ``permissions`` each node shows the permissions given for it (none when absent); with
    ``keep`` only nodes in ``keep`` and their ancestors are shown.
    """
    # Built without recursion, so a tree of any depth renders: `order` lists every node after
    # its parent, so walking it backwards builds each node's children before the node itself.
    order: list[Resource] = []
    stack = list(by_parent.get(parent_id, []))
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(by_parent.get(node.id, []))
    views: dict[int, dict[str, Any]] = {}
    for node in reversed(order):
        children = _children(by_parent, node.id, views)
        if keep is not None and node.id not in keep and not children:
            continue
        shown = None if permissions is None else permissions.get(node.id, [])
        views[node.id] = {**resource_view(node, service_type, shown), "children": children}
    return _children(by_parent, parent_id, views)


def _children(
    by_parent: Mapping[int | None, list[Resource]], parent_id: int, views: dict[int, Any]
) -> dict[str, Any]:
    """The built views of ``parent_id``'s children, in ``by_parent``'s order."""
    return {str(c.id): views[c.id] for c in by_parent.get(parent_id, []) if c.id in views}


def service_tree(
    session: Session, service: Resource, protected_url: str, *, private: bool = True
) -> dict[str, Any]:
    """A service with its whole resource tree under ``resources``."""
    kind = service.service_type or ""
    view = service_view(service, protected_url, private=private)
    view["resources"] = subtree(descendants(session, service), service.id, kind)
    return view


def resource_tree(session: Session, resource: Resource) -> dict[str, Any]:
    """A resource (or service) with its children, recursively, keyed by id."""
    root = root_of(session, resource)
    kind = root.service_type or ""
    view = resource_view(resource, kind)
    view["children"] = subtree(descendants(session, root), resource.id, kind)
    return view


def ancestry(session: Session, resource: Resource) -> list[Resource]:
    """The resource, then its parent, ... up to its service."""
    chain = [resource]
    while chain[-1].parent_id is not None:
        parent = session.get(Resource, chain[-1].parent_id)
        assert parent is not None
        chain.append(parent)
    return chain


def resource_parents(
    session: Session, resource: Resource, *, invert: bool, flatten: bool
) -> dict[str, Any] | list[dict[str, Any]]:
    """Magpie's ``?parent=true`` views: the chain up to the service, nested or listed.

    Nested under ``parent`` from the resource up; with ``invert``, nested under ``children``
    from the service down. ``flatten`` lists the same chain instead of nesting it.
    """
    kind = root_of(session, resource).service_type or ""
    chain = ancestry(session, resource)
    if invert:
        chain.reverse()
    if flatten:
        return [resource_view(item, kind) for item in chain]
    key = "children" if invert else "parent"
    nested: dict[str, Any] = {}
    for item in reversed(chain[1:]):
        node = resource_view(item, kind)
        node[key] = nested
        nested = {str(item.id): node}
    top = resource_view(chain[0], kind)
    top[key] = nested
    return top


def structure_allowed(service_type: str) -> dict[str, list[str]]:
    """Magpie's ``resource_structure_allowed``: the child types each resource type (the service
    itself as ``service``) may hold; ``{}`` for a type that holds nothing."""
    rules = get_service_type(service_type).rules
    if not any(rule.children for rule in rules):
        return {}
    return {rule.resource_type: sorted(rule.children) for rule in rules}


def listed_service_types(session: Session) -> list[str]:
    """The service types a listing of every type shows (Magpie's, plus any other in use)."""
    in_use = session.scalars(
        select(Resource.service_type).where(Resource.parent_id.is_(None)).distinct()
    )
    return listed_types(kind for kind in in_use if kind)


def services_by_type(
    session: Session,
    protected_url: str,
    service_type: str | None = None,
    *,
    flatten: bool = False,
) -> dict[str, dict[str, Any]] | list[dict[str, Any]]:
    """Every service grouped ``{type: {name: service}}`` (every known type listed), or a list."""
    kinds = [service_type] if service_type else listed_service_types(session)
    query = select(Resource).where(Resource.parent_id.is_(None)).order_by(Resource.resource_name)
    grouped: dict[str, dict[str, Any]] = {kind: {} for kind in kinds}
    listed: list[dict[str, Any]] = []
    for service in session.scalars(query):
        kind = service.service_type or ""
        if kind not in grouped:
            continue
        view = service_view(service, protected_url)
        grouped[kind][service.resource_name] = view
        listed.append(view)
    return listed if flatten else grouped


def resources_by_type(session: Session, protected_url: str) -> dict[str, dict[str, Any]]:
    """Every service with its tree, ``{type: {name: tree}}`` (``GET /resources``)."""
    grouped: dict[str, dict[str, Any]] = {kind: {} for kind in listed_service_types(session)}
    query = select(Resource).where(Resource.parent_id.is_(None)).order_by(Resource.resource_name)
    for service in session.scalars(query):
        tree = service_tree(session, service, protected_url, private=False)
        grouped.setdefault(service.service_type or "", {})[service.resource_name] = tree
    return grouped


def service_type_resources(service_type: str) -> list[dict[str, Any]]:
    """The resource types a service type knows, each with its allowed permissions."""
    rules = get_service_type(service_type)
    return [
        {
            "resource_type": rule.resource_type,
            "resource_child_allowed": bool(rule.children),
            **allowed_listing(rule.permissions),
        }
        for rule in sorted(rules.rules[1:], key=lambda rule: rule.resource_type)
    ]
