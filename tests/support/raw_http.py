"""One HTTP/1.1 exchange over a plain socket, to see the response head exactly as sent."""

from __future__ import annotations

import re
import socket

CANONICAL_NAME = re.compile(r"^(WWW|ETag|[A-Z][a-z0-9]*)(-([A-Z][a-z0-9]*|MD5|XSS))*$")
"""A header name in canonical case: ``Content-Type``, ``WWW-Authenticate``, ``ETag``."""


def raw_response_head(port: int, request: bytes) -> tuple[str, list[str]]:
    """Send ``request`` to 127.0.0.1:``port``; the status line and header lines as written."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return head[0], head[1:]


def header_names(lines: list[str]) -> list[str]:
    """The names of header lines, as written."""
    return [line.split(":", 1)[0] for line in lines]
