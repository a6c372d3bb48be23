"""Worker heartbeats: a beat frees the claims of workers silent for 8 s, and only theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from rookery.db.models import Delivery, WorkerBeat
from rookery.delivery.heartbeat import Heartbeat
from rookery.delivery.outage import OutageLog
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver


def test_a_beat_frees_only_the_claims_of_silent_workers(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """A worker silent for 9 s loses its claim; one that beat 3 s ago and a claimer that never
    beats (`rookery webhooks test`, left to its lease) keep theirs; the beater is recorded."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    for name in ("alice", "bob", "carol"):
        create_user(service, name)
    now = datetime.now(UTC)
    holders = {
        "dead": now - timedelta(seconds=9),
        "busy": now - timedelta(seconds=3),
        "tester": None,
    }
    with service.app.session() as session:
        ids = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
        for delivery_id, (worker, beat_at) in zip(ids, holders.items(), strict=True):
            if beat_at is not None:
                session.add(WorkerBeat(worker_id=worker, beat_at=beat_at))
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(state="sending", claimed_by=worker, lease_until=now + timedelta(minutes=5))
            )
        session.commit()
    Heartbeat(service.app, "live", list, timedelta(seconds=60), OutageLog()).beat([])
    with service.app.session() as session:
        states = {row.id: row.state for row in session.execute(select(Delivery.id, Delivery.state))}
        beats = set(session.scalars(select(WorkerBeat.worker_id)))
    assert [states[i] for i in ids] == ["pending", "sending", "sending"]
    assert beats == {"dead", "busy", "live"}
