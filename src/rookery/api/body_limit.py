"""The request body limit: a pure ASGI middleware that never lets a body grow past the setting.

Invariants:

* a request whose ``Content-Length`` exceeds the limit is answered 413 before any of its body
  is read;
* a body without ``Content-Length`` (chunked) is counted as it arrives; the chunk that crosses
  the limit raises :class:`PayloadTooLargeError` inside ``receive``, so the route reading the
  body stops there and the error table answers 413 — at most ``limit`` bytes (plus one chunk)
  were ever held;
* requests within the limit pass through untouched.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rookery.api.errors import rookery_error_response
from rookery.errors import PayloadTooLargeError


def too_large(limit: int) -> PayloadTooLargeError:
    """The error for a body over ``limit`` bytes."""
    return PayloadTooLargeError(
        f"request body is larger than the limit of {limit} bytes (ROOKERY_MAX_BODY_BYTES)",
        param="body",
    )


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            response = rookery_error_response(Request(scope), too_large(self.limit))
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(self.limit)
            return message

        return counted


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
