"""Resource trees walked by the database, never by Python recursion.

A resource tree may be deeper than any stack (one created before the depth limit existed, or
written straight into the database), so every walk here is one recursive CTE: ancestors of a
node (for depth checks and permission resolution) and descendants with their depth (for
rendering and deleting). Invariants: results are complete for any depth; ancestors come
nearest first; descendants come with their distance below the start node (0 for the node).
Both statements are built once, with the start node a bound parameter: building a recursive
CTE costs more CPU than running it (docs/BENCHMARKS.md, thirteenth pass).
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, literal, select
from sqlalchemy.orm import Session, aliased

from rookery.db.models import Resource


def _ancestors_query() -> Select[int]:
    walk = (
        select(Resource.id, Resource.parent_id, literal(0).label("up"))
        .where(Resource.id == bindparam("start"))
        .cte("ancestors", recursive=True)
    )
    parent = aliased(Resource)
    walk = walk.union_all(
        select(parent.id, parent.parent_id, (walk.c.up + 1).label("up")).where(
            parent.id == walk.c.parent_id
        )
    )
    return select(walk.c.id).order_by(walk.c.up)


def _descendants_query() -> Select[Resource, int]:
    walk = (
        select(Resource.id, literal(0).label("depth"))
        .where(Resource.id == bindparam("start"))
        .cte("descendants", recursive=True)
    )
    child = aliased(Resource)
    walk = walk.union_all(
        select(child.id, (walk.c.depth + 1).label("depth")).where(child.parent_id == walk.c.id)
    )
    return (
        select(Resource, walk.c.depth)
        .join(walk, Resource.id == walk.c.id)
        .order_by(walk.c.depth, Resource.resource_name, Resource.id)
    )


_ANCESTORS = _ancestors_query()
_DESCENDANTS = _descendants_query()


def ancestor_ids(session: Session, resource_id: int) -> list[int]:
    """``resource_id`` and every resource above it, nearest first, ending with its service."""
    return list(session.scalars(_ANCESTORS, {"start": resource_id}))


def depth_of(session: Session, resource_id: int) -> int:
    """How many levels below its service ``resource_id`` lies (0 for a service)."""
    return len(ancestor_ids(session, resource_id)) - 1


def descendants(session: Session, resource_id: int) -> list[tuple[Resource, int]]:
    """``(resource, depth)`` for the node and everything below it, parents before children."""
    rows = session.execute(_DESCENDANTS, {"start": resource_id}).all()
    return [(node, int(depth)) for node, depth in rows]
