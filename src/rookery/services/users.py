"""User use cases: create, read, update, delete, and group memberships."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from rookery.db.models import Group, Membership, Token, User
from rookery.domain.membership_statuses import MembershipStatus, parse_membership_status
from rookery.domain.names import (
    RESERVED_USER_NAMES,
    name_key,
    validate_email,
    validate_group_name,
    validate_password,
    validate_user_name,
)
from rookery.domain.statuses import UserStatus, parse_status
from rookery.domain.token_operations import TokenOperation
from rookery.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from rookery.services import administrators, events
from rookery.services.auth import revoke_sessions
from rookery.services.conflicts import settle_races
from rookery.services.lookups import ANONYMOUS, find_user, get_group, get_user
from rookery.services.passwords import hash_password
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import WebhookAction


def user_view(user: User, *, detailed: bool = True) -> dict[str, Any]:
    """A user as the API renders it (status by name)."""
    view: dict[str, Any] = {
        "user_name": user.user_name,
        "email": user.email,
        "status": UserStatus(user.status).label,
        "user_id": user.id,
    }
    if detailed:
        view["group_names"] = [g.group_name for g in user.groups]
        view["has_pending_group"] = bool(_pending_group_names(user))
    return view


def _pending_group_names(user: User) -> list[str]:
    """Groups whose terms ``user`` was asked to accept and has not accepted yet."""
    session = object_session(user)
    if session is None:
        return []
    query = (
        select(Group.group_name)
        .join(Token, Token.group_id == Group.id)
        .where(
            Token.user_id == user.id,
            Token.operation == TokenOperation.GROUP_ACCEPT_TERMS.value,
        )
        .distinct()
        .order_by(Group.group_name)
    )
    return list(session.scalars(query))


def list_users(session: Session, status: object = None) -> list[User]:
    """Every user sorted by name, optionally only those with ``status``."""
    query = select(User).order_by(User.user_name)
    if status not in (None, ""):
        query = query.where(User.status == int(parse_status(status)))
    return list(session.scalars(query))


def _check_unique(session: Session, user_name: str | None, email: str | None) -> None:
    taken = find_user(session, user_name) if user_name is not None else None
    if taken is not None:
        raise ConflictError(
            f"user name '{user_name}' is already taken",
            param="user_name",
            value=user_name,
            compare=[taken.user_name],
        )
    if (
        email is not None
        and session.scalar(select(User.id).where(User.email_key == name_key(email))) is not None
    ):
        raise ConflictError(
            f"email '{email}' is already used by another user", param="email", value=email
        )


def _new_user_name(session: Session, value: object, renamed: User | None = None) -> str:
    """A valid new user name. Magpie compares names without case: a refused spelling of a
    name already held (``ALICE`` when ``alice`` exists, even when renaming ``alice`` itself)
    is the 409 of that clash rather than a 400 about its letters."""
    try:
        return validate_user_name(value)
    except InvalidInputError:
        twin = find_user(session, value) if isinstance(value, str) else None
        if twin is not None and (renamed is None or value != renamed.user_name):
            raise ConflictError(
                f"user name '{value}' is already taken",
                param="user_name",
                value=value,
                compare=[twin.user_name],
            ) from None
        raise


def add_new_user(
    uow: UnitOfWork,
    user_name: object,
    email: object,
    password: object,
    group_name: object = None,
) -> User:
    """Create a user inside an open unit of work and publish ``create_user``."""
    name = _new_user_name(uow.session, user_name)
    mail = validate_email(email)
    secret = validate_password(password, uow.settings.password_min_length)
    if group_name is not None:
        if not isinstance(group_name, str):
            raise InvalidInputError(
                "group_name must be a string",
                param="group_name",
                value=group_name,
                compare="Type[str]",
            )
        validate_group_name(group_name)  # a malformed (or empty) name is 400, as in Magpie
    # Hashed before the first statement: Argon2id's ~80 ms must not hold the transaction
    # (on SQLite, the process's one write lock; on PostgreSQL, a connection).
    password_hash = hash_password(secret)
    group = get_group(uow.session, group_name) if group_name else None
    return insert_user(uow, name, mail, password_hash, group)


def insert_user(
    uow: UnitOfWork, name: str, mail: str, password_hash: str, group: Group | None = None
) -> User:
    """Add a user from validated values (409 if taken) and publish ``create_user``."""
    session = uow.session
    _check_unique(session, name, mail)
    user = User(
        user_name=name,
        name_key=name_key(name),
        email=mail,
        email_key=name_key(mail),
        password_hash=password_hash,
        status=int(UserStatus.OK),
        status_version=0,
    )
    session.add(user)
    session.flush()
    for member_of in {get_group(session, ANONYMOUS), *([group] if group else [])}:
        session.add(Membership(user_id=user.id, group_id=member_of.id))
    session.flush()
    session.refresh(user, ["groups"])
    events.publish(
        uow, WebhookAction.CREATE_USER, f"user:{user.id}", events.user_params(user), user=user
    )
    return user


@settle_races
def create_user(
    uow: UnitOfWork,
    user_name: object,
    email: object,
    password: object,
    group_name: object = None,
) -> dict[str, Any]:
    """Create a user (member of ``anonymous`` and of ``group_name`` if given)."""
    with uow:
        user = add_new_user(uow, user_name, email, password, group_name)
        view = user_view(user)
        uow.commit()
    return view


@settle_races
def update_user(
    uow: UnitOfWork, user_name: str, changes: dict[str, Any], *, actor_is_admin: bool
) -> dict[str, Any]:
    """Change name, email, password or status; 400 when nothing would change."""
    # Hashed before the transaction opens, as in add_new_user (Argon2id must not hold it).
    password_hash = None
    if changes.get("password") is not None:
        secret = validate_password(changes["password"], uow.settings.password_min_length)
        password_hash = hash_password(secret)
    with uow:
        user = get_user(uow.session, user_name)
        if user.user_name == ANONYMOUS:
            raise ForbiddenError("the anonymous user cannot be edited")
        changed = _apply_changes(
            uow, user, changes, password_hash=password_hash, actor_is_admin=actor_is_admin
        )
        if not changed:
            raise InvalidInputError(
                "nothing to update: every given value is already current", param="body"
            )
        if {"user_name", "email"} & changed:
            events.publish(
                uow,
                WebhookAction.UPDATE_USER,
                f"user:{user.id}",
                events.user_params(user, with_status=True),
            )
        if "status" in changed:
            events.publish(
                uow,
                WebhookAction.UPDATE_USER_STATUS,
                f"user:{user.id}",
                events.user_params(user, with_status=True),
                user=user,
            )
        view = user_view(user)
        uow.commit()
    return view


def _apply_changes(
    uow: UnitOfWork,
    user: User,
    changes: dict[str, Any],
    *,
    password_hash: str | None,
    actor_is_admin: bool,
) -> set[str]:
    changed: set[str] = set()
    if changes.get("user_name") not in (None, user.user_name):
        if not actor_is_admin:
            raise ForbiddenError("only administrators may rename a user", param="user_name")
        if str(changes["user_name"]).strip().lower() in RESERVED_USER_NAMES:
            raise ForbiddenError(
                f"'{changes['user_name']}' is reserved (it means the signed-in user)",
                param="user_name",
                value=changes["user_name"],
            )
        new_name = _new_user_name(uow.session, changes["user_name"], user)
        if name_key(new_name) != user.name_key:
            _check_unique(uow.session, new_name, None)
        user.user_name, user.name_key = new_name, name_key(new_name)
        changed.add("user_name")
    if changes.get("email") not in (None, user.email):
        mail = validate_email(changes["email"])
        if name_key(mail) != user.email_key:
            _check_unique(uow.session, None, mail)
        user.email, user.email_key = mail, name_key(mail)
        changed.add("email")
    if password_hash is not None:
        user.password_hash = password_hash
        revoke_sessions(user)
        changed.add("password")
    if changes.get("status") not in (None, ""):
        if not actor_is_admin:
            raise ForbiddenError("only administrators may change a user's status", param="status")
        status = parse_status(changes["status"])
        if int(status) != user.status:
            set_status(user, status)
            changed.add("status")
    return changed


def set_status(user: User, status: UserStatus) -> None:
    """Change a user's status and bump its version (see Delivery.error_status_version)."""
    user.status = int(status)
    user.status_version = (user.status_version or 0) + 1


@settle_races  # a deadlock over her row and her lane's (CI met one) runs it once more
def delete_user(uow: UnitOfWork, user_name: str) -> None:
    """Delete a user; ``anonymous``, the bootstrap and the last administrator are 403."""
    with uow:
        user = get_user(uow.session, user_name)
        if user.user_name == ANONYMOUS:
            raise ForbiddenError(
                f"user '{user.user_name}' is built in and cannot be deleted",
                param="user_name",
                value=user.user_name,
            )
        administrators.check_can_delete(uow.session, user)
        events.publish(uow, WebhookAction.DELETE_USER, f"user:{user.id}", events.user_params(user))
        uow.session.delete(user)
        uow.commit()


def user_group_names(session: Session, user_name: str, status: object = None) -> list[str]:
    """Names of a user's groups (``status``: active, the default; pending; or all), sorted."""
    which = parse_membership_status(status)
    user = get_user(session, user_name)
    names = [] if which is MembershipStatus.PENDING else [g.group_name for g in user.groups]
    if which is not MembershipStatus.ACTIVE:
        names = sorted({*names, *_pending_group_names(user)})
    return names


@settle_races
def add_membership(uow: UnitOfWork, user_name: str, group_name: object) -> dict[str, str]:
    """Put a user in a group; 409 when already a member."""
    if not isinstance(group_name, str) or not group_name:
        raise InvalidInputError(
            "group_name is required (a string)", param="group_name", value=group_name
        )
    with uow:
        user = get_user(uow.session, user_name)
        if user.user_name == ANONYMOUS:
            raise ForbiddenError(
                "the anonymous user cannot join groups", param="user_name", value=user_name
            )
        group = get_group(uow.session, group_name)
        if uow.session.get(Membership, (user.id, group.id)) is not None:
            raise ConflictError(
                f"user '{user.user_name}' is already in group '{group.group_name}'",
                param="group_name",
                value=group_name,
            )
        uow.session.add(Membership(user_id=user.id, group_id=group.id))
        _publish_membership(uow, WebhookAction.ADD_USER_TO_GROUP, user, group)
        uow.commit()
        return {"user_name": user.user_name, "group_name": group.group_name}


def remove_membership(uow: UnitOfWork, user_name: str, group_name: str) -> None:
    """Take a user out of a group; nobody leaves ``anonymous`` (403)."""
    with uow:
        user = get_user(uow.session, user_name)
        group = get_group(uow.session, group_name)
        if group.group_name == ANONYMOUS:
            raise ForbiddenError(
                "every user stays a member of 'anonymous'", param="group_name", value=group_name
            )
        administrators.check_can_leave(uow.session, user, group)
        membership = uow.session.get(Membership, (user.id, group.id))
        if membership is None:
            raise NotFoundError(
                f"user '{user.user_name}' is not in group '{group.group_name}'",
                param="group_name",
                value=group_name,
            )
        uow.session.delete(membership)
        _publish_membership(uow, WebhookAction.REMOVE_USER_FROM_GROUP, user, group)
        uow.commit()


def publish_membership(uow: UnitOfWork, user: User, group: Group) -> None:
    """Publish ``add_user_to_group`` for a membership added in the open transaction."""
    _publish_membership(uow, WebhookAction.ADD_USER_TO_GROUP, user, group)


def _publish_membership(uow: UnitOfWork, action: WebhookAction, user: User, group: Group) -> None:
    events.publish(
        uow, action, f"user:{user.id}", {**events.user_params(user), **events.group_params(group)}
    )
