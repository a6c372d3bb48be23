"""``rookery deliveries list|show|retry`` and ``rookery webhooks list|test`` run as an operator
would: subprocesses pointed at the database and configuration of a running test service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, deliveries, hook, wait_for_count, wait_for_state
from tests.support.receiver import Receiver
from tests.support.service import ADMIN_PASSWORD, Service

SECRET = "a raw signing secret that must stay hidden"


def rookery(service: Service, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``rookery ARGS`` against the service's database and webhook configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOKERY_", "MAGPIE_"))}
    env.update(
        {
            "ROOKERY_DATABASE_URL": service.settings.database_url,
            "ROOKERY_WEBHOOKS_CONFIG_PATH": str(service.settings.webhooks_config_path),
            "ROOKERY_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ROOKERY_URL": service.base,
            "ROOKERY_SECRET": str(service.settings.secret),
            "ROOKERY_ENV_FILE": str(tmp_path / "no.env"),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "rookery.cli", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def hooks(start_service: ServiceFactory, receiver: Receiver) -> Service:
    """A service with a webhook that fails once and for all, and one that works."""
    receiver.script("/bad", default=500)
    receiver.script("/ok", default=200)
    return start_service(
        [
            hook(receiver, "bad-hook", "/bad", retry={"schedule": []}, secret=SECRET),
            hook(
                receiver,
                "ok-hook",
                "/ok",
                headers={"X-Api-Key": "cli-hidden-key", "X-Hub-Signature": "cli-hidden-sig"},
            ),
        ]
    )


def test_deliveries_list_show_and_retry(hooks: Service, receiver: Receiver, tmp_path: Path) -> None:
    """A failed delivery is listed and shown with its attempt, and `retry ID` gets it delivered
    by the running service once the receiver recovers."""
    create_user(hooks, "alice")
    (failed,) = wait_for_count(hooks, 1, status="failed")
    wait_for_count(hooks, 1, status="delivered")

    listed = rookery(hooks, tmp_path, "deliveries", "list", "--status", "failed")
    assert listed.returncode == 0, listed.stderr
    (line,) = [row for row in listed.stdout.splitlines() if "bad-hook" in row]
    assert line.split()[:2] == [str(failed["id"]), "failed"]
    assert "(1 matching)" in listed.stdout
    everything = rookery(hooks, tmp_path, "deliveries", "list", "--webhook", "ok-hook")
    assert "(1 matching)" in everything.stdout

    shown = rookery(hooks, tmp_path, "deliveries", "show", str(failed["id"]))
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["state"] == "failed"
    assert [(a["status_code"], a["response_excerpt"]) for a in detail["attempts"]] == [(500, "ok")]
    assert detail["event"]["params"]["user.name"] == "alice"

    receiver.script("/bad", default=200)
    retried = rookery(hooks, tmp_path, "deliveries", "retry", str(failed["id"]))
    assert retried.returncode == 0, retried.stderr
    assert "1 delivery(ies) queued again" in retried.stdout
    done = wait_for_state(hooks, failed["id"], "delivered")
    assert [a["status_code"] for a in done["attempts"]] == [500, 200]

    again = rookery(hooks, tmp_path, "deliveries", "retry", "--failed")
    assert again.returncode == 0, again.stderr
    assert "0 delivery(ies) queued again" in again.stdout


def test_deliveries_errors_are_one_sentence(hooks: Service, tmp_path: Path) -> None:
    """An unknown delivery id is a one-line error and a non-zero exit, no traceback."""
    for args in (("show", "424242"), ("retry", "424242")):
        result = rookery(hooks, tmp_path, "deliveries", *args)
        assert result.returncode != 0
        assert result.stderr.strip().splitlines()[-1] == (
            "rookery: error: delivery 424242 does not exist"
        )
        assert "Traceback" not in result.stderr


def test_webhooks_list_redacts_secrets(hooks: Service, tmp_path: Path) -> None:
    """`webhooks list` prints every configured webhook with secrets and keys redacted."""
    result = rookery(hooks, tmp_path, "webhooks", "list")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [w["name"] for w in listed] == ["bad-hook", "ok-hook"]
    assert SECRET not in result.stdout
    assert "cli-hidden-key" not in result.stdout
    assert "cli-hidden-sig" not in result.stdout
    assert listed[0]["secrets"] == ["***"]
    assert listed[1]["headers"] == {"X-Api-Key": "***", "X-Hub-Signature": "***"}
    assert listed[1]["key"] == "create_user/ok-hook"


def test_deliveries_show_redacts_every_header_value(
    hooks: Service, receiver: Receiver, tmp_path: Path
) -> None:
    """`deliveries show` prints the stored request with every configured header value as ***,
    while the receiver got the real values."""
    create_user(hooks, "hilda")
    (sent,) = wait_for_count(hooks, 1, status="delivered")
    assert receiver.wait_for(1, "/ok")[0].headers["x-hub-signature"] == "cli-hidden-sig"
    shown = rookery(hooks, tmp_path, "deliveries", "show", str(sent["id"]))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["request"]["headers"] == {
        "Content-Type": "application/json",
        "X-Api-Key": "***",
        "X-Hub-Signature": "***",
    }
    for hidden in ("cli-hidden-key", "cli-hidden-sig", SECRET):
        assert hidden not in shown.stdout + shown.stderr


def test_webhooks_test_sends_one_sample(hooks: Service, receiver: Receiver, tmp_path: Path) -> None:
    """`webhooks test NAME` sends one sample event to that webhook only, prints the outcome,
    exits 0 on 2xx and 1 otherwise, and records the attempt in the delivery log."""
    ok = rookery(hooks, tmp_path, "webhooks", "test", "ok-hook")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "HTTP 200" in ok.stdout
    assert "ok-hook" in ok.stdout
    (got,) = receiver.wait_for(1, "/ok")
    assert got.json() == {"user": "sample-user"}
    assert got.headers["x-api-key"] == "cli-hidden-key"
    assert receiver.on("/bad") == []

    bad = rookery(hooks, tmp_path, "webhooks", "test", "bad-hook")
    assert bad.returncode == 1
    assert "HTTP 500" in bad.stdout
    assert "webhook-signature" in receiver.wait_for(1, "/bad")[0].headers

    samples = deliveries(hooks)["deliveries"]
    assert sorted((d["webhook_name"], d["state"]) for d in samples) == [
        ("bad-hook", "failed"),
        ("ok-hook", "delivered"),
    ]
    for item in samples:
        assert item["attempt_count"] == 1
        assert item["subject"].startswith("sample:")
    assert len(receiver.on("/ok")) == 1
    assert len(receiver.on("/bad")) == 1

    unknown = rookery(hooks, tmp_path, "webhooks", "test", "nope")
    assert unknown.returncode != 0
    assert "'bad-hook', 'ok-hook'" in unknown.stderr
