"""Response header names in canonical case on the wire (``Content-Type``, not ``content-type``).

HTTP header names are case-insensitive, but some clients compare them as written (Magpie's own
test helper looks for ``"Content-Type"`` in a plain dict of the headers). Starlette writes every
name in lower case and uvicorn's HTTP/1.1 writer sends names exactly as given, so this outermost
middleware rewrites them: each dash-separated word capitalised, with the few names whose usual
spelling differs (``WWW-Authenticate``, ``ETag``) spelled as usual.

uvicorn's own ``date`` and ``server`` headers are added after the application and cannot be
rewritten here: the servers run with those switched off (``SERVER_OPTIONS``) and this middleware
writes ``Date`` itself. Invariant: every response (API, console, errors, even a 500) passes
through here.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVER_OPTIONS: dict[str, Any] = {"server_header": False, "date_header": False}
"""uvicorn options for every server running this app: no lower-case ``date``/``server``."""

SPECIAL = {
    b"www-authenticate": b"WWW-Authenticate",
    b"etag": b"ETag",
    b"content-md5": b"Content-MD5",
    b"x-xss-protection": b"X-XSS-Protection",
    b"dnt": b"DNT",
    b"te": b"TE",
}


def canonical(name: bytes) -> bytes:
    """``content-type`` → ``Content-Type`` (and the irregular names as usually spelled)."""
    lower = name.lower()
    special = SPECIAL.get(lower)
    if special is not None:
        return special
    return b"-".join(word[:1].upper() + word[1:] for word in lower.split(b"-"))


class HeaderCase:
    """ASGI middleware: canonical header names, and a ``Date`` header on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_canonical(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(canonical(key), value) for key, value in message.get("headers", [])]
                if not any(key == b"Date" for key, _ in headers):
                    headers.insert(0, (b"Date", formatdate(usegmt=True).encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_canonical)
