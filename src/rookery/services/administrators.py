"""The administrators Rookery must keep: the last one, and the bootstrap administrator.

Invariants: ``administrators`` never loses its last member — not by removing the membership,
not by deleting the user — so the service is never left without anyone able to administer it;
and the bootstrap administrator (``ROOKERY_ADMIN_USER``) cannot be deleted. The bootstrap
administrator is known by its id, kept in the database at start, so renaming it through the
API does not lift the protection. Changes to administrators' memberships lock the
``administrators`` row first (PostgreSQL), so two concurrent removals cannot both see "another
administrator remains" and leave none; SQLite already runs one writer at a time.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rookery.db.models import Group, KeyValue, Membership, User
from rookery.errors import ForbiddenError
from rookery.services.lookups import ADMIN_GROUP, get_group

BOOTSTRAP_ADMIN_KEY = "bootstrap_admin_id"


def remember_bootstrap_admin(session: Session, user: User) -> None:
    """Record ``user`` as the bootstrap administrator (by id)."""
    row = session.get(KeyValue, BOOTSTRAP_ADMIN_KEY)
    if row is None:
        session.add(KeyValue(key=BOOTSTRAP_ADMIN_KEY, value=str(user.id)))
    elif row.value != str(user.id):
        row.value = str(user.id)
    session.flush()


def is_bootstrap_admin(session: Session, user: User) -> bool:
    """True for the user created (or confirmed) as ``ROOKERY_ADMIN_USER`` at start."""
    row = session.get(KeyValue, BOOTSTRAP_ADMIN_KEY)
    return row is not None and row.value == str(user.id)


def _locked_admin_group(session: Session) -> Group:
    group = get_group(session, ADMIN_GROUP)
    # Serializes every change that could remove an administrator (no-op on SQLite); NO KEY
    # UPDATE leaves new memberships (which only add administrators) unblocked.
    session.execute(select(Group.id).where(Group.id == group.id).with_for_update(key_share=True))
    return group


def _is_last_admin(session: Session, user: User, admins: Group) -> bool:
    if session.get(Membership, (user.id, admins.id)) is None:
        return False
    count = session.scalar(
        select(func.count()).select_from(Membership).where(Membership.group_id == admins.id)
    )
    return (count or 0) <= 1


def check_can_delete(session: Session, user: User) -> None:
    """403 for the bootstrap administrator and for the last administrator."""
    if is_bootstrap_admin(session, user):
        raise ForbiddenError(
            f"user '{user.user_name}' is the bootstrap administrator (ROOKERY_ADMIN_USER) "
            "and cannot be deleted",
            param="user_name",
            value=user.user_name,
        )
    if _is_last_admin(session, user, _locked_admin_group(session)):
        raise ForbiddenError(
            f"user '{user.user_name}' is the last administrator and cannot be deleted; "
            "make another user an administrator first",
            param="user_name",
            value=user.user_name,
        )


def check_can_leave(session: Session, user: User, group: Group) -> None:
    """403 when ``user`` is the last member of ``administrators`` and ``group`` is it."""
    if group.group_name != ADMIN_GROUP:
        return
    if _is_last_admin(session, user, _locked_admin_group(session)):
        raise ForbiddenError(
            f"user '{user.user_name}' is the last administrator and cannot leave "
            f"'{ADMIN_GROUP}'; make another user an administrator first",
            param="group_name",
            value=group.group_name,
        )
