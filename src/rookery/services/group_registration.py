"""Magpie's ``/register/groups``: a signed-in user finds, joins and leaves discoverable groups.

A group that is not discoverable answers 404 exactly like a missing one (its existence is not
revealed). Joining a group with ``terms`` does not make the user a member yet: a
``group-accept-terms`` token is made, its link and the terms are e-mailed to the user (after the
commit; if the e-mail fails the token is removed again and the caller gets 503), and the user's
``has_pending_group`` is true until the link is followed (:mod:`rookery.services.token_links`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rookery.db.models import Group, Membership, Token, User
from rookery.domain.names import name_key
from rookery.domain.token_operations import TokenOperation
from rookery.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    MailUnavailableError,
    NotFoundError,
)
from rookery.services import self_registration as registration
from rookery.services import users
from rookery.services.conflicts import settle_races
from rookery.services.lookups import ANONYMOUS, get_group, get_user
from rookery.services.mail import send_mail
from rookery.services.unit_of_work import UnitOfWork


def discoverable_names(session: Session) -> list[str]:
    """Names of every discoverable group, sorted."""
    query = select(Group.group_name).where(Group.discoverable.is_(True))
    return list(session.scalars(query.order_by(Group.group_name)))


def get_discoverable(session: Session, group_name: str) -> Group:
    """The discoverable group named ``group_name``; 404 for missing and hidden groups alike."""
    group = None
    if "\x00" not in group_name:
        group = session.scalar(select(Group).where(Group.name_key == name_key(group_name)))
    if group is None or not group.discoverable:
        raise NotFoundError(
            f"no discoverable group named '{group_name}'", param="group_name", value=group_name
        )
    return group


def public_view(group: Group) -> dict[str, Any]:
    """What any signed-in user may see of a discoverable group (Magpie's public view: no id,
    no members, no ``discoverable`` flag)."""
    return {
        "group_name": group.group_name,
        "description": group.description,
        "terms": group.terms,
    }


def discoverable_for(session: Session, user_name: str) -> list[dict[str, Any]]:
    """Every discoverable group as ``user_name`` sees it: the public view, whether the user is
    a member, and whether its terms were sent and wait for the user's acceptance."""
    user = get_user(session, user_name)
    member_of = set(
        session.scalars(select(Membership.group_id).where(Membership.user_id == user.id))
    )
    groups = session.scalars(
        select(Group).where(Group.discoverable.is_(True)).order_by(Group.group_name)
    )
    return [
        {
            **public_view(group),
            "member": group.id in member_of,
            "pending": _pending_token(session, user.id, group.id) is not None,
        }
        for group in groups
    ]


def _pending_token(session: Session, user_id: int, group_id: int) -> Token | None:
    return session.scalar(
        select(Token).where(
            Token.user_id == user_id,
            Token.group_id == group_id,
            Token.operation == TokenOperation.GROUP_ACCEPT_TERMS.value,
        )
    )


def _joiner(
    uow: UnitOfWork, user_name: str, group_name: object, *, discoverable_only: bool
) -> tuple[User, Group]:
    """The user and the group of a join, checked: 400, 403 (anonymous), 404, 409 (member)."""
    if not isinstance(group_name, str) or not group_name:
        raise InvalidInputError(
            "group_name is required (a string)", param="group_name", value=group_name
        )
    user = get_user(uow.session, user_name)
    if user.user_name == ANONYMOUS:
        raise ForbiddenError(
            "the anonymous user cannot join groups", param="user_name", value=user_name
        )
    if discoverable_only:
        group = get_discoverable(uow.session, group_name)
    else:
        group = get_group(uow.session, group_name)
    if uow.session.get(Membership, (user.id, group.id)) is not None:
        raise ConflictError(
            f"user '{user.user_name}' is already in group '{group.group_name}'",
            param="group_name",
            value=group_name,
        )
    if group.terms and _pending_token(uow.session, user.id, group.id) is not None:
        raise ConflictError(
            f"user '{user.user_name}' was already sent the terms of group "
            f"'{group.group_name}' and has not accepted them yet",
            param="group_name",
            value=group_name,
        )
    return user, group


@settle_races
def join(
    uow: UnitOfWork, user_name: str, group_name: object, *, discoverable_only: bool = True
) -> tuple[bool, dict[str, Any]]:
    """Put a user in a group: (True, body) when done, (False, body) when terms are pending.

    ``discoverable_only``: the user joins by itself (``/register/groups``); an administrator
    adding someone (``POST /users/{u}/groups``) may name any group, and terms apply alike.
    """
    with uow:
        user, group = _joiner(uow, user_name, group_name, discoverable_only=discoverable_only)
        body = {"user_name": user.user_name, "group_name": group.group_name}
        if not group.terms:
            uow.session.add(Membership(user_id=user.id, group_id=group.id))
            users.publish_membership(uow, user, group)
            uow.commit()
            return True, body
        token = registration.new_token(
            uow, TokenOperation.GROUP_ACCEPT_TERMS, user_id=user.id, group_id=group.id
        )
        params = {**body, "group_terms": group.terms}
        params["confirm_url"] = registration.token_url(uow, token)
        recipient, key = user.email, token.token
        uow.commit()
    try:
        send_mail(uow.settings, recipient, "group_terms_submission", params)
    except MailUnavailableError:
        with uow:
            uow.session.execute(delete(Token).where(Token.token == key))
            uow.commit()
        raise
    return False, body


def leave(uow: UnitOfWork, user_name: str, group_name: str) -> None:
    """Leave a discoverable group (404 if hidden or not a member); a pending request is dropped."""
    with uow:
        user = get_user(uow.session, user_name)
        group = get_discoverable(uow.session, group_name)
        pending = _pending_token(uow.session, user.id, group.id)
        member = uow.session.get(Membership, (user.id, group.id)) is not None
        if pending is not None:
            uow.session.delete(pending)
            uow.commit()
            if not member:
                return
    users.remove_membership(uow, user_name, group_name)
