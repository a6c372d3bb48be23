"""Resource trees walked by the database, never by Python recursion.

A resource tree may be deeper than any stack (one created before the depth limit existed, or
written straight into the database), so every walk here is one recursive CTE: ancestors of a
node (for depth checks and permission resolution) and descendants with their depth (for
rendering and deleting). Invariants: results are complete for any depth; ancestors come
nearest first; descendants come with their distance below the start node (0 for the node).
"""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.orm import Session, aliased

from rookery.db.models import Resource


def ancestor_ids(session: Session, resource_id: int) -> list[int]:
    """``resource_id`` and every resource above it, nearest first, ending with its service."""
    walk = (
        select(Resource.id, Resource.parent_id, literal(0).label("up"))
        .where(Resource.id == resource_id)
        .cte("ancestors", recursive=True)
    )
    parent = aliased(Resource)
    walk = walk.union_all(
        select(parent.id, parent.parent_id, (walk.c.up + 1).label("up")).where(
            parent.id == walk.c.parent_id
        )
    )
    return list(session.scalars(select(walk.c.id).order_by(walk.c.up)))


def depth_of(session: Session, resource_id: int) -> int:
    """How many levels below its service ``resource_id`` lies (0 for a service)."""
    return len(ancestor_ids(session, resource_id)) - 1


def descendants(session: Session, resource_id: int) -> list[tuple[Resource, int]]:
    """``(resource, depth)`` for the node and everything below it, parents before children."""
    walk = (
        select(Resource.id, literal(0).label("depth"))
        .where(Resource.id == resource_id)
        .cte("descendants", recursive=True)
    )
    child = aliased(Resource)
    walk = walk.union_all(
        select(child.id, (walk.c.depth + 1).label("depth")).where(child.parent_id == walk.c.id)
    )
    query = (
        select(Resource, walk.c.depth)
        .join(walk, Resource.id == walk.c.id)
        .order_by(walk.c.depth, Resource.resource_name, Resource.id)
    )
    rows = session.execute(query).all()
    return [(node, int(depth)) for node, depth in rows]
