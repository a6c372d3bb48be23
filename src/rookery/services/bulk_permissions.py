"""``PATCH /permissions``: Magpie's bulk change of permissions along one resource path.

The body lists the path from a service down: the first entry names the service
(``resource_type: service``), each following entry the next resource below the previous one.
Any entry may carry a ``permission`` for a ``user`` and/or a ``group``, with ``action`` ``create``
(default) or ``remove``; it applies to the resource that entry names. Resources of the path that
do not exist yet are created with the entry's type.

Everything happens in one transaction: any refusal (unknown user or group, a type not allowed
there, a permission not allowed on that type) changes nothing and is a 400 naming the field.
Creating a permission that is already there is a no-op; creating one that differs only in
access or scope replaces it (delete then create, as ``PUT`` does); removing a permission that is
not there is a no-op. Each real change publishes its usual webhook event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rookery.db.models import Resource
from rookery.domain.names import name_key, validate_resource_name
from rookery.domain.permissions import parse_permission
from rookery.domain.service_types import SERVICE
from rookery.errors import ConflictError, InvalidInputError, NotFoundError, RookeryError
from rookery.services import permissions, resources
from rookery.services.lookups import find_group, find_user, get_service
from rookery.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Step:
    """One entry of the path, with the permission change it carries (if any)."""

    name: str
    resource_type: str
    entry: dict[str, Any]


def _bad(detail: str, param: str, value: Any = None) -> InvalidInputError:
    # Magpie reports the body's own entries here, as JSON, not as their text.
    return InvalidInputError(detail, param=param, value=value, value_as_given=True)


def read_steps(entries: object) -> list[Step]:
    """Validate the ``permissions`` list into path steps, the service first."""
    if not isinstance(entries, list) or not entries:
        raise _bad("permissions must be a non-empty list", "permissions", entries)
    steps: list[Step] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _bad(f"permissions[{index}] must be an object", "permissions", entry)
        name, kind = entry.get("resource_name"), entry.get("resource_type")
        if not isinstance(name, str) or not name:
            raise _bad(f"permissions[{index}] needs a resource_name", "resource_name", entry)
        if not isinstance(kind, str) or not kind:
            raise _bad(f"permissions[{index}] needs a resource_type", "resource_type", entry)
        if (index == 0) != (kind == SERVICE):
            # Magpie reports the whole list here: the path it describes is what is wrong.
            raise _bad(
                "the first entry, and only it, must be of resource_type 'service'",
                "resource_type",
                entries,
            )
        if entry.get("permission") and not (entry.get("user") or entry.get("group")):
            raise _bad(f"permissions[{index}] names no user or group", "permissions", entry)
        steps.append(Step(name, kind, entry))
    if not any(step.entry.get("permission") for step in steps):
        raise _bad("no entry carries a permission to change", "permissions", entries)
    return steps


def _holders(uow: UnitOfWork, entry: dict[str, Any]) -> list[permissions.HolderRef]:
    refs = []
    if entry.get("user"):
        if find_user(uow.session, str(entry["user"])) is None:
            raise _bad(f"user '{entry['user']}' does not exist", "user", entry["user"])
        refs.append(permissions.HolderRef("user", str(entry["user"])))
    if entry.get("group"):
        if find_group(uow.session, str(entry["group"])) is None:
            raise _bad(f"group '{entry['group']}' does not exist", "group", entry["group"])
        refs.append(permissions.HolderRef("group", str(entry["group"])))
    return refs


def _child(uow: UnitOfWork, parent: Resource, step: Step) -> Resource:
    found = uow.session.scalar(
        select(Resource).where(
            Resource.parent_id == parent.id, Resource.name_key == name_key(step.name)
        )
    )
    if found is not None:
        return found
    name = validate_resource_name(step.name)
    return resources.add_resource(uow, parent, name, step.resource_type, name)


def _change(uow: UnitOfWork, ref: permissions.HolderRef, target: Resource, step: Step) -> None:
    perm = parse_permission(step.entry["permission"])
    try:
        if str(step.entry.get("action", "create")).lower() == "remove":
            permissions.remove_permission(uow, ref, target, perm.name)
        else:
            permissions.apply_permission(uow, ref, target, perm, replace=True)
    except (ConflictError, NotFoundError):
        pass  # already as asked: nothing to do


def apply_bulk(uow: UnitOfWork, entries: object) -> None:
    """Apply every permission change of the body, creating missing resources on the way."""
    steps = read_steps(entries)
    with uow:
        try:
            node = get_service(uow.session, steps[0].name)
            for index, step in enumerate(steps):
                if index:
                    node = _child(uow, node, step)
                if step.entry.get("permission"):
                    for ref in _holders(uow, step.entry):
                        _change(uow, ref, node, step)
        except InvalidInputError:
            raise
        except RookeryError as error:  # Magpie answers every refusal here with 400
            raise InvalidInputError(
                error.detail,
                param=error.param,
                value=error.value,
                compare=error.compare,
                check=error.check,
                value_as_given=error.value_as_given,
            ) from None
        uow.commit()
