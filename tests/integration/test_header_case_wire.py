"""Header names leave the server in canonical case (``Content-Type``), checked on the raw socket."""

from __future__ import annotations

import re
import socket

from tests.support.service import Service


def _raw_response(service: Service, request: bytes) -> tuple[str, list[str]]:
    """The status line and the header lines exactly as the server wrote them."""
    with socket.create_connection(("127.0.0.1", service.settings.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return head[0], head[1:]


def _names(lines: list[str]) -> list[str]:
    return [line.split(":", 1)[0] for line in lines]


CANONICAL = re.compile(r"^(WWW|ETag|[A-Z][a-z0-9]*)(-([A-Z][a-z0-9]*|MD5|XSS))*$")


def test_api_headers_are_canonical_on_the_wire(service: Service) -> None:
    """A JSON answer, an error and a sign-in all send ``Content-Type``-style names, and a Date."""
    password = service.settings.admin_password.encode()
    signin = b'{"user_name": "admin", "password": "%s"}' % password
    requests = [
        b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /users HTTP/1.1\r\nHost: x\r\nAccept: text/xml\r\nConnection: close\r\n\r\n",
        b"POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(signin), signin),
    ]
    statuses = []
    for request in requests:
        status, lines = _raw_response(service, request)
        statuses.append(status)
        names = _names(lines)
        assert "Content-Type" in names, lines
        assert "Content-Length" in names, lines
        assert "Date" in names, lines
        assert "date" not in names
        assert "server" not in names
        assert all(CANONICAL.match(name) for name in names), names
    assert statuses[0].startswith("HTTP/1.1 200")
    assert statuses[1].startswith("HTTP/1.1 401")
    assert statuses[2].startswith("HTTP/1.1 200")


def test_console_headers_are_canonical_on_the_wire(service: Service) -> None:
    """The console's pages and redirects are sent with canonical names too."""
    for path in (b"/ui/signin", b"/"):
        request = b"GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
        _, lines = _raw_response(service, request % path)
        names = _names(lines)
        assert all(CANONICAL.match(name) for name in names), names
        assert any(name in ("Content-Type", "Location") for name in names), names
