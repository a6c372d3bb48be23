"""Sign-in: finding the account a login names, revoking sessions, and the built-in objects
every database must hold.

Invariants: a session is valid only if it was stamped at or after its user's
``sessions_valid_from`` (``rookery.domain.sessions``); sign-out and every password change move
that instant past every stamp issued so far (:func:`revoke_sessions`). Sign-in
input is bounded before any hashing: a login longer than an email or a password longer than
any stored one is refused with a 400 naming the field.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rookery.db.models import Group, KeyValue, Membership, User
from rookery.domain.names import (
    MAX_EMAIL_LENGTH,
    MAX_PASSWORD_LENGTH,
    name_key,
    validate_group_name,
    validate_password,
    validate_user_name,
)
from rookery.domain.sessions import revoked_from
from rookery.domain.statuses import UserStatus
from rookery.errors import AuthenticationError, InvalidInputError
from rookery.services.administrators import remember_bootstrap_admin
from rookery.services.lookups import (
    ADMIN_GROUP,
    ANONYMOUS,
    ANONYMOUS_PRIORITY,
    find_group,
    find_user,
)
from rookery.services.passwords import hash_password, needs_rehash, verify_password
from rookery.services.unit_of_work import UnitOfWork

WRONG_CREDENTIALS = "wrong user name or password"


@dataclass(frozen=True)
class Account:
    """What sign-in needs to know about the user a login names."""

    user_id: int
    user_name: str
    password_hash: str | None
    sessions_valid_from: int

    @property
    def hash_is_outdated(self) -> bool:
        """True when the stored hash was made with older Argon2id parameters than today's."""
        return self.password_hash is not None and needs_rehash(self.password_hash)


def signin_input(login: object, password: object) -> tuple[str, str]:
    """The login and password as strings: 401 when missing, 400 when longer than allowed."""
    if not isinstance(login, str) or not isinstance(password, str) or not login:
        raise AuthenticationError(WRONG_CREDENTIALS)
    if len(login) > MAX_EMAIL_LENGTH:
        raise InvalidInputError(
            f"user_name is too long: at most {MAX_EMAIL_LENGTH} characters", param="user_name"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password is too long: at most {MAX_PASSWORD_LENGTH} characters", param="password"
        )
    return login, password


def find_account(session: Session, login: str) -> Account | None:
    """The user whose name or email is ``login`` (never ``anonymous``), or None."""
    key = name_key(login)
    user = session.scalar(select(User).where(or_(User.name_key == key, User.email_key == key)))
    if user is None or user.user_name == ANONYMOUS:
        return None
    return Account(user.id, user.user_name, user.password_hash, user.sessions_valid_from)


def revoke_sessions(user: User) -> None:
    """Make every session cookie issued to ``user`` so far invalid (inside a unit of work)."""
    user.sessions_valid_from = revoked_from(time.time(), user.sessions_valid_from)


def sign_out(uow: UnitOfWork, user_id: int) -> None:
    """End every session of this user (signing out ends them on every device)."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is not None:
            revoke_sessions(user)
            uow.commit()


def upgrade_password_hash(uow: UnitOfWork, account: Account, password: str) -> None:
    """Store ``password`` hashed with today's parameters, when ``account``'s hash is older.

    Called after a successful sign-in, the one moment the password is known. A hash changed
    meanwhile (a password change) is left alone. Not a password change: sessions stay valid.
    """
    if not account.hash_is_outdated:
        return
    upgraded = hash_password(password)
    with uow:
        user = uow.session.get(User, account.user_id)
        if user is not None and user.password_hash == account.password_hash:
            user.password_hash = upgraded
            uow.commit()


def ensure_built_ins(
    session: Session,
    admin_user: str,
    admin_password: str | None,
    admin_email: str | None,
    password_min_length: int,
    *,
    users_group: str | None = None,
) -> str | None:
    """Create the built-in groups, the anonymous user and the bootstrap admin.

    ``users_group`` (Magpie's ``MAGPIE_USERS_GROUP``) is created too, as Magpie does at start.

    Returns the admin password when one had to be generated (printed once by the caller).
    Idempotent: an existing admin gets the configured password, if one is configured.
    """
    admins = _ensure_group(session, ADMIN_GROUP, 0)
    anonymous = _ensure_group(session, ANONYMOUS, ANONYMOUS_PRIORITY)
    if users_group:
        _ensure_group(session, validate_group_name(users_group), 0)
    anon_user = _ensure_user(session, ANONYMOUS, f"{ANONYMOUS}@rookery.invalid", None)
    _ensure_member(session, anon_user, anonymous)
    name = validate_user_name(admin_user)
    generated = None
    admin = find_user(session, name)
    if admin is None:
        if admin_password is None:
            generated = admin_password = secrets.token_urlsafe(18)
        admin = _ensure_user(
            session,
            name,
            admin_email or f"{name}@rookery.invalid",
            validate_password(admin_password, password_min_length),
        )
    elif admin_password is not None and not verify_password(admin.password_hash, admin_password):
        admin.password_hash = hash_password(validate_password(admin_password, password_min_length))
        revoke_sessions(admin)
    elif admin_password is not None and admin.password_hash and needs_rehash(admin.password_hash):
        admin.password_hash = hash_password(admin_password)  # the same password, today's cost
    _ensure_member(session, admin, admins)
    _ensure_member(session, admin, anonymous)
    remember_bootstrap_admin(session, admin)
    session.flush()
    return generated


def _ensure_group(session: Session, name: str, priority: int) -> Group:
    group = find_group(session, name)
    if group is None:
        group = Group(
            group_name=name, name_key=name_key(name), priority=priority, discoverable=False
        )
        session.add(group)
        session.flush()
    return group


def _ensure_user(session: Session, name: str, email: str, password: str | None) -> User:
    user = find_user(session, name)
    if user is None:
        user = User(
            user_name=name,
            name_key=name_key(name),
            email=email,
            email_key=name_key(email),
            password_hash=hash_password(password) if password else None,
            status=int(UserStatus.OK),
            status_version=0,
        )
        session.add(user)
        session.flush()
    return user


def _ensure_member(session: Session, user: User, group: Group) -> None:
    if session.get(Membership, (user.id, group.id)) is None:
        session.add(Membership(user_id=user.id, group_id=group.id))
        session.flush()


def cookie_secret(session: Session, configured: str | None) -> str:
    """The configured cookie secret, or one generated once and kept in the database."""
    if configured:
        return configured
    row = session.get(KeyValue, "cookie_secret")
    if row is None:
        row = KeyValue(key="cookie_secret", value=secrets.token_urlsafe(32))
        session.add(row)
        session.flush()
    return row.value
