"""A delivery is sent with the headers and secrets of the webhook that produced it, or not at
all (SPEC §9; issue 9 item 2): queued deliveries survive a reordered configuration, and a
delivery whose webhook is gone fails with its reason and is replayable once it is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.conftest import ServiceFactory
from tests.support.delivery_log import (
    create_user,
    deliveries,
    delivery,
    wait_for_count,
    wait_for_state,
)
from tests.support.receiver import Received, Receiver
from tests.support.secrets import SecretHook
from tests.support.service import Service, write_config


@pytest.fixture
def partner() -> Iterator[SecretHook]:
    """`partner`, with its own receiver, headers and signing secret."""
    receiver = Receiver().start()
    yield SecretHook.make("partner", receiver)
    receiver.stop()


@pytest.fixture
def billing() -> Iterator[SecretHook]:
    """`billing`, with its own receiver, headers and signing secret."""
    receiver = Receiver().start()
    yield SecretHook.make("billing", receiver)
    receiver.stop()


def restart(
    start_service: ServiceFactory,
    tmp_path: Path,
    items: list[dict[str, Any]],
    *,
    worker: bool = True,
) -> Service:
    """Start the service on one configuration file, rewritten in place as an operator would."""
    path = write_config(tmp_path / "live", items)
    return start_service(webhooks_config_path=str(path), worker=worker)


def assert_sent_by(got: Received, own: SecretHook, *others: SecretHook) -> None:
    """``got`` carries exactly ``own``'s headers and verifies with its secret, no other's."""
    assert {name: got.headers[name.lower()] for name in own.headers} == own.headers
    for other in others:
        for value in other.headers.values():
            assert value not in got.headers.values(), (own.name, other.name)
        with pytest.raises(WebhookVerificationError):
            Webhook(other.secret).verify(got.body, got.headers)
    assert Webhook(own.secret).verify(got.body, got.headers)["hook"] == own.name


def test_reordered_and_inserted_items_keep_each_delivery_with_its_own_webhook(
    start_service: ServiceFactory, tmp_path: Path, partner: SecretHook, billing: SecretHook
) -> None:
    """Deliveries queued while no worker runs go out after a restart with the items reordered
    and a new one inserted first, each with exactly its own webhook's headers and secret."""
    inserted = SecretHook.make("audit", partner.receiver)
    first = restart(start_service, tmp_path, [partner.item(), billing.item()], worker=False)
    for name in ("alice", "bob"):
        create_user(first, name)
    assert {d["state"] for d in deliveries(first)["deliveries"]} == {"pending"}
    first.stop()

    second = restart(start_service, tmp_path, [inserted.item(), billing.item(), partner.item()])
    sent = wait_for_count(second, 4, status="delivered")
    assert sorted(d["webhook_name"] for d in sent) == ["billing", "billing", "partner", "partner"]
    for got in partner.receiver.on("/partner"):
        assert_sent_by(got, partner, billing, inserted)
    for got in billing.receiver.on("/billing"):
        assert_sent_by(got, billing, partner, inserted)
    assert len(partner.receiver.on("/partner")) == len(billing.receiver.on("/billing")) == 2
    assert partner.receiver.on("/audit") == []


def test_removed_webhook_fails_with_its_reason_and_is_replayed_once_back(
    start_service: ServiceFactory, tmp_path: Path, partner: SecretHook, billing: SecretHook
) -> None:
    """A queued delivery whose webhook was removed fails at once (one attempt, nothing sent)
    with a reason naming it; re-added and retried, it is delivered with its own secrets."""
    retrying = billing.item(retry={"schedule": ["1s"] * 5})
    first = restart(start_service, tmp_path, [partner.item(), retrying], worker=False)
    create_user(first, "carol")
    first.stop()

    second = restart(start_service, tmp_path, [partner.item()])
    (failed,) = wait_for_count(second, 1, status="failed")
    detail = delivery(second, failed["id"])
    reason = "webhook 'billing' for action 'create_user' is no longer configured"
    assert detail["webhook_name"] == "billing"
    assert reason in detail["last_error"]
    assert [(a["status_code"], reason in a["error"]) for a in detail["attempts"]] == [(None, True)]
    assert_sent_by(partner.receiver.wait_for(1, "/partner")[0], partner, billing)
    assert billing.receiver.requests == []
    second.stop()

    third = restart(start_service, tmp_path, [billing.item(), partner.item()])
    retried = third.admin.post(f"/webhooks/deliveries/{failed['id']}/retry")
    assert retried.status_code == 202, retried.text
    done = wait_for_state(third, failed["id"], "delivered")
    assert [a["status_code"] for a in done["attempts"]] == [None, 200]
    (got,) = billing.receiver.wait_for(1, "/billing")
    assert_sent_by(got, billing, partner)


def test_moved_webhook_is_not_sent_to_either_address(
    start_service: ServiceFactory, tmp_path: Path, partner: SecretHook, billing: SecretHook
) -> None:
    """When a queued delivery's webhook now points at another URL, the delivery fails naming
    both addresses, and neither receiver gets the webhook's headers."""
    first = restart(start_service, tmp_path, [billing.item()], worker=False)
    create_user(first, "dave")
    first.stop()

    moved = billing.item(url=partner.receiver.url("/billing-moved"))
    second = restart(start_service, tmp_path, [moved])
    (failed,) = wait_for_count(second, 1, status="failed")
    error = delivery(second, failed["id"])["last_error"]
    assert error.startswith(
        "webhook 'billing' for action 'create_user' now sends to "
        f"{partner.receiver.url('/billing-moved')}, not "
        f"{billing.receiver.url('/billing')}"
    )
    assert billing.receiver.requests == partner.receiver.requests == []

    # Events after the move go to the new address, with the webhook's headers.
    create_user(second, "erin")
    (got,) = partner.receiver.wait_for(1, "/billing-moved")
    assert_sent_by(got, billing, partner)
