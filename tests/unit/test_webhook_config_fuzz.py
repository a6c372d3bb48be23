"""Property tests: any document either loads or fails with an error naming its file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rookery.errors import InvalidWebhookConfigError
from rookery.webhooks.actions import (
    WEBHOOK_HTTP_METHODS,
    WEBHOOK_KEYS,
    WEBHOOK_KEYS_REQUIRED,
    WebhookAction,
)
from rookery.webhooks.body import FORMATS, encode_body
from rookery.webhooks.config import load_webhooks
from rookery.webhooks.templates import replace_template

YAML_CHARACTERS = "webhooks:-[]{}'\"&*!| \n\t$x1.#?%@,"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["{{user.name}}", "'{{user.id}}'", "$HOME", "${NOPE}", "5s", "whsec_@@"]),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4)
    ),
    max_leaves=12,
)

# Plausible values for each key, so that many generated items are valid.
VALID: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(min_size=1, max_size=10).filter(str.strip),
    "action": st.sampled_from([a.value for a in WebhookAction]),
    "method": st.sampled_from([*WEBHOOK_HTTP_METHODS, "post", "Get"]),
    "url": st.sampled_from(["http://h", "https://h:8/p?q={{x}}", "http://[::1]:9/", "HTTP://H"]),
    "format": st.sampled_from([*FORMATS, "XML", " Json "]),
    "payload": values,
    "headers": st.dictionaries(
        st.from_regex(r"X-[A-Za-z0-9-]{1,6}", fullmatch=True),
        st.integers() | st.text(alphabet=st.characters(exclude_characters="\r\n\0"), max_size=8),
        max_size=3,
    ),
    "secret": st.sampled_from(["whsec_c2VjcmV0", "raw", ["raw", "whsec_c2VjcmV0="]]),
    "timeout": st.sampled_from([1, 0.5, "3s", "250ms", "10"]),
    "retry": st.fixed_dictionaries(
        {"schedule": st.lists(st.sampled_from([0, 1.5, "5s", "2h", "1d"]), max_size=3)}
    ),
    "enabled": st.booleans() | st.sampled_from(["true", "no"]),
    "exclude_actors": st.lists(st.text(min_size=1, max_size=5), max_size=3),
    "ordering": st.sampled_from(["receiver", "none"]),
    "id": st.text(alphabet=st.characters(min_codepoint=32), min_size=1, max_size=12).filter(
        str.strip
    ),
}
valid_items = st.fixed_dictionaries(
    {key: VALID[key] for key in sorted(WEBHOOK_KEYS_REQUIRED)},
    optional={key: VALID[key] for key in sorted(WEBHOOK_KEYS - WEBHOOK_KEYS_REQUIRED)},
)


@st.composite
def mutated_items(draw: st.DrawFn) -> dict[Any, Any]:
    """A valid item with one key given an arbitrary value (or one unknown key added)."""
    item: dict[Any, Any] = draw(valid_items)
    key = draw(st.sampled_from([*sorted(WEBHOOK_KEYS), "heders", "Name"]) | st.integers())
    item[key] = draw(values)
    return item


items = st.one_of(valid_items, valid_items, mutated_items(), values)
webhook_documents = st.fixed_dictionaries(
    {"webhooks": st.lists(items, max_size=4) | st.lists(valid_items, max_size=3) | values},
    optional={"providers": values, "users": values},
)
documents = st.one_of(webhook_documents, webhook_documents, values)


def _load(text: str, name: str) -> tuple[str, Any]:
    """Write ``text`` to a fresh file and load it; return the path and the outcome."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / name
        file.write_text(text, encoding="utf-8")
        try:
            return str(file), load_webhooks(file, environ={"HOME": "/home/x"})
        except InvalidWebhookConfigError as error:
            return str(file), error


def _check(path: str, outcome: Any) -> None:
    """A load either gives usable webhooks or an error that names the file."""
    if isinstance(outcome, InvalidWebhookConfigError):
        assert str(outcome).startswith(path)
        return
    params = {"user.name": "alice", "user.id": 7, "user.status": None}
    for webhook in outcome:
        json.dumps(webhook.as_public_dict(), allow_nan=False)
        rendered = replace_template(params, webhook.payload)
        body = encode_body(rendered, webhook.content_type)
        assert body is None or isinstance(body, bytes)


@FUZZ
@given(document=documents)
def test_random_documents_load_or_fail_cleanly(document: Any) -> None:
    """Any YAML document either loads or raises InvalidWebhookConfigError naming the file."""
    text = yaml.safe_dump(document, allow_unicode=True)
    _check(*_load(text, "webhooks.yml"))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list(YAML_CHARACTERS)), max_size=80))
def test_random_text_loads_or_fails_cleanly(text: str) -> None:
    """Arbitrary YAML-ish text either loads or raises InvalidWebhookConfigError naming the file."""
    _check(*_load(text, "odd.cfg"))
