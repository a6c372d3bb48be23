"""The console's permissions editor: one holder's permissions over a service's whole tree.

For every node of the tree it lists side by side what is applied to the holder there, what the
holder receives there from its groups (users only), and — for a user — the effective answer for
each permission the node allows, with the reason ``domain.resolution`` gives ("why may alice
read this?"). Changes go through ``services.permissions`` in a unit of work each, so they
publish the same events as the API's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rookery.db import trees
from rookery.db.models import Resource
from rookery.domain.permissions import parse_permission
from rookery.domain.service_types import allowed_permissions
from rookery.services import permissions as perms
from rookery.services.lookups import get_resource, get_service, root_of
from rookery.services.unit_of_work import UnitOfWork


@dataclass
class NodeAccess:
    """One node of the tree with the holder's applied, inherited and effective permissions."""

    resource_id: int
    name: str
    resource_type: str
    depth: int
    allowed: tuple[str, ...]
    applied: list[dict[str, Any]] = field(default_factory=list)
    inherited: list[dict[str, Any]] = field(default_factory=list)
    effective: list[dict[str, Any]] = field(default_factory=list)


def service_nodes(session: Session, service_name: str) -> list[tuple[Resource, int]]:
    """The service and every resource below it, depth first by name, with their depth.

    One recursive query and a loop with an explicit stack: a tree of any depth renders.
    """
    service, *below = trees.descendants(session, get_service(session, service_name).id)
    children: dict[int | None, list[tuple[Resource, int]]] = defaultdict(list)
    for node, depth in below:
        children[node.parent_id].append((node, depth))
    ordered: list[tuple[Resource, int]] = []
    stack = [service]
    while stack:
        node, depth = stack.pop()
        ordered.append((node, depth))
        stack.extend(sorted(children[node.id], key=lambda c: c[0].resource_name, reverse=True))
    return ordered


def permission_matrix(
    session: Session, ref: perms.HolderRef, service_name: str
) -> list[NodeAccess]:
    """Applied / inherited / effective permissions of ``ref`` on every node of the service."""
    rows = []
    for node, depth in service_nodes(session, service_name):
        root = root_of(session, node)
        access = NodeAccess(
            node.id,
            node.resource_name,
            node.resource_type,
            depth,
            allowed_permissions(root.service_type or "", node.resource_type),
        )
        access.applied = perms.list_permissions(session, ref, node)["permissions"]
        if ref.kind == "user":
            inherited = perms.list_permissions(session, ref, node, inherited=True)
            access.inherited = [
                p for p in inherited["permissions"] if p["reason"].startswith("group:")
            ]
            access.effective = perms.list_permissions(session, ref, node, effective=True)[
                "permissions"
            ]
        rows.append(access)
    return rows


def grant(uow: UnitOfWork, ref: perms.HolderRef, resource_id: object, permission: object) -> str:
    """Apply (or replace) one permission, e.g. ``read-allow-recursive``; returns its name."""
    perm = parse_permission(permission)
    with uow:
        resource = get_resource(uow.session, resource_id)
        perms.apply_permission(uow, ref, resource, perm, replace=True)
        uow.commit()
    return perm.explicit


def revoke(uow: UnitOfWork, ref: perms.HolderRef, resource_id: object, name: str) -> None:
    """Remove the holder's permission ``name`` from one node."""
    with uow:
        perms.remove_permission(uow, ref, get_resource(uow.session, resource_id), name)
        uow.commit()


def allowed_on_services(session: Session, user_name: str) -> list[dict[str, Any]]:
    """For each service: the permissions a user is effectively allowed on it, with reasons."""
    ref = perms.HolderRef("user", user_name)
    services = session.scalars(
        select(Resource).where(Resource.parent_id.is_(None)).order_by(Resource.resource_name)
    )
    found = []
    for service in services:
        effective = perms.list_permissions(session, ref, service, effective=True)["permissions"]
        found.append(
            {
                "service": service.resource_name,
                "type": service.service_type,
                "allowed": [p for p in effective if p["access"] == "allow"],
            }
        )
    return found
