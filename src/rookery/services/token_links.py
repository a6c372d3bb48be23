"""``GET /tmp/{token}``: follow a single-use link, whatever it was made for.

Webhook callback tokens go to :func:`rookery.services.tokens.use_token` as before; the
registration and group-terms tokens (:class:`TokenOperation`) are handled here, each step in
its own transaction, e-mail only after a commit (see :mod:`rookery.services.self_registration`).
Approve and decline links work only for a signed-in administrator (403), as in Magpie.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from rookery.db.models import Group, Membership, PendingUser, Token, User
from rookery.domain.token_operations import TokenOperation
from rookery.errors import (
    ForbiddenError,
    GoneError,
    MailUnavailableError,
    NotFoundError,
    UnprocessableError,
)
from rookery.services import self_registration as registration
from rookery.services import tokens
from rookery.services.mail import send_mail
from rookery.services.unit_of_work import UnitOfWork
from rookery.services.users import publish_membership

_OPERATIONS = {operation.value: operation for operation in TokenOperation}


def follow(uow: UnitOfWork, token: str, *, is_admin: bool) -> str:
    """Do what the link ``token`` was made for; returns a sentence saying what happened."""
    key = _token_key(token)
    with uow:
        row = uow.session.get(Token, key)
        if row is None:
            raise NotFoundError(
                "token does not exist or was already used", param="token", value=token
            )
        operation = _OPERATIONS.get(row.operation)
        if operation is None:
            uow.session.rollback()
        elif row.created_at + timedelta(seconds=uow.settings.token_expire_seconds) <= datetime.now(
            UTC
        ):
            uow.session.delete(row)
            uow.commit()
            raise GoneError("token has expired", param="token", value=token)
    if operation is None:
        tokens.use_token(uow, key)
        return "token used: the user's status is now WebhookError"
    if operation.needs_administrator and not is_admin:
        raise ForbiddenError("only an administrator may approve or decline a registration")
    if operation is TokenOperation.GROUP_ACCEPT_TERMS:
        return _accept_terms(uow, key)
    if operation is TokenOperation.USER_REGISTRATION_CONFIRM_EMAIL:
        return _confirm(uow, key)
    return _decide(uow, key, approve=operation is TokenOperation.USER_REGISTRATION_ADMIN_APPROVE)


def _token_key(token: str) -> str:
    try:
        return str(uuid.UUID(token.rsplit(":", maxsplit=1)[-1]))
    except ValueError:
        raise UnprocessableError(
            f"token must be a UUID, got {token!r}", param="token", value=token
        ) from None


def _spend(uow: UnitOfWork, key: str) -> Token:
    """The token, deleted in the open transaction (a concurrent follower gets 404)."""
    row = uow.session.get(Token, key)
    if row is not None:
        uow.session.expunge(row)  # its values stay readable; the row goes by statement below
        # A statement, not session.delete: when two requests follow the same link at once, the
        # later one waits for the first to commit and then deletes nothing (404), where a
        # session delete would fail as a stale row.
        gone = uow.session.execute(delete(Token).where(Token.token == key))
        if gone.rowcount == 1:  # type: ignore[attr-defined]
            return row
    raise NotFoundError("token does not exist or was already used", param="token", value=key)


def _accept_terms(uow: UnitOfWork, key: str) -> str:
    with uow:
        row = _spend(uow, key)
        user = uow.session.get(User, row.user_id)
        group = uow.session.get(Group, row.group_id)
        if user is None or group is None:
            raise NotFoundError(
                "the user or the group of this link no longer exists", param="token"
            )
        if uow.session.get(Membership, (user.id, group.id)) is None:
            uow.session.add(Membership(user_id=user.id, group_id=group.id))
            publish_membership(uow, user, group)
        recipient, params = (
            user.email,
            {"user_name": user.user_name, "email": user.email, "group_name": group.group_name},
        )
        uow.commit()
    registration.notify(uow, recipient, "group_terms_approved", params)
    return f"terms accepted: user '{params['user_name']}' joined group '{params['group_name']}'"


def _confirm(uow: UnitOfWork, key: str) -> str:
    if not uow.settings.user_registration_approval:
        with uow:
            row = _spend(uow, key)
            user = registration.upgrade(uow, _pending_of(uow, row))
            recipient, name = user.email, user.user_name
            uow.commit()
        registration.announce(uow, name, recipient)
        return f"e-mail confirmed: user '{name}' is created and may sign in"
    _ask_approval(uow, key)
    with uow:
        pending = _pending_of(uow, _spend(uow, key))
        pending.email_confirmed = True
        uow.commit()
    return "e-mail confirmed: an administrator will review the registration"


def _ask_approval(uow: UnitOfWork, key: str) -> None:
    """Make fresh approve/decline links and e-mail them; the confirmation is not spent here."""
    with uow:
        pending = _pending_of(uow, uow.session.get(Token, key))
        uow.session.execute(
            delete(Token).where(
                Token.pending_user_id == pending.id,
                Token.operation != TokenOperation.USER_REGISTRATION_CONFIRM_EMAIL.value,
            )
        )
        approve = registration.new_token(
            uow, TokenOperation.USER_REGISTRATION_ADMIN_APPROVE, pending_user_id=pending.id
        )
        decline = registration.new_token(
            uow, TokenOperation.USER_REGISTRATION_ADMIN_DECLINE, pending_user_id=pending.id
        )
        params = {
            "user_name": pending.user_name,
            "email": pending.email,
            "approve_url": registration.token_url(uow, approve),
            "decline_url": registration.token_url(uow, decline),
            "pending_url": f"{uow.settings.public_url}/register/users/{pending.user_name}",
        }
        # Magpie's template links its console page of the registration: Rookery's is the API.
        params["display_url"] = params["pending_url"]
        uow.commit()
    admin_address = uow.settings.approval_email_recipient or uow.settings.admin_email
    if not admin_address:
        raise MailUnavailableError(
            "no one to ask for approval: set ROOKERY_USER_REGISTRATION_APPROVAL_EMAIL_RECIPIENT "
            "(or ROOKERY_ADMIN_EMAIL)",
            param="ROOKERY_USER_REGISTRATION_APPROVAL_EMAIL_RECIPIENT",
        )
    send_mail(uow.settings, admin_address, "user_registration_approval", params)


def _pending_of(uow: UnitOfWork, row: Token | None) -> PendingUser:
    pending = uow.session.get(PendingUser, row.pending_user_id) if row is not None else None
    if pending is None:
        raise NotFoundError("token does not exist or was already used", param="token")
    return pending


def _decide(uow: UnitOfWork, key: str, *, approve: bool) -> str:
    with uow:
        pending = _pending_of(uow, _spend(uow, key))
        recipient, name = pending.email, pending.user_name
        if approve:
            registration.upgrade(uow, pending)
        else:
            uow.session.delete(pending)
        uow.commit()
    if approve:
        registration.announce(uow, name, recipient)
        return f"registration approved: user '{name}' is created and may sign in"
    declined = {"user_name": name, "email": recipient}
    registration.notify(uow, recipient, "user_registration_declined", declined)
    return f"registration declined: '{name}' is deleted"
