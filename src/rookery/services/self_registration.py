"""Self-registration (Magpie's ``/register/users``): pending users, confirmation, approval.

The steps, each its own transaction, with e-mail sent only after a commit:

1. ``register``: a :class:`PendingUser` and a confirmation token; the link is e-mailed to the
   submitted address. If the e-mail cannot be sent, the pending user is deleted again and the
   caller gets 503: nothing is left half-done, the same request can simply be repeated.
2. ``confirm`` (the link is followed): without required approval the user is created at once
   (``create_user`` is published then, never before); with approval, approve/decline tokens
   are made and their links e-mailed to the approval recipient, and only once that e-mail is
   out is the confirmation spent (so a failed send leaves the link usable again).
3. ``decide`` (an administrator follows approve or decline): the user is created, or the
   registration deleted; the pending user is told by e-mail, best effort (the decision stands).

A pending user is not a user: it cannot sign in, is not listed in ``/users`` and sends no event.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rookery.db.models import PendingUser, Token, User
from rookery.domain.names import name_key, validate_email, validate_password, validate_user_name
from rookery.domain.statuses import UserStatus, parse_status
from rookery.domain.token_operations import TokenOperation
from rookery.errors import ConflictError, MailUnavailableError, NotFoundError
from rookery.services.conflicts import settle_races
from rookery.services.lookups import find_user
from rookery.services.mail import send_mail
from rookery.services.passwords import hash_password
from rookery.services.unit_of_work import UnitOfWork
from rookery.services.users import insert_user

LOG = logging.getLogger("rookery.registration")


def require_enabled(uow: UnitOfWork) -> None:
    """Self-registration answers 404 unless ROOKERY_USER_REGISTRATION_ENABLED is on (as Magpie)."""
    if not uow.settings.user_registration_enabled:
        raise NotFoundError(
            "user self-registration is not enabled (ROOKERY_USER_REGISTRATION_ENABLED)"
        )


def token_url(uow: UnitOfWork, token: Token) -> str:
    """The public link that spends ``token``."""
    return f"{uow.settings.public_url}/tmp/{token.token}"


def new_token(uow: UnitOfWork, operation: TokenOperation, **owner: int | None) -> Token:
    """Add a single-use token for ``operation`` to the open transaction."""
    token = Token(token=str(uuid.uuid4()), operation=operation.value, **owner)
    uow.session.add(token)
    return token


def pending_view(uow: UnitOfWork, pending: PendingUser, *, links: bool = False) -> dict[str, Any]:
    """A registration as the API shows it; ``links`` adds the open confirm/approve/decline URLs."""
    view: dict[str, Any] = {
        "user_name": pending.user_name,
        "email": pending.email,
        "status": UserStatus.Pending.label,
    }
    if links:
        tokens = uow.session.scalars(select(Token).where(Token.pending_user_id == pending.id))
        found = {row.operation: token_url(uow, row) for row in tokens}
        for key, operation in (
            ("confirm_url", TokenOperation.USER_REGISTRATION_CONFIRM_EMAIL),
            ("approve_url", TokenOperation.USER_REGISTRATION_ADMIN_APPROVE),
            ("decline_url", TokenOperation.USER_REGISTRATION_ADMIN_DECLINE),
        ):
            view[key] = found.get(operation.value)
    return view


def find_pending(uow: UnitOfWork, user_name: str) -> PendingUser | None:
    """The registration named ``user_name`` (any case), or None."""
    if "\x00" in user_name:
        return None
    return uow.session.scalar(
        select(PendingUser).where(PendingUser.name_key == name_key(user_name))
    )


def _drop_stale(uow: UnitOfWork) -> None:
    """Unconfirmed registrations whose link has expired hold no name or e-mail any more."""
    cutoff = datetime.now(UTC) - timedelta(seconds=uow.settings.token_expire_seconds)
    uow.session.execute(
        delete(PendingUser).where(
            PendingUser.email_confirmed.is_(False), PendingUser.created_at < cutoff
        )
    )


def _check_free(uow: UnitOfWork, name: str, mail: str) -> None:
    """A name or e-mail held by a user or by another registration is a 409."""
    _drop_stale(uow)
    session = uow.session
    if find_user(session, name) is not None or find_pending(uow, name) is not None:
        raise ConflictError(f"user name '{name}' is already taken", param="user_name", value=name)
    key = name_key(mail)
    taken = session.scalar(select(User.id).where(User.email_key == key)) or session.scalar(
        select(PendingUser.id).where(PendingUser.email_key == key)
    )
    if taken is not None:
        raise ConflictError(f"email '{mail}' is already used", param="email", value=mail)


@settle_races
def register(uow: UnitOfWork, user_name: object, email: object, password: object) -> dict[str, Any]:
    """Step 1: record a pending user and e-mail it the confirmation link (201)."""
    require_enabled(uow)
    name = validate_user_name(user_name)
    mail = validate_email(email)
    password_hash = hash_password(validate_password(password, uow.settings.password_min_length))
    with uow:
        _check_free(uow, name, mail)
        pending = PendingUser(
            user_name=name,
            name_key=name_key(name),
            email=mail,
            email_key=name_key(mail),
            password_hash=password_hash,
            email_confirmed=False,
        )
        uow.session.add(pending)
        uow.session.flush()
        link = token_url(
            uow,
            new_token(
                uow, TokenOperation.USER_REGISTRATION_CONFIRM_EMAIL, pending_user_id=pending.id
            ),
        )
        view = pending_view(uow, pending)
        uow.commit()
    try:
        send_mail(uow.settings, mail, "user_registration_submission", _submission(uow, view, link))
    except MailUnavailableError:
        _forget(uow, name)
        raise
    return view


def _submission(uow: UnitOfWork, view: dict[str, Any], link: str) -> dict[str, str]:
    """Parameters of the confirmation e-mail."""
    approval = uow.settings.user_registration_approval
    return {
        "user_name": view["user_name"],
        "email": view["email"],
        "confirm_url": link,
        "approval_required": str(approval).lower(),
        "next_step": (
            "An administrator will then review your request; you will hear from us again."
            if approval
            else "Your account is created as soon as you open it."
        ),
    }


def _forget(uow: UnitOfWork, user_name: str) -> None:
    """Undo step 1 after its e-mail failed: the registration never happened."""
    with uow:
        pending = find_pending(uow, user_name)
        if pending is not None:
            uow.session.delete(pending)
            uow.commit()


def list_pending(uow: UnitOfWork) -> list[str]:
    """Names of every pending registration, sorted."""
    require_enabled(uow)
    with uow:
        return list(
            uow.session.scalars(select(PendingUser.user_name).order_by(PendingUser.user_name))
        )


def show_pending(uow: UnitOfWork, user_name: str) -> dict[str, Any]:
    """One registration with its open links (administrators)."""
    require_enabled(uow)
    with uow:
        return pending_view(uow, get_pending(uow, user_name), links=True)


def pending_summaries(session: Session, status: object) -> list[dict[str, Any]]:
    """For ``GET /users?status=Pending`` (Magpie lists registrations there): their summaries."""
    if status in (None, "") or parse_status(status) is not UserStatus.Pending:
        return []
    rows = session.scalars(select(PendingUser).order_by(PendingUser.user_name))
    return [
        {"user_name": p.user_name, "email": p.email, "status": UserStatus.Pending.label}
        for p in rows
    ]


def get_pending(uow: UnitOfWork, user_name: str) -> PendingUser:
    """The registration named ``user_name``; 404 otherwise."""
    pending = find_pending(uow, user_name)
    if pending is None:
        raise NotFoundError(
            f"no pending registration named '{user_name}'", param="user_name", value=user_name
        )
    return pending


def delete_pending(uow: UnitOfWork, user_name: str) -> None:
    """Delete a registration (its links stop working); 404 if there is none."""
    require_enabled(uow)
    with uow:
        uow.session.delete(get_pending(uow, user_name))
        uow.commit()


def upgrade(uow: UnitOfWork, pending: PendingUser) -> User:
    """Inside an open transaction: the real user replaces the registration (``create_user``)."""
    user = insert_user(uow, pending.user_name, pending.email, pending.password_hash)
    uow.session.delete(pending)
    return user


def announce(uow: UnitOfWork, user_name: str, email: str) -> None:
    """After a registration became a user: tell the user and, if asked, a manager (best effort)."""
    notify(uow, email, "user_registration_approved", {"user_name": user_name, "email": email})
    settings = uow.settings
    manager = settings.registration_notify_recipient or settings.admin_email
    if settings.registration_notify and manager:
        notify(uow, manager, "user_registration_notify", {"user_name": user_name, "email": email})


def notify(uow: UnitOfWork, recipient: str, template: str, params: dict[str, str]) -> None:
    """Send an informative e-mail after a change that stands whatever happens to it."""
    try:
        send_mail(uow.settings, recipient, template, params)
    except MailUnavailableError as error:
        LOG.warning("informative e-mail not sent (the change stands): %s", error.detail)
