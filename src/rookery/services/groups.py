"""Group use cases; the built-in ``administrators`` and ``anonymous`` groups are protected."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rookery.db.models import Group
from rookery.domain.names import MAX_DESCRIPTION_LENGTH, name_key, validate_group_name
from rookery.errors import ConflictError, ForbiddenError, InvalidInputError
from rookery.services import events
from rookery.services.conflicts import settle_races
from rookery.services.lookups import ADMIN_GROUP, ANONYMOUS, find_group, get_group
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import WebhookAction

BUILT_IN = {ADMIN_GROUP, ANONYMOUS}
# Terms are shown in an e-mail and accepted as a whole: long enough for real terms, bounded.
MAX_TERMS_LENGTH = 20_000


def group_view(group: Group, *, detailed: bool = False) -> dict[str, Any]:
    """A group as the API renders it."""
    view: dict[str, Any] = {"group_name": group.group_name, "group_id": group.id}
    if detailed:
        view.update(
            description=group.description,
            discoverable=group.discoverable,
            terms=group.terms,
            priority="max" if group.group_name == ADMIN_GROUP else group.priority,
            member_count=len(group.users),
            user_names=[u.user_name for u in group.users],
        )
    return view


def list_group_names(session: Session) -> list[str]:
    """Every group name, sorted."""
    return list(session.scalars(select(Group.group_name).order_by(Group.group_name)))


def _as_bool(value: object, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.lower() in {"true", "1", "yes"}
    raise InvalidInputError(
        f"{param} must be a boolean, got {value!r}", param=param, value=value, compare="Type[bool]"
    )


def _description(value: object) -> str | None:
    return _text(value, "description", MAX_DESCRIPTION_LENGTH)


def _text(value: object, param: str, maximum: int) -> str | None:
    if isinstance(value, str) and len(value) > maximum:
        raise InvalidInputError(
            f"{param} is too long: at most {maximum} characters",
            param=param,
            value=len(value),
            compare=range(maximum + 1),
        )
    if value is None or isinstance(value, str):
        return value
    raise InvalidInputError(
        f"{param} must be a string, got {value!r}",
        param=param,
        value=value,
        compare="Type[str]",
    )


@settle_races
def create_group(
    uow: UnitOfWork,
    group_name: object,
    description: object = None,
    discoverable: object = False,
    terms: object = None,
) -> dict[str, Any]:
    """Create a group; 409 on a duplicate name."""
    name = validate_group_name(group_name)
    with uow:
        taken = find_group(uow.session, name)
        if taken is not None:
            raise ConflictError(
                f"group '{name}' already exists",
                param="group_name",
                value=name,
                compare=[taken.group_name],
            )
        group = Group(
            group_name=name,
            name_key=name_key(name),
            description=_description(description),
            discoverable=_as_bool(discoverable, "discoverable"),
            terms=_text(terms, "terms", MAX_TERMS_LENGTH) or None,
            priority=0,
        )
        uow.session.add(group)
        uow.session.flush()
        events.publish(
            uow, WebhookAction.CREATE_GROUP, f"group:{group.id}", events.group_params(group)
        )
        view = group_view(group)
        uow.commit()
    return view


@settle_races
def update_group(uow: UnitOfWork, group_name: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Rename or describe a group; built-in groups cannot be renamed (403)."""
    with uow:
        group = get_group(uow.session, group_name)
        changed = False
        new_name = changes.get("group_name")
        if new_name not in (None, group.group_name):
            if group.group_name in BUILT_IN:
                raise ForbiddenError(
                    f"built-in group '{group.group_name}' cannot be renamed",
                    param="group_name",
                    value=new_name,
                )
            name = validate_group_name(new_name)
            other = find_group(uow.session, name)
            if other is not None and other.id != group.id:
                raise ConflictError(
                    f"group '{name}' already exists",
                    param="group_name",
                    value=name,
                    compare=[other.group_name],
                )
            group.group_name, group.name_key, changed = name, name_key(name), True
        if "description" in changes and changes["description"] != group.description:
            group.description, changed = _description(changes["description"]), True
        if "terms" in changes:
            # Members accepted the terms as they were: Magpie keeps them fixed once set.
            raise InvalidInputError(
                "a group's terms cannot be changed after it is created",
                param="terms",
                value=_jsonable_terms(changes["terms"]),
            )
        if "discoverable" in changes:
            flag = _as_bool(changes["discoverable"], "discoverable")
            changed = changed or flag != group.discoverable
            group.discoverable = flag
        if not changed:
            raise InvalidInputError(
                "nothing to update: every given value is already current", param="body"
            )
        view = group_view(group, detailed=True)
        uow.commit()
    return view


def delete_group(uow: UnitOfWork, group_name: str) -> None:
    """Delete a group with its memberships and permissions; built-in groups are 403."""
    with uow:
        group = get_group(uow.session, group_name)
        if group.group_name in BUILT_IN:
            raise ForbiddenError(
                f"built-in group '{group.group_name}' cannot be deleted",
                param="group_name",
                value=group_name,
            )
        events.publish(
            uow, WebhookAction.DELETE_GROUP, f"group:{group.id}", events.group_params(group)
        )
        uow.session.delete(group)
        uow.commit()


def _jsonable_terms(value: object) -> object:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
