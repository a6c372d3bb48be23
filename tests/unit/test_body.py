"""Encoding a rendered payload into request body bytes (SPEC §5 "Body encoding")."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from rookery.webhooks.body import FORMATS, content_type_for, encode_body


@pytest.mark.parametrize("payload", [None, "", {}, []])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/xml"])
def test_empty_payload_has_no_body(payload: object, content_type: str) -> None:
    """None, "", {} and [] mean no body at all, whatever the format."""
    assert encode_body(payload, content_type) is None


def test_json_keeps_key_order_and_non_ascii() -> None:
    """JSON bodies keep the configured key order and write non-ASCII characters as UTF-8."""
    body = encode_body({"z": 1, "a": "é"}, "application/json")
    assert body == '{"z": 1, "a": "é"}'.encode()


def test_json_string_payload_becomes_a_json_string() -> None:
    """With the JSON format a string payload is sent as a JSON string."""
    assert encode_body('say "hi"', "application/json") == b'"say \\"hi\\""'


def test_json_scalar_payload() -> None:
    """With the JSON format a number payload is sent as its JSON text."""
    assert encode_body(0, "application/json") == b"0"


def test_json_dates_are_iso_text() -> None:
    """Dates left in a payload are written as ISO 8601 strings."""
    assert encode_body({"d": dt.date(2024, 2, 29)}, "application/json") == b'{"d": "2024-02-29"}'


@pytest.mark.parametrize("content_type", ["text/plain", "text/html", "application/xml"])
def test_string_payload_is_sent_as_utf8_text(content_type: str) -> None:
    """With a non-JSON format a string payload is sent as its UTF-8 text, unchanged."""
    assert encode_body("<b>héllo</b>", content_type) == "<b>héllo</b>".encode()


@pytest.mark.parametrize("content_type", ["text/plain", "text/html; charset=utf-8"])
def test_structured_payload_as_text_is_json_text(content_type: str) -> None:
    """A structured payload under a text format is sent as its JSON text, not form-encoded."""
    body = encode_body({"user": "x", "n": [1, None]}, content_type)
    assert body is not None
    assert json.loads(body) == {"user": "x", "n": [1, None]}


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml"])
def test_structured_payload_as_xml(content_type: str) -> None:
    """A structured payload under an XML format is a well-formed XML document."""
    payload = {"user": {"name": "a&b", "id": 3, "ok": True}, "tags": ["x", "y"], "1bad key": None}
    body = encode_body(payload, content_type)
    assert body is not None
    root = ET.fromstring(body)
    assert root.tag == "payload"
    assert root.findtext("user/name") == "a&b"
    assert root.findtext("user/id") == "3"
    assert root.findtext("user/ok") == "true"
    assert [item.text for item in root.findall("tags/item")] == ["x", "y"]
    entry = root.find("entry")
    assert entry is not None
    assert entry.get("key") == "1bad key"


def test_xml_survives_control_characters() -> None:
    """Characters XML cannot carry are replaced so the document stays well-formed."""
    body = encode_body({"a": "x\x00y"}, "application/xml")
    assert body is not None
    assert ET.fromstring(body).findtext("a") == "x\ufffdy"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("json", "application/json"),
        ("JSON", "application/json"),
        ("html", "text/html"),
        ("text", "text/plain"),
        ("plain", "text/plain"),
        ("xml", "application/xml"),
        (" Text/XML ", "text/xml"),
        ("application/json", "application/json"),
    ],
)
def test_formats_map_to_content_types(value: str, expected: str) -> None:
    """Every accepted format value, in any case, maps to its Content-Type."""
    assert content_type_for(value) == expected


def test_formats_lists_the_spec_values() -> None:
    """FORMATS accepts exactly the format values the SPEC lists."""
    assert set(FORMATS) == {
        "json",
        "html",
        "text",
        "plain",
        "xml",
        "application/json",
        "text/html",
        "text/plain",
        "application/xml",
        "text/xml",
    }


def test_unknown_format_is_refused() -> None:
    """An unknown format value raises KeyError."""
    with pytest.raises(KeyError):
        content_type_for("yaml")
