"""Callback tokens: ``GET /tmp/{token}`` marks the user ``WebhookError``, once.

Invariants: a token is spent by its first use, expired or not; a used token always counts as a
status change (the user's ``status_version`` moves on), so a create_user retry that succeeds
afterwards leaves the receiver's ``WebhookError`` in place.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from rookery.db.models import Token, User
from rookery.domain.statuses import UserStatus
from rookery.errors import GoneError, NotFoundError, UnprocessableError
from rookery.services.unit_of_work import UnitOfWork
from rookery.services.users import set_status


def use_token(uow: UnitOfWork, token: str) -> dict[str, str]:
    """Spend a callback token: 422 malformed, 404 unknown or spent, 410 expired."""
    try:
        key = str(uuid.UUID(token))
    except ValueError:
        raise UnprocessableError(
            f"token must be a UUID, got {token!r}", param="token", value=token
        ) from None
    with uow:
        row = uow.session.get(Token, key)
        if row is None:
            raise NotFoundError(
                "token does not exist or was already used", param="token", value=token
            )
        expired = _expires_at(row, uow.settings.token_expire_seconds) <= datetime.now(UTC)
        uow.session.delete(row)
        if expired:
            uow.commit()
            raise GoneError("token has expired", param="token", value=token)
        user = uow.session.get(User, row.user_id) if row.user_id is not None else None
        if user is not None:
            # Always bump the status version, even when the user already is WebhookError
            # (say after a failed attempt): a later successful retry must not undo the
            # receiver's own report (SPEC §6 "User status").
            set_status(user, UserStatus.WebhookError)
        uow.commit()
    return {"operation": row.operation, "user_name": user.user_name if user else ""}


def _expires_at(token: Token, expire_seconds: int) -> datetime:
    return token.created_at + timedelta(seconds=expire_seconds)


def purge_expired(uow: UnitOfWork) -> int:
    """Delete expired tokens; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(seconds=uow.settings.token_expire_seconds)
    with uow:
        result = uow.session.execute(delete(Token).where(Token.created_at < cutoff))
        count = result.rowcount  # type: ignore[attr-defined]
        uow.commit()
    return int(count or 0)
