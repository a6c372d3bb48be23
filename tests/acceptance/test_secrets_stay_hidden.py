"""No configured header value or signing secret in anything an operator's run prints: the log
of `rookery serve`, `webhooks list`, `deliveries list|show`, `check-config` (even refusing an
invalid header) and the database (SPEC §9; issue 9 item 9)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from tests.acceptance.processes import ROOKERY, rookery_env, start, stop, wait_http
from tests.support.receiver import Receiver
from tests.support.secrets import SecretHook, database_text, leaks
from tests.support.service import free_port, write_config


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `rookery` command to completion; its output, both streams."""
    return subprocess.run(
        [*ROOKERY, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def wait_delivered(client: httpx.Client, count: int, timeout: float = 20) -> list[int]:
    """Poll the delivery log until ``count`` deliveries are delivered; their ids."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get("/webhooks/deliveries", params={"status": "delivered"}).json()
        if page["total"] >= count:
            return [item["id"] for item in page["deliveries"]]
        assert time.monotonic() < deadline, page
        time.sleep(0.1)


def test_an_operators_run_prints_and_stores_no_secret(
    database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    """A served run with a failing-then-working receiver, then every read-out command: the
    receiver got each configured value, and none of them appears in any output or table."""
    receiver.script("/flaky", statuses=[500])
    hooks = [
        SecretHook.make("flaky", receiver, retry={"schedule": ["100ms"]}),
        SecretHook.make("steady", receiver),
    ]
    config = write_config(tmp_path / "live", [hook.item() for hook in hooks])
    port = free_port()
    env = rookery_env(
        database_url, ROOKERY_PORT=str(port), ROOKERY_WEBHOOKS_CONFIG_PATH=str(config)
    )
    log = tmp_path / "serve.log"
    server = start(["serve"], env, log)
    outputs: list[str] = []
    try:
        wait_http(f"http://127.0.0.1:{port}/version", server)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            signed_in = client.post(
                "/signin", json={"user_name": "admin", "password": "admin-password-1"}
            )
            assert signed_in.status_code == 200, signed_in.text
            created = client.post(
                "/users",
                json={
                    "user_name": "ursula",
                    "email": "ursula@example.org",
                    "password": "a-long-enough-password",
                },
            )
            assert created.status_code == 201, created.text
            ids = wait_delivered(client, 2)  # ursula, to both webhooks
            outputs.append(client.get("/webhooks").text)
        for args in (
            ("webhooks", "list"),
            ("deliveries", "list"),
            ("deliveries", "show", str(ids[0])),
            ("check-config", str(config)),
        ):
            done = run(env, *args)
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout + done.stderr)
    finally:
        stop(server)
    bad = write_config(tmp_path / "bad", [hooks[0].item(headers={"X-Auth": ["flaky-x-auth-91c2"]})])
    refused = run(env, "check-config", str(bad))
    assert refused.returncode != 0
    assert "'X-Auth'" in refused.stderr + refused.stdout

    assert len(receiver.on("/flaky")) == 2  # 500, then 200
    for got in receiver.requests:
        hook = hooks[0] if got.path == "/flaky" else hooks[1]
        assert got.headers["x-hub-signature"] == hook.headers["X-Hub-Signature"]
    served = log.read_text(encoding="utf-8")
    assert "HTTP 500" in served  # the log of the run is the one we read
    engine = create_engine(database_url)
    try:
        stored = database_text(engine)
    finally:
        engine.dispose()
    for text in (served, stored, refused.stdout + refused.stderr, *outputs):
        assert leaks(text, hooks) == [], text[:2000]
