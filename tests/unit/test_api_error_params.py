"""Magpie's ``param`` object built from Rookery's errors (rookery.api.error_params)."""

from __future__ import annotations

from typing import Any

import pytest

from rookery.api.error_params import error_param, param_object, python_text
from rookery.errors import (
    Check,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RookeryError,
    UnprocessableError,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (["api", "wps"], "['api', 'wps']"),
        (("a", 1), "['a', 1]"),
        (frozenset({"b", "a"}), "['a', 'b']"),
        (range(1, 65), "range(1, 65)"),
        (12, "12"),
        ("[a-z]+", "[a-z]+"),
        ({"k": None}, "{'k': None}"),
    ],
)
def test_python_text_is_what_python_writes(value: object, text: str) -> None:
    """Collections, ranges and scalars are written as Python's ``str()`` writes them."""
    assert python_text(value) == text


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            InvalidInputError("bad", param="n", value="X!", compare="[a-z]+"),
            {"name": "n", "value": "X!", "compare": "[a-z]+", "conditions": {"matches": False}},
        ),
        (
            InvalidInputError("bad", param="n", value=3, compare="Type[str]"),
            {"name": "n", "value": 3, "compare": "Type[str]", "conditions": {"is_type": False}},
        ),
        (
            UnprocessableError("bad", param="t", value="x", compare=["a", "b"]),
            {"name": "t", "value": "x", "compare": "['a', 'b']", "conditions": {"is_in": False}},
        ),
        (
            ConflictError("taken", param="n", value="a", compare=["A"]),
            {"name": "n", "value": "a", "compare": "['A']", "conditions": {"not_in": False}},
        ),
        (
            ForbiddenError("elsewhere", param="parent_id", value=7, compare=3),
            {"name": "parent_id", "value": 7, "compare": "3", "conditions": {"is_equal": False}},
        ),
        (
            NotFoundError("none", param="user_name", value="ghost"),
            {"name": "user_name", "value": "ghost", "conditions": {"not_none": False}},
        ),
        (
            UnprocessableError("missing", param="parent_id"),
            {"name": "parent_id", "value": None, "conditions": {"not_none": False}},
        ),
        (
            InvalidInputError("empty", param="email", value=""),
            {"name": "email", "value": "", "conditions": {"not_empty": False}},
        ),
        (
            InvalidInputError("odd", param="body", value=["x"]),
            {"name": "body", "value": "['x']", "conditions": {}},
        ),
        (
            InvalidInputError(
                "reserved",
                param="user_name",
                value="current",
                compare="current",
                check=Check.NOT_EQUAL,
            ),
            {
                "name": "user_name",
                "value": "current",
                "compare": "current",
                "conditions": {"not_equal": False},
            },
        ),
    ],
)
def test_error_param_follows_magpie(error: RookeryError, expected: dict[str, Any]) -> None:
    """The failed check is the named one, else the one ``compare`` or the error's kind implies;
    ``compare`` is always text and absent when nothing was compared."""
    assert error_param(error) == expected


def test_errors_without_a_field_have_no_param() -> None:
    """An error that names no field gets no ``param`` at all."""
    assert error_param(InvalidInputError("no field")) is None


def test_param_object_without_a_check_has_empty_conditions() -> None:
    """When no single check describes the refusal, ``conditions`` is empty, never invented."""
    assert param_object("x", None) == {"name": "x", "value": None, "conditions": {}}


def test_a_value_as_given_stays_structured() -> None:
    """Where Magpie puts the request's own entries back, the value stays JSON, not text."""
    entries = [{"resource_name": "maps", "resource_type": "route"}]
    error = InvalidInputError("first must be a service", param="resource_type", value=entries)
    assert error_param(error) == {"name": "resource_type", "value": str(entries), "conditions": {}}
    error.value_as_given = True
    assert error_param(error) == {"name": "resource_type", "value": entries, "conditions": {}}
