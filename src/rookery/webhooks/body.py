"""Turning a rendered payload into the bytes of a request body, per SPEC §5 "Body encoding".

Invariants:

- An empty payload (``None``, ``""``, ``{}`` or ``[]``) means no body at all: ``None``, never
  ``b""`` nor ``b"[]"``. ``[]`` is treated like ``{}`` so "empty" has one meaning.
- Bodies are always UTF-8. The body is computed once per delivery; every retry sends and signs
  the same bytes.
- With a JSON content type the payload is JSON (a string payload becomes a JSON string, key order
  is kept, non-ASCII is written as itself). With any other content type a string payload is sent
  as its text, and a structured payload is serialised to match the content type: XML for the XML
  types, JSON text for ``text/plain`` and ``text/html``. Nothing is ever form-encoded.
- ``FORMATS`` keys are lower-case; look formats up with :func:`content_type_for`, which ignores
  case and surrounding spaces.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

FORMATS: dict[str, str] = {
    "json": "application/json",
    "html": "text/html",
    "text": "text/plain",
    "plain": "text/plain",
    "xml": "application/xml",
    "application/json": "application/json",
    "text/html": "text/html",
    "text/plain": "text/plain",
    "application/xml": "application/xml",
    "text/xml": "text/xml",
}

DEFAULT_FORMAT = "json"

_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
# Characters XML 1.0 cannot carry at all; they are replaced so the document stays well-formed.
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def content_type_for(format_value: str) -> str:
    """Return the Content-Type of a ``format`` value; raise ``KeyError`` when it is unknown."""
    return FORMATS[format_value.strip().lower()]


def is_empty_payload(payload: Any) -> bool:
    """Return whether a payload means "no body" (``None``, ``""``, ``{}`` or ``[]``)."""
    return payload is None or (isinstance(payload, str | dict | list) and len(payload) == 0)


def encode_body(rendered_payload: Any, content_type: str) -> bytes | None:
    """Return the body bytes for a rendered payload sent as ``content_type``, or ``None``."""
    if is_empty_payload(rendered_payload):
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return to_json_text(rendered_payload).encode("utf-8")
    if isinstance(rendered_payload, str):
        return rendered_payload.encode("utf-8")
    if media_type in {"application/xml", "text/xml"} or media_type.endswith("+xml"):
        return to_xml_bytes(rendered_payload)
    return to_json_text(rendered_payload).encode("utf-8")


def to_json_text(payload: Any) -> str:
    """Return the payload as JSON text; dates become ISO 8601 strings, NaN is refused."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    """Spell the few non-JSON values a YAML payload may hold (dates) as JSON."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} cannot be written as JSON")


def to_xml_bytes(payload: Any) -> bytes:
    """Return the payload as a small XML document whose root element is ``<payload>``.

    Mapping keys that are valid XML names become elements; other keys become
    ``<entry key="...">``. List items become repeated ``<item>`` elements. Null is an empty
    element, booleans are ``true``/``false``, numbers their JSON text.
    """
    root = ET.Element("payload")
    _fill_xml(root, payload)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _fill_xml(element: ET.Element, value: Any) -> None:
    """Write ``value`` into ``element`` as text or child elements."""
    if isinstance(value, dict):
        for key, item in value.items():
            _fill_xml(_keyed_child(element, str(key)), item)
    elif isinstance(value, list | tuple):
        for item in value:
            _fill_xml(ET.SubElement(element, "item"), item)
    elif value is not None:
        text = value if isinstance(value, str) else to_json_text(value).strip('"')
        element.text = _XML_INVALID.sub("\ufffd", text)


def _keyed_child(parent: ET.Element, key: str) -> ET.Element:
    """Return a new child named after ``key``, or an ``<entry key=...>`` when it cannot be."""
    if _XML_NAME.fullmatch(key) and not key.lower().startswith("xml"):
        return ET.SubElement(parent, key)
    return ET.SubElement(parent, "entry", {"key": _XML_INVALID.sub("\ufffd", key)})
