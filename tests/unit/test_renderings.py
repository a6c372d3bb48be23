"""The XML, HTML and text renderings of a response envelope."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from rookery.api.negotiation import requested_type
from rookery.api.renderings import render_html, render_text, render_xml


def _parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def test_xml_types_every_value_and_names_list_items() -> None:
    """Scalars, lists and dicts become typed elements under ``<response>``."""
    root = _parse(
        render_xml({"code": 200, "ok": True, "none": None, "ratio": 0.5, "names": ["a", "b"]})
    )
    assert root.tag == "response"
    assert [(child.tag, child.attrib["type"]) for child in root] == [
        ("code", "int"),
        ("ok", "bool"),
        ("none", "null"),
        ("ratio", "float"),
        ("names", "list"),
    ]
    assert root.findtext("ok") == "true"
    assert [item.text for item in root.findall("names/item")] == ["a", "b"]


def test_xml_keys_that_are_not_element_names() -> None:
    """Numeric keys become ``n<id>``; other invalid names a ``<key name=...>`` element."""
    root = _parse(render_xml({"12": {"a b": "x", "xmlish": 1, "<x>": "y"}}))
    node = root.find("n12")
    assert node is not None
    assert sorted(key.attrib["name"] for key in node.findall("key")) == ["<x>", "a b", "xmlish"]


def test_xml_renders_any_depth_without_recursion() -> None:
    """A tree 5,000 levels deep renders (depth costs memory, not the call stack)."""
    tree: dict[str, Any] = {}
    node = tree
    for _ in range(5000):
        node["children"] = {}
        node = node["children"]
    data = render_xml(tree)
    assert data.count(b"<children") == 5000
    assert data.endswith(b"</response>")


def test_html_escapes_markup_and_text_is_the_json() -> None:
    """The page shows the JSON with markup escaped; text is the JSON document itself."""
    body = {"code": 404, "detail": "</pre><script>x</script>"}
    page = render_html(404, body).decode()
    assert "<title>404 Not Found</title>" in page
    assert "<script>" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page
    assert "Exception Details" in page
    assert json.loads(render_text(body)) == body


def _scope(query: bytes = b"", **headers: str) -> dict[str, Any]:
    pairs = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "query_string": query, "headers": pairs}


def test_requested_type_rules() -> None:
    """Query first, then the first ``Accept`` type; ``*/*`` and browsers' display types are JSON."""
    assert requested_type(_scope()) == "application/json"
    assert requested_type(_scope(accept="*/*")) == "application/json"
    assert requested_type(_scope(b"format=XML", accept="text/plain")) == "text/xml"
    assert requested_type(_scope(b"format=bogus", accept="text/plain")) == "text/plain"
    assert requested_type(_scope(accept="Image/PNG;q=1")) == "image/png"
    browser: dict[str, str] = {"accept": "text/html,*/*", "user_agent": "Mozilla/5.0"}
    assert requested_type(_scope(b"", **browser)) == "application/json"
    assert requested_type(_scope(b"format=html", **browser)) == "text/html"
