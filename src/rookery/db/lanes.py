"""The lanes table: each lane's head and when it is due, so a claim reads due lanes only.

Invariants (kept by :func:`refresh`, called in every transaction that opens, claims, releases
or finishes a delivery, or by :func:`open_heads` in one that only opens deliveries):
- a lane has a row exactly while it has an unfinished delivery; ``head_id`` is the lowest
  unfinished id of the lane, ``due_at`` the head's ``next_attempt_at`` while the head is
  ``pending`` and NULL while it is ``sending``;
- :func:`refresh` locks the lane rows first (``FOR UPDATE`` in lane order, then an upsert of
  the missing ones), then computes the heads in a later statement: on PostgreSQL each
  statement sees what committed before it, so the row written is never older than the
  deliveries it was computed from;
- ``head_since`` changes only when the head does: a lane whose head is old has not moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnClause

from rookery.db.models import Delivery, DeliveryLane
from rookery.domain.delivery_states import OPEN, DeliveryState

# Literals, not parameters: SQLite uses a partial index only when the WHERE visibly implies it.
_OPEN: tuple[ColumnClause[str], ...] = tuple(literal_column(f"'{s.value}'") for s in sorted(OPEN))
_PENDING: ColumnClause[str] = literal_column(f"'{DeliveryState.PENDING.value}'")
_INNER = aliased(Delivery)


def refresh(session: Session, receivers: Mapping[str, str], now: datetime) -> None:
    """Bring the rows of the lanes in ``receivers`` (lane → receiver) up to date."""
    if not receivers:
        return
    lanes = sorted(receivers)
    _lock(session, [(lane, receivers[lane]) for lane in lanes], now)
    # A new statement, so on PostgreSQL a fresh snapshot: it sees whatever the transactions
    # the lock waited for committed. Lanes left with no unfinished delivery get head 0.
    lowest = (
        select(func.min(_INNER.id))
        .where(_INNER.lane == DeliveryLane.lane, _INNER.state.in_(_OPEN))
        .correlate(DeliveryLane)
        .scalar_subquery()
    )
    head = aliased(Delivery)
    due = (
        select(case((head.state == _PENDING, head.next_attempt_at), else_=None))
        .where(head.id == lowest)
        .correlate(DeliveryLane)
        .scalar_subquery()
    )
    moved = session.execute(
        update(DeliveryLane)
        .where(DeliveryLane.lane.in_(lanes))
        .values(
            head_id=func.coalesce(lowest, 0),
            due_at=due,
            head_since=case((lowest == DeliveryLane.head_id, DeliveryLane.head_since), else_=now),
        )
        .returning(DeliveryLane.lane, DeliveryLane.head_id)
        .execution_options(synchronize_session=False)
    ).all()
    gone = [lane for lane, head_id in moved if not head_id]
    if gone:
        session.execute(
            delete(DeliveryLane)
            .where(DeliveryLane.lane.in_(gone))
            .execution_options(synchronize_session=False)
        )


def _lock(session: Session, lanes: list[tuple[str, str]], now: datetime) -> None:
    """Insert missing lane rows and hold all of them until the transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        # SQLite: this transaction already holds the only write lock (BEGIN IMMEDIATE).
        add = sqlite.insert(DeliveryLane).values(_new_rows(lanes, now))
        session.execute(add.on_conflict_do_nothing(index_elements=[DeliveryLane.lane]))
        return
    keys = [lane for lane, _ in lanes]
    held = set(
        session.scalars(
            select(DeliveryLane.lane)
            .where(DeliveryLane.lane.in_(keys))
            .order_by(DeliveryLane.lane)
            .with_for_update()
        )
    )
    missing = [(lane, receiver) for lane, receiver in lanes if lane not in held]
    if missing:
        # Inserted meanwhile by another transaction: wait for it, then lock its row.
        insert = postgresql.insert(DeliveryLane).values(_new_rows(missing, now))
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[DeliveryLane.lane], set_={"receiver": insert.excluded.receiver}
            )
        )


def _new_rows(lanes: list[tuple[str, str]], now: datetime) -> list[dict[str, Any]]:
    return [{"lane": k, "receiver": r, "head_id": 0, "head_since": now} for k, r in lanes]


def rebuild(session: Session, now: datetime) -> None:
    """Write every lane's row from the deliveries (after a bulk load that bypassed the outbox)."""
    session.execute(delete(DeliveryLane))
    lanes = select(Delivery.lane, Delivery.receiver).where(Delivery.state.in_(_OPEN)).distinct()
    found: dict[str, str] = {row.lane: row.receiver for row in session.execute(lanes)}
    batch = 500
    keys = sorted(found)
    for start in range(0, len(keys), batch):
        refresh(session, {k: found[k] for k in keys[start : start + batch]}, now)


def open_heads(
    session: Session, opened: Sequence[Delivery], now: datetime, *, notify: str | None = None
) -> None:
    """Make the new ``pending`` deliveries ``opened`` heads where they come first: one statement.

    For a transaction that only added deliveries (the outbox's), this is what :func:`refresh`
    computes, without reading the deliveries: a lane with no row gets one headed by its new
    delivery; a lane with a row keeps its head unless the new delivery has the lower id (an
    id drawn earlier, committed later). The upsert waits for, then sees, any transaction
    that moved the lane meanwhile (PostgreSQL retries the insert when that one deleted the
    row). With ``notify`` (PostgreSQL), the same statement sends ``NOTIFY notify``, which
    PostgreSQL delivers once the transaction commits.
    """
    first: dict[str, Delivery] = {}
    for delivery in opened:
        if delivery.lane not in first or delivery.id < first[delivery.lane].id:
            first[delivery.lane] = delivery
    if not first:
        return
    rows = [
        {
            "lane": lane,
            "receiver": d.receiver,
            "head_id": d.id,
            "due_at": d.next_attempt_at,
            "head_since": now,
        }
        for lane, d in sorted(first.items())  # lane order, as refresh locks them
    ]
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = (postgresql.insert if postgres else sqlite.insert)(DeliveryLane).values(rows)
    earlier = insert.excluded.head_id < DeliveryLane.head_id
    upsert = insert.on_conflict_do_update(
        index_elements=[DeliveryLane.lane],
        set_={
            name: case((earlier, insert.excluded[name]), else_=getattr(DeliveryLane, name))
            for name in ("head_id", "due_at", "head_since")
        },
    )
    if postgres and notify:
        done = upsert.returning(DeliveryLane.lane).cte("opened")
        session.execute(select(func.pg_notify(notify, "")).select_from(done).limit(1))
    else:
        session.execute(upsert)
