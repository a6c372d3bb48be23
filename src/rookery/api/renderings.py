"""The body of an API response in each format a client may ask for (SPEC §9, as Magpie does).

Every route answers one JSON envelope; these functions render that same envelope as plain text
(the JSON itself), XML or an HTML page, so every format carries the same keys and values.
Invariants: the XML names every value's type (``str``, ``int``, ``float``, ``bool``, ``null``,
``dict``, ``list``) as Magpie's XML does, and a key that is not a valid element name becomes
``<key name="...">``; all text is escaped, so no value can inject markup into the XML or the
page. Nesting depth costs memory, never the call stack (resource trees can be very deep).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from rookery.api.deep_json import dumps_deep

_ELEMENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_PRE_STYLE = "word-wrap: break-word; white-space: pre-wrap;"
# Characters XML 1.0 cannot carry at all, even escaped: replaced so the document stays parseable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_text(body: Any) -> bytes:
    """Plain text: the JSON document itself."""
    return dumps_deep(body).encode("utf-8")


def render_html(status: int, body: Any) -> bytes:
    """An HTML page with the status as its title and the JSON body, indented, in a ``<pre>``."""
    title = _status_line(status)
    lead = "Operation successful." if status < 300 else HTTPStatus(status).phrase
    section = "Response" if status < 400 else "Exception"
    try:
        shown = json.dumps(body, indent=True, ensure_ascii=False)
    except RecursionError:  # too deep to indent: show it compact rather than not at all
        shown = dumps_deep(body)
    page = (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n"
        f"{html.escape(lead)}<br><h2>{section} Details</h2>"
        f"<pre style='{_PRE_STYLE}'>{html.escape(shown, quote=False)}</pre>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


def render_xml(body: Any) -> bytes:
    """An XML document whose root ``<response>`` holds one typed element per key."""
    parts = ['<?xml version="1.0" encoding="UTF-8" ?>', "<response>"]
    parts.extend(_xml_items(body))
    parts.append("</response>")
    return "".join(parts).encode("utf-8")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _xml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return type(value).__name__
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "list"
    return "str"


def _open_tag(key: str, value: Any) -> tuple[str, str]:
    """The opening and closing tags of the element holding ``value`` under ``key``."""
    kind = quoteattr(_xml_type(value))
    name = f"n{key}" if key.isdigit() else key  # resource ids key the trees: "n12", as Magpie
    if _ELEMENT_NAME.fullmatch(name) and not name.lower().startswith("xml"):
        return f"<{name} type={kind}>", f"</{name}>"
    return f"<key type={kind} name={quoteattr(_xml_text(key))}>", "</key>"


def _children(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        return ((str(key), item) for key, item in value.items())
    return (("item", item) for item in value)


def _xml_items(body: Any) -> Iterator[str]:
    """The elements of a dict or list, written with an explicit stack (no recursion)."""
    stack: list[tuple[Iterator[tuple[str, Any]], str]] = [(_children(body), "")]
    while stack:
        children, closing = stack[-1]
        entry = next(children, None)
        if entry is None:
            stack.pop()
            yield closing
            continue
        key, value = entry
        opening, end = _open_tag(key, value)
        yield opening
        if isinstance(value, (dict, list)):
            stack.append((_children(value), end))
        else:
            yield _xml_scalar(value)
            yield end


def _xml_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_xml_text(str(value)))


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
