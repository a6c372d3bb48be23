"""The ``ordering`` key of a webhook item: ``receiver`` by default, ``none`` accepted, anything
else refused with a message naming the file, the item and the key."""

from __future__ import annotations

import pytest

from rookery.domain.ordering import Ordering
from rookery.errors import InvalidWebhookConfigError
from rookery.webhooks.config import validate_webhook_item

ITEM = {"name": "mirror", "action": "create_user", "method": "POST", "url": "http://r/h"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, Ordering.RECEIVER),
        ({"ordering": "receiver"}, Ordering.RECEIVER),
        ({"ordering": "none"}, Ordering.NONE),
    ],
)
def test_ordering_is_read(given: dict[str, str], expected: Ordering) -> None:
    """An absent key means per-receiver order; both names are accepted."""
    webhook = validate_webhook_item({**ITEM, **given}, "hooks.yml", 0)
    assert webhook.ordering is expected
    assert webhook.as_public_dict()["ordering"] == expected.value


@pytest.mark.parametrize("bad", ["parallel", "None", 1, ["none"]])
def test_unknown_ordering_is_refused(bad: object) -> None:
    """Any other value names the file, the item and the key, and lists the choices."""
    with pytest.raises(InvalidWebhookConfigError) as raised:
        validate_webhook_item({**ITEM, "ordering": bad}, "hooks.yml", 2)
    message = str(raised.value)
    assert message.startswith("hooks.yml: webhook #3 ('mirror'): key 'ordering': expected")
    assert "'receiver' or 'none'" in message
