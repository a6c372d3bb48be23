"""Content negotiation for every API route, as Magpie does it (SPEC §9).

The response format is chosen once per request, before any route runs: the ``format`` query
(``json``, ``xml``, ``html``, ``text``/``plain`` or a full media type) wins; otherwise the
first media type of the ``Accept`` header; JSON when neither names one (missing, ``*/*``).
A browser (its ``User-Agent`` names Mozilla, Chrome or Safari) that did not ask for JSON by
query gets JSON anyway, since browsers send a display-oriented ``Accept`` with every request.
A format Rookery cannot produce is answered 406 before the route runs, in JSON, naming the
rejected value (``param``). An unknown ``format`` value is ignored, as Magpie ignores it.

Routes and error handlers keep answering JSON envelopes; this layer renders the finished
envelope in the chosen format (``rookery.api.renderings``), rewriting its ``type`` key to the
format sent. JSON responses pass through untouched and unbuffered. The console (``/ui``), the
API documentation (``/api``, ``/json``, ``/openapi.json``) and ``/metrics`` are not
negotiated: they have formats of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rookery.api.error_params import param_object
from rookery.api.errors import error_response
from rookery.api.renderings import render_html, render_text, render_xml
from rookery.errors import Check

JSON = "application/json"
HTML = "text/html"
TEXT = "text/plain"
XML_APP = "application/xml"
XML_TEXT = "text/xml"
SUPPORTED = (JSON, HTML, TEXT, XML_APP, XML_TEXT)
FORMATS = {"json": JSON, "html": HTML, "text": TEXT, "plain": TEXT, "xml": XML_TEXT} | {
    media: media for media in SUPPORTED
}
BROWSERS = ("Mozilla", "Chrome", "Safari")
NOT_ACCEPTABLE = "Unsupported 'Accept' header or 'format' query: no response in that format."
ACCEPT_PARAM = "Accept Header or Format Query"

# What goes out for each requested type: (Content-Type header, renderer of status and body).
Renderer = Callable[[int, Any], bytes]
OUTPUT: dict[str, tuple[bytes, Renderer]] = {
    TEXT: (b"text/plain; charset=utf-8", lambda _, body: render_text(body)),
    HTML: (b"text/html; charset=utf-8", render_html),
    XML_APP: (b"text/xml; charset=utf-8", lambda _, body: render_xml(body)),
    XML_TEXT: (b"text/xml; charset=utf-8", lambda _, body: render_xml(body)),
}

NOT_NEGOTIATED_TREES = ("/ui", "/api")
NOT_NEGOTIATED = {"/openapi.json", "/json", "/metrics"}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def requested_type(scope: Scope) -> str:
    """The media type this request asks for (lower case; maybe one Rookery cannot produce)."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    by_query = FORMATS.get(query.get("format", "").strip().lower())
    if by_query is not None:
        return by_query
    accept = (_header(scope, b"accept") or "").replace(";", ",").split(",")[0].strip().lower()
    if accept in ("", "*/*"):
        return JSON
    agent = _header(scope, b"user-agent") or ""
    if accept != JSON and any(browser in agent for browser in BROWSERS):
        return JSON
    return accept


class Negotiation:
    """ASGI middleware: 406 for formats Rookery cannot produce, rendering for the others."""

    def __init__(self, app: ASGIApp, prefix: str = "") -> None:
        self.app = app
        self.prefix = prefix

    def _negotiated(self, path: str) -> bool:
        if self.prefix and not path.startswith(self.prefix):
            return True
        relative = path[len(self.prefix) :]
        if relative in NOT_NEGOTIATED:
            return False
        return not any(
            relative == tree or relative.startswith(f"{tree}/") for tree in NOT_NEGOTIATED_TREES
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._negotiated(scope["path"]):
            await self.app(scope, receive, send)
            return
        wanted = requested_type(scope)
        if wanted not in SUPPORTED:
            param = param_object(ACCEPT_PARAM, wanted, compare=list(SUPPORTED), check=Check.IS_IN)
            response = error_response(Request(scope), 406, NOT_ACCEPTABLE, param)
            await response(scope, receive, send)
            return
        if wanted == JSON:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, Rendering(send, wanted))


class Rendering:
    """The ``send`` of one request: holds a JSON response back and sends it rendered."""

    def __init__(self, send: Send, wanted: str) -> None:
        self.send = send
        self.wanted = wanted
        self.start: Message | None = None
        self.passthrough = False
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if content_type.split(b";")[0].strip().lower() == JSON.encode():
                self.start = message
                return
            self.passthrough = True
        if self.passthrough or self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        await self._send_rendered(self.start, b"".join(self.chunks))

    async def _send_rendered(self, start: Message, raw: bytes) -> None:
        body = _rendered(start["status"], raw, self.wanted)
        if body is None:  # empty, not JSON after all, or too deep to parse: send as it was
            await self.send(start)
            await self.send({"type": "http.response.body", "body": raw})
            return
        content_type, payload = body
        headers = [
            (key, value)
            for key, value in start.get("headers", [])
            if key.lower() not in (b"content-type", b"content-length")
        ]
        headers += [(b"content-type", content_type), (b"content-length", b"%d" % len(payload))]
        await self.send({**start, "headers": headers})
        await self.send({"type": "http.response.body", "body": payload})


def _rendered(status: int, raw: bytes, wanted: str) -> tuple[bytes, bytes] | None:
    """The Content-Type and body of a JSON body rendered as ``wanted`` (None: leave it)."""
    if not raw.strip():
        return None
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict) and "type" in document:
        document["type"] = wanted
    content_type, render = OUTPUT[wanted]
    return content_type, render(status, document)
