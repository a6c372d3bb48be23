"""The iterative JSON writer: the standard encoder's exact text, at any depth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rookery.api.deep_json import dumps_deep

SAMPLES: list[Any] = [
    {},
    [],
    'text with "quotes" and é',
    None,
    {"a": [1, 2.5, {"b": None}], "c": True, "d": "ü\n"},
    [[], [{}], [[1]]],
    {7: "int key", True: "bool key", None: "null key", 2.5: "float key"},
]


@pytest.mark.parametrize("value", SAMPLES)
def test_same_text_as_the_standard_encoder(value: Any) -> None:
    """For values json.dumps can render, dumps_deep writes byte-for-byte the same text."""
    expected = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert dumps_deep(value) == expected


def test_renders_nesting_deeper_than_the_recursion_limit() -> None:
    """Ten thousand nested objects render (json.dumps raises RecursionError on them)."""
    tree: dict[str, Any] = {}
    node = tree
    for _ in range(10_000):
        node["children"] = {}
        node = node["children"]
    with pytest.raises(RecursionError):
        json.dumps(tree)
    text = dumps_deep(tree)
    assert text == '{"children":' * 10_000 + "{}" + "}" * 10_000


def test_refuses_what_json_cannot_hold() -> None:
    """NaN is refused as by the standard encoder with allow_nan=False."""
    with pytest.raises(ValueError, match="JSON"):
        dumps_deep({"x": [float("nan")]})
