"""Rookery served for real: uvicorn on 127.0.0.1 in a thread, with its in-process worker."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

from rookery.bootstrap import Rookery, build
from rookery.config import Settings
from rookery.delivery.runner import worker_lifespan
from rookery.web import SERVER_OPTIONS, create_app

ADMIN_PASSWORD = "admin-password-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    directory: Path,
    webhooks: list[dict[str, Any]] | None,
    name: str = "webhooks.yml",
    **sections: Any,
) -> Path:
    """Write a configuration file with a ``webhooks`` section (and any other sections)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump({"webhooks": webhooks, **sections}, sort_keys=False))
    return path


class Service:
    """A running Rookery: ``base`` URL, ``admin`` client, and the ``app`` object."""

    def __init__(self, settings: Settings, *, worker: bool = True) -> None:
        self.settings = settings
        self.app: Rookery = build(settings)
        lifespan = worker_lifespan(self.app) if worker else None
        config = uvicorn.Config(
            create_app(self.app, lifespan),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            **SERVER_OPTIONS,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base = f"http://{settings.host}:{settings.port}{settings.root_path}"
        self.clients: list[httpx.Client] = []

    def start(self) -> Service:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("Rookery did not start")
            time.sleep(0.01)
        self.admin = self.client(self.settings.admin_user, self.settings.admin_password)
        return self

    def client(self, user_name: str | None = None, password: str | None = None) -> httpx.Client:
        """An HTTP client, signed in when credentials are given."""
        client = httpx.Client(base_url=self.base, timeout=30)
        self.clients.append(client)
        if user_name is not None:
            response = client.post("/signin", json={"user_name": user_name, "password": password})
            assert response.status_code == 200, response.text
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.server.should_exit = True
        self.thread.join(30)
        self.app.engine.dispose()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Test settings: a free port, a known admin password, fast tokens."""
    port = free_port()
    values: dict[str, Any] = {
        "database_url": database_url,
        "host": "127.0.0.1",
        "port": port,
        "admin_password": ADMIN_PASSWORD,
        "secret": "test-cookie-secret",
    }
    values.update(overrides)
    return Settings(**values)
