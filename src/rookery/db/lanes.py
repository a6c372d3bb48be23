"""The lanes table: each lane's head and when it is due, so a claim reads due lanes only.

Invariants (kept by :func:`refresh`, called in every transaction that opens, claims, releases
or finishes a delivery):
- a lane has a row exactly while it has an unfinished delivery; ``head_id`` is the lowest
  unfinished id of the lane, ``due_at`` the head's ``next_attempt_at`` while the head is
  ``pending`` and NULL while it is ``sending``;
- :func:`refresh` locks the lane rows first (an upsert, in lane order, so two transactions
  never wait on each other in a cycle), then reads the heads: on PostgreSQL each statement
  sees what committed before it, so the row written is never older than the deliveries;
- ``head_since`` changes only when the head does: a lane whose head is old has not moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnClause

from rookery.db.models import Delivery, DeliveryLane
from rookery.domain.delivery_states import OPEN, DeliveryState

# Literals, not parameters: SQLite uses a partial index only when the WHERE visibly implies it.
_OPEN: tuple[ColumnClause[str], ...] = tuple(literal_column(f"'{s.value}'") for s in sorted(OPEN))


def refresh(session: Session, receivers: Mapping[str, str], now: datetime) -> None:
    """Bring the rows of the lanes in ``receivers`` (lane → receiver) up to date."""
    if not receivers:
        return
    lanes = sorted(receivers)
    before = _lock(session, [(lane, receivers[lane]) for lane in lanes], now)
    heads = _heads(session, lanes)
    gone = [lane for lane in lanes if heads.get(lane) is None]
    rows = []
    for lane, head in heads.items():
        if head is None:
            continue
        head_id, state, due = head
        old_head, since = before[lane]
        rows.append(
            {
                "b_lane": lane,
                "head_id": head_id,
                "due_at": due if state == DeliveryState.PENDING else None,
                "head_since": since if head_id == old_head else now,
            }
        )
    if rows:
        table = cast(Table, DeliveryLane.__table__)
        session.execute(
            update(table)
            .where(table.c.lane == bindparam("b_lane"))
            .values(
                head_id=bindparam("head_id"),
                due_at=bindparam("due_at"),
                head_since=bindparam("head_since"),
            ),
            rows,
        )
    if gone:
        session.execute(
            delete(DeliveryLane)
            .where(DeliveryLane.lane.in_(gone))
            .execution_options(synchronize_session=False)
        )


def _lock(
    session: Session, lanes: list[tuple[str, str]], now: datetime
) -> dict[str, tuple[int, datetime]]:
    """Insert missing lane rows and lock all of them; return each lane's head and its since."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(DeliveryLane).values(
        [{"lane": k, "receiver": r, "head_id": 0, "head_since": now} for k, r in lanes]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[DeliveryLane.lane], set_={"receiver": statement.excluded.receiver}
    ).returning(DeliveryLane.lane, DeliveryLane.head_id, DeliveryLane.head_since)
    return {lane: (head_id, since) for lane, head_id, since in session.execute(statement)}


def _heads(
    session: Session, lanes: list[str]
) -> dict[str, tuple[int, DeliveryState, datetime] | None]:
    """Each lane's lowest unfinished delivery: (id, state, next attempt), None when none."""
    inner = aliased(Delivery)
    lowest = (
        select(func.min(inner.id))
        .where(inner.lane == DeliveryLane.lane, inner.state.in_(_OPEN))
        .scalar_subquery()
    )
    picked = (
        select(DeliveryLane.lane, lowest.label("head"))
        .where(DeliveryLane.lane.in_(lanes))
        .subquery()
    )
    rows = session.execute(
        select(picked.c.lane, Delivery.id, Delivery.state, Delivery.next_attempt_at).outerjoin(
            Delivery, Delivery.id == picked.c.head
        )
    ).all()
    found: dict[str, tuple[int, DeliveryState, datetime] | None] = dict.fromkeys(lanes)
    for lane, head_id, state, due in rows:
        if head_id is not None:
            found[lane] = (int(head_id), DeliveryState(state), due)
    return found


def rebuild(session: Session, now: datetime) -> None:
    """Write every lane's row from the deliveries (after a bulk load that bypassed the outbox)."""
    session.execute(delete(DeliveryLane))
    lanes = select(Delivery.lane, Delivery.receiver).where(Delivery.state.in_(_OPEN)).distinct()
    found: dict[str, str] = {row.lane: row.receiver for row in session.execute(lanes)}
    batch = 500
    keys = sorted(found)
    for start in range(0, len(keys), batch):
        refresh(session, {k: found[k] for k in keys[start : start + batch]}, now)
