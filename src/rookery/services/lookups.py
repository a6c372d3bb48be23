"""Finding users, groups and resources by the names clients use, with 404s that say what.

A name no row can hold (one with a NUL character, which PostgreSQL text refuses) is simply not
found: it is never sent to the database.

The lookups every request makes (the session check, a service, user or group by name) run
statements built once, here, with bound parameters: SQLAlchemy then neither rebuilds the
statement nor recomputes its cache key per call, which halved their CPU (docs/BENCHMARKS.md,
thirteenth pass).
"""

from __future__ import annotations

from typing import NamedTuple, cast

from sqlalchemy import Connection, Table, bindparam, exists, select
from sqlalchemy.orm import Session

from rookery.db.models import Group, Membership, Resource, User
from rookery.domain.names import name_key
from rookery.errors import InvalidInputError, NotFoundError

ADMIN_GROUP = "administrators"
ANONYMOUS = "anonymous"
ANONYMOUS_PRIORITY = -1
ADMIN_PRIORITY = 2**31 - 1

_USER_BY_KEY = select(User).where(User.name_key == bindparam("key"))
_GROUP_BY_KEY = select(Group).where(Group.name_key == bindparam("key"))
_SERVICE_BY_KEY = select(Resource).where(
    Resource.parent_id.is_(None), Resource.name_key == bindparam("key")
)
_GROUPS_OF = (
    select(Group)
    .join(Membership, Membership.group_id == Group.id)
    .where(Membership.user_id == bindparam("user_id"))
    .order_by(Group.group_name)
)
_USERS, _MEMBERSHIPS, _GROUPS = (
    cast(Table, model.__table__) for model in (User, Membership, Group)
)
# Core columns, not the ORM's: run on a read connection, no session needed.
_CALLER = select(
    _USERS.c.id,
    _USERS.c.user_name,
    _USERS.c.sessions_valid_from,
    exists().where(
        _MEMBERSHIPS.c.user_id == _USERS.c.id,
        _MEMBERSHIPS.c.group_id == _GROUPS.c.id,
        _GROUPS.c.group_name == ADMIN_GROUP,
    ),
).where(_USERS.c.id == bindparam("user_id"))


def storable(name: object) -> bool:
    """Whether a row could hold ``name`` (PostgreSQL text refuses NUL characters)."""
    return isinstance(name, str) and "\x00" not in name


def find_user(session: Session, user_name: str) -> User | None:
    """The user named ``user_name`` (case-insensitive), or None."""
    if not storable(user_name):
        return None
    return session.scalar(_USER_BY_KEY, {"key": name_key(user_name)})


class Caller(NamedTuple):
    """What checking a session needs of its user: who, since when, and whether an admin."""

    id: int
    user_name: str
    sessions_valid_from: int
    is_admin: bool


def caller_by_id(reader: Session | Connection, user_id: int) -> Caller | None:
    """The user with id ``user_id`` as a :class:`Caller`, in one statement, or None."""
    row = reader.execute(_CALLER, {"user_id": user_id}).one_or_none()
    return None if row is None else Caller(row[0], row[1], row[2], bool(row[3]))


def get_user(session: Session, user_name: str) -> User:
    """The user named ``user_name``; NotFoundError otherwise."""
    user = find_user(session, user_name)
    if user is None:
        raise NotFoundError(
            f"user '{user_name}' does not exist", param="user_name", value=user_name
        )
    return user


def find_group(session: Session, group_name: str) -> Group | None:
    """The group named ``group_name`` (case-insensitive), or None."""
    if not storable(group_name):
        return None
    return session.scalar(_GROUP_BY_KEY, {"key": name_key(group_name)})


def get_group(session: Session, group_name: str) -> Group:
    """The group named ``group_name``; NotFoundError otherwise."""
    group = find_group(session, group_name)
    if group is None:
        raise NotFoundError(
            f"group '{group_name}' does not exist", param="group_name", value=group_name
        )
    return group


def find_service(session: Session, service_name: str) -> Resource | None:
    """The service named ``service_name`` (case-insensitive), or None."""
    if not storable(service_name):
        return None
    return session.scalar(_SERVICE_BY_KEY, {"key": name_key(service_name)})


def get_service(session: Session, service_name: str) -> Resource:
    """The service named ``service_name``; NotFoundError otherwise."""
    service = find_service(session, service_name)
    if service is None:
        raise NotFoundError(
            f"service '{service_name}' does not exist", param="service_name", value=service_name
        )
    return service


def get_resource(session: Session, resource_id: object) -> Resource:
    """The service or resource with this id; InvalidInputError for a non-integer id."""
    try:
        rid = int(str(resource_id))
    except ValueError:
        raise InvalidInputError(
            f"resource_id must be an integer, got {resource_id!r}",
            param="resource_id",
            value=resource_id,
            compare="Type[int]",
        ) from None
    resource = session.get(Resource, rid) if -(2**31) <= rid < 2**31 else None
    if resource is None:
        raise NotFoundError(f"resource {rid} does not exist", param="resource_id", value=rid)
    return resource


def root_of(session: Session, resource: Resource) -> Resource:
    """The service a resource belongs to (itself for a service)."""
    if resource.root_service_id is None:
        return resource
    root = session.get(Resource, resource.root_service_id)
    assert root is not None
    return root


def groups_of(session: Session, user: User) -> list[Group]:
    """The user's groups by name, as ``user.groups`` holds them, in one built statement."""
    return list(session.scalars(_GROUPS_OF, {"user_id": user.id}))


def get_holder(session: Session, kind: str, name: str) -> User | Group:
    """The user (``kind`` "user") or group named ``name``; NotFoundError otherwise."""
    return get_user(session, name) if kind == "user" else get_group(session, name)


def get_resource_in_service(session: Session, service_name: str, resource_id: object) -> Resource:
    """The resource, which must be the service itself or lie inside it (404 on service_name)."""
    service = get_service(session, service_name)
    resource = get_resource(session, resource_id)
    if service.id not in (resource.id, resource.root_service_id):
        raise NotFoundError(
            f"resource {resource.id} is not located under service '{service.resource_name}'",
            param="service_name",
            value=service_name,
        )
    return resource
