"""SQLAlchemy models: the whole schema, for SQLite and PostgreSQL alike.

Invariants kept by the schema itself:
- names are unique through their case-folded ``*_key`` columns (SPEC §1 case-insensitivity);
- a service is a resource row with ``resource_type == "service"`` and no parent;
- at most one permission per (holder, resource, name);
- every delivery belongs to one event; attempts belong to one delivery and are never updated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rookery.domain.delivery_states import DeliveryState

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both dialects (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StateText(TypeDecorator[DeliveryState]):
    """A :class:`DeliveryState` stored as its value, read back as the member."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: DeliveryState | str | None, dialect: Dialect) -> str | None:  # noqa: ARG002
        return None if value is None else DeliveryState(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> DeliveryState | None:  # noqa: ARG002
        return None if value is None else DeliveryState(value)


def utcnow() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    # Ids are never reused (SQLite would reuse the highest one): receivers key on them, and
    # delivery lanes are per subject id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped on every status change, so a delivery can tell whether someone else changed the
    # status after it set WebhookError (SPEC §6 "User status").
    status_version: Mapped[int] = mapped_column(Integer, default=0)
    # Epoch seconds (the session cookie's own unit): a cookie stamped earlier is no session.
    # Sign-out and every password change move it past every stamp issued so far
    # (rookery.domain.sessions).
    sessions_valid_from: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default=text("0")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    groups: Mapped[list[Group]] = relationship(
        secondary="memberships", back_populates="users", order_by="Group.group_name"
    )


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Terms a user accepts (through an e-mailed link) before joining (Magpie's group terms).
    terms: Mapped[str | None] = mapped_column(Text)

    users: Mapped[list[User]] = relationship(
        secondary="memberships", back_populates="groups", order_by="User.user_name"
    )


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )


class Resource(Base):
    """A service (root, ``resource_type == 'service'``) or a resource below one."""

    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("parent_id", "name_key", name="uq_resources_parent_name"),
        Index(
            "ix_resources_service_name",
            "name_key",
            unique=True,
            sqlite_where=text("parent_id IS NULL"),
            postgresql_where=text("parent_id IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255))
    resource_type: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    root_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    service_type: Mapped[str | None] = mapped_column(String(32))
    service_url: Mapped[str | None] = mapped_column(Text)
    sync_type: Mapped[str | None] = mapped_column(String(32))
    configuration: Mapped[Any | None] = mapped_column(JSON)


class UserPermission(Base):
    __tablename__ = "user_permissions"
    __table_args__ = (
        UniqueConstraint("user_id", "resource_id", "name", name="uq_user_permissions_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    access: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(16))


class GroupPermission(Base):
    __tablename__ = "group_permissions"
    __table_args__ = (
        UniqueConstraint("group_id", "resource_id", "name", name="uq_group_permissions_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    access: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(16))


class PendingUser(Base):
    """A self-registration waiting for its e-mail confirmation and, if required, approval.

    Not a user: it cannot sign in and publishes no event. Names and e-mails are unique here,
    and the service also keeps them apart from the users table's.
    """

    __tablename__ = "pending_users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    email_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Token(Base):
    """A single-use temporary token behind a callback URL."""

    __tablename__ = "tokens"

    token: Mapped[str] = mapped_column(String(36), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    pending_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("pending_users.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class KeyValue(Base):
    """Small values Rookery generates once and keeps (the cookie secret)."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Event(Base):
    """One change, recorded in the transaction that made it (the outbox)."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Not indexed: no query reads events by action or subject (migration 0009).
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Delivery(Base):
    """One (event, webhook) pair: the rendered request and where its sending stands.

    ``lane`` is ``receiver|subject``; within a lane deliveries go out in ``id`` order, one at
    a time; ``receiver`` is the lane's receiver, stored so nothing parses the lane. ``state``
    moves as :mod:`rookery.domain.delivery_states` allows.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(
            "ix_deliveries_open_lane",
            "lane",
            "id",
            sqlite_where=text("state IN ('pending', 'sending')"),
            postgresql_where=text("state IN ('pending', 'sending')"),
        ),
        Index(
            "ix_deliveries_lease",
            "lease_until",
            sqlite_where=text("state = 'sending'"),
            postgresql_where=text("state = 'sending'"),
        ),
        # Retention: finished rows by state and age (an open row has no completed_at).
        Index(
            "ix_deliveries_finished",
            "state",
            "completed_at",
            sqlite_where=text("completed_at IS NOT NULL"),
            postgresql_where=text("completed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    webhook_name: Mapped[str] = mapped_column(String(255), index=True)
    webhook_key: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(String(128), index=True)
    lane: Mapped[str] = mapped_column(String(512))
    receiver: Mapped[str] = mapped_column(String(255))
    state: Mapped[DeliveryState] = mapped_column(StateText, default=DeliveryState.PENDING)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=10.0)
    retry_schedule: Mapped[list[float]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(Integer)
    # For create_user: the user's status_version right after this delivery set WebhookError.
    error_status_version: Mapped[int | None] = mapped_column(Integer)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(lazy="raise")
    attempts: Mapped[list[Attempt]] = relationship(
        order_by="Attempt.number", cascade="all, delete-orphan"
    )


class DeliveryLane(Base):
    """One lane with unfinished deliveries: its head and when the head is due.

    Kept by :mod:`rookery.db.lanes` in the transaction that changes the lane's deliveries:
    ``head_id`` is the lowest unfinished delivery id of ``lane``, ``due_at`` its
    ``next_attempt_at`` while it is ``pending`` (NULL while a worker holds it), ``head_since``
    when it became the head. A lane with no unfinished delivery has no row, so claiming reads
    only due lanes, however long the backlog and however many rows are finished.
    """

    __tablename__ = "delivery_lanes"
    __table_args__ = (
        Index(
            "ix_delivery_lanes_due",
            "due_at",
            sqlite_where=text("due_at IS NOT NULL"),
            postgresql_where=text("due_at IS NOT NULL"),
        ),
    )

    lane: Mapped[str] = mapped_column(String(512), primary_key=True)
    receiver: Mapped[str] = mapped_column(String(255))
    head_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    head_since: Mapped[datetime] = mapped_column(UTCDateTime)


class Attempt(Base):
    """One try at sending a delivery; written once, never changed."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    latency_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(128))


class WorkerBeat(Base):
    """Each live worker's last heartbeat (GET /health)."""

    __tablename__ = "worker_beats"

    worker_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
