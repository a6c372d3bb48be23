"""PostgreSQL turns sent from the worker's event loop (db/turns.py ``LoopTurns``): the same
records and claims as a turn on a thread, and a real outage (a TCP proxy cut) raised as one,
with the next turn on a new connection recording what the failed one could not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import exc, make_url, select

from rookery.db import queue
from rookery.db.availability import is_unavailable
from rookery.db.models import Delivery
from rookery.db.outcomes import RecordedBatch
from rookery.db.queue import ClaimedDelivery
from rookery.db.turns import LoopTurns
from rookery.domain.delivery_states import DeliveryState
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.delivery_log import create_user, hook
from tests.support.queue_state import queue_counts
from tests.support.receiver import Receiver
from tests.support.service import Service
from tests.support.tcp_proxy import TcpProxy

LEASE = timedelta(seconds=60)
WORKER = "loop-worker"


def _lane_of_three(start_service: ServiceFactory, receiver: Receiver) -> Service:
    """On PostgreSQL, a service without a worker and one user whose creation opened a lane
    of three deliveries."""
    hooks = [hook(receiver, name, "/h") for name in ("one", "two", "three")]
    service = start_service(hooks, worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("turns go from the loop on PostgreSQL only")
    create_user(service, "alice")
    return service


async def _turn(turns: LoopTurns, sent: list[ClaimedDelivery]) -> list[ClaimedDelivery]:
    now = datetime.now(UTC)
    results = [answered(d.id, WORKER, number=d.attempt_count + 1) for d in sent]
    batch = RecordedBatch.plain(WORKER, {d.id: d for d in sent}, results, now) if sent else None
    claimed, unheld = await turns.record_and_claim(
        batch, queue.claim_params(WORKER, 64, LEASE, now, ()), now
    )
    assert unheld == {}
    return claimed


def test_a_turn_from_the_loop_records_and_claims_one_at_a_time(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = _lane_of_three(start_service, receiver)

    async def go() -> list[list[ClaimedDelivery]]:
        turns = LoopTurns(service.app.engine.url)
        try:
            first = await _turn(turns, [])
            second = await _turn(turns, first)
            third = await _turn(turns, second)
            return [first, second, third, await _turn(turns, third)]
        finally:
            await turns.close()

    taken = asyncio.run(go())
    assert [len(claimed) for claimed in taken] == [1, 1, 1, 0]  # the lane, one at a time
    assert taken[0][0].id < taken[1][0].id < taken[2][0].id
    assert queue_counts(service) == ([DeliveryState.DELIVERED] * 3, 3, 0)


def test_a_cut_connection_is_an_outage_and_the_next_turn_records_what_it_could_not(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = _lane_of_three(start_service, receiver)
    url = make_url(service.app.engine.url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)

        async def go() -> list[ClaimedDelivery]:
            turns = LoopTurns(proxied)
            try:
                (first,) = await _turn(turns, [])
                proxy.cut()
                with pytest.raises(exc.DBAPIError) as raised:
                    await _turn(turns, [first])
                assert is_unavailable(raised.value)
                with pytest.raises(exc.DBAPIError) as refused:  # still cut: a new connection fails
                    await _turn(turns, [first])
                assert is_unavailable(refused.value)
                proxy.restore()
                return await _turn(turns, [first])
            finally:
                await turns.close()

        (second,) = asyncio.run(go())
    states, attempts, _ = queue_counts(service)
    assert states[0] == DeliveryState.DELIVERED
    assert attempts == 1  # the failed turns wrote nothing
    assert second.id == sorted(_ids(service))[1]  # the lane moved on to its second


def _ids(service: Service) -> list[int]:
    with service.app.session() as session:
        return list(session.scalars(select(Delivery.id)))
