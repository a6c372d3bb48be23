"""A real HTTP receiver on 127.0.0.1 that records every request it gets.

Tests script its answers per path (a list of status codes consumed in order, then the
default), an optional delay, and read back what arrived, with arrival times.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Script:
    """How the receiver answers one path."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver:
    """Start with ``Receiver().start()``; ``url(path)`` gives the address to configure."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.scripts: dict[str, Script] = {}
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    self.close_connection = True
                    return
                script = receiver.scripts.get(self.path.split("?")[0], Script())
                if script.delay:
                    time.sleep(script.delay)
                status = script.statuses.pop(0) if script.statuses else script.default
                with receiver._cond:
                    receiver.requests.append(
                        Received(
                            self.command,
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.perf_counter(),
                        )
                    )
                    receiver._cond.notify_all()
                self.send_response(status)
                for name, value in script.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(script.body)))
                self.end_headers()
                self.wfile.write(script.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def do_HEAD(self) -> None:
                self._handle()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, **kwargs: Any) -> None:
        self.scripts[path] = Script(**kwargs)

    def on(self, path: str) -> list[Received]:
        """Requests received on ``path``, in arrival order."""
        with self._cond:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def wait_for(
        self,
        count: int,
        path: str | None = None,
        timeout: float = 10.0,
    ) -> list[Received]:
        """Block until ``count`` requests (on ``path``, if given) arrived; fail otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if path is None or r.path.split("?")[0] == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} request(s) on {path or 'any path'}, "
                        f"got {len(got)} within {timeout}s"
                    )
                self._cond.wait(left)
