"""``rookery serve`` itself sends canonical header names: no lower-case ``date``/``server``."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.processes import rookery_env, start, stop, wait_http
from tests.support.raw_http import CANONICAL_NAME, header_names, raw_response_head
from tests.support.service import free_port


def test_served_headers_are_canonical_on_the_wire(database_url: str, tmp_path: Path) -> None:
    """On SQLite (one process) and PostgreSQL (API processes), every name is canonical."""
    port = free_port()
    process = start(
        ["serve", "--no-worker"],
        rookery_env(database_url, ROOKERY_PORT=str(port), ROOKERY_HOST="127.0.0.1"),
        tmp_path / "serve.log",
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/version", process, timeout=90)
        for path in (b"/version", b"/users", b"/ui/signin"):
            request = b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path
            status, lines = raw_response_head(port, request)
            names = header_names(lines)
            assert status.startswith("HTTP/1.1 "), status
            assert "Content-Type" in names, lines
            assert "Date" in names, lines
            assert all(CANONICAL_NAME.match(name) for name in names), names
    finally:
        stop(process)
