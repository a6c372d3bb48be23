"""Header names leave the server in canonical case (``Content-Type``), checked on the raw socket."""

from __future__ import annotations

from tests.support.raw_http import CANONICAL_NAME, header_names, raw_response_head
from tests.support.service import Service


def test_api_headers_are_canonical_on_the_wire(service: Service) -> None:
    """A JSON answer, an error and a sign-in all send ``Content-Type``-style names, and a Date."""
    password = (service.settings.admin_password or "").encode()
    signin = b'{"user_name": "admin", "password": "%s"}' % password
    requests = [
        b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /users HTTP/1.1\r\nHost: x\r\nAccept: text/xml\r\nConnection: close\r\n\r\n",
        b"POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(signin), signin),
    ]
    statuses = []
    for request in requests:
        status, lines = raw_response_head(service.settings.port, request)
        statuses.append(status)
        names = header_names(lines)
        assert "Content-Type" in names, lines
        assert "Content-Length" in names, lines
        assert "Date" in names, lines
        assert "date" not in names
        assert "server" not in names
        assert all(CANONICAL_NAME.match(name) for name in names), names
    assert statuses[0].startswith("HTTP/1.1 200")
    assert statuses[1].startswith("HTTP/1.1 401")
    assert statuses[2].startswith("HTTP/1.1 200")


def test_console_headers_are_canonical_on_the_wire(service: Service) -> None:
    """The console's pages and redirects are sent with canonical names too."""
    for path in (b"/ui/signin", b"/"):
        request = b"GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
        _, lines = raw_response_head(service.settings.port, request % path)
        names = header_names(lines)
        assert all(CANONICAL_NAME.match(name) for name in names), names
        assert any(name in ("Content-Type", "Location") for name in names), names
