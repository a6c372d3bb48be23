"""Moving a resource elsewhere in its service's tree (the console's edit; renames: ``renames``).

Invariants: a resource keeps its id, its permissions and its subtree; siblings never share a
name (case-insensitive); a resource moves only inside its own service, never under itself or
one of its descendants, only under a parent whose type accepts its type, and never so that
its subtree reaches below ``ROOKERY_RESOURCE_MAX_DEPTH``. Services are never moved. Magpie has
no webhook action for a move, so none is published.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rookery.db import trees
from rookery.db.models import Resource
from rookery.domain.names import name_key
from rookery.domain.service_types import check_child_type_allowed
from rookery.errors import ConflictError, InvalidInputError
from rookery.services.lookups import get_resource, root_of
from rookery.services.unit_of_work import UnitOfWork


def _check_free(session: Session, parent_id: int | None, name: str, moving: Resource) -> None:
    """ConflictError when another node under ``parent_id`` already has ``name``."""
    where = Resource.parent_id.is_(None) if parent_id is None else Resource.parent_id == parent_id
    clash = session.scalar(
        select(Resource.resource_name).where(
            where, Resource.name_key == name_key(name), Resource.id != moving.id
        )
    )
    if clash is not None:
        raise ConflictError(
            f"a resource named '{name}' already exists there",
            param="resource_name",
            value=name,
            compare=[clash],
        )


def _is_below(session: Session, node: Resource, ancestor: Resource) -> bool:
    return ancestor.id in trees.ancestor_ids(session, node.id)


def _check_depth_after_move(uow: UnitOfWork, resource: Resource, parent: Resource) -> None:
    """InvalidInputError when the moved subtree would reach below the depth limit."""
    limit = uow.settings.resource_max_depth
    height = max(depth for _, depth in trees.descendants(uow.session, resource.id))
    deepest = trees.depth_of(uow.session, parent.id) + 1 + height
    if deepest > limit:
        raise InvalidInputError(
            f"moving resource {resource.id} under {parent.id} would put its subtree {deepest} "
            f"levels below the service; at most {limit} are allowed (ROOKERY_RESOURCE_MAX_DEPTH)",
            param="parent_id",
            value=parent.id,
        )


def move_resource(uow: UnitOfWork, resource_id: object, new_parent_id: object) -> None:
    """Put a resource (with its subtree) under another node of the same service."""
    with uow:
        session = uow.session
        resource = get_resource(session, resource_id)
        if resource.parent_id is None:
            raise InvalidInputError(
                "a service cannot be moved", param="resource_id", value=resource.id
            )
        parent = get_resource(session, new_parent_id)
        root = root_of(session, resource)
        if root_of(session, parent).id != root.id:
            raise InvalidInputError(
                f"resource {parent.id} is in another service", param="parent_id", value=parent.id
            )
        if _is_below(session, parent, resource):
            raise InvalidInputError(
                "a resource cannot move under itself or its own descendants",
                param="parent_id",
                value=parent.id,
            )
        check_child_type_allowed(
            root.service_type or "", parent.resource_type, resource.resource_type
        )
        _check_free(session, parent.id, resource.resource_name, resource)
        _check_depth_after_move(uow, resource, parent)
        resource.parent_id = parent.id
        session.flush()
        uow.commit()
