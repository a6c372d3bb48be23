"""``rookery deliveries list --blocked`` lists the deliveries holding up their lane for longer
than ``ROOKERY_LANE_BLOCKED_SECONDS``, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, deliveries, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

WAIT = {"schedule": [120]}


def list_blocked(service: Service, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``rookery deliveries list --blocked`` on the service's database, threshold 1 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOKERY_", "MAGPIE_"))}
    env.update(
        {
            "ROOKERY_DATABASE_URL": service.settings.database_url,
            "ROOKERY_WEBHOOKS_CONFIG_PATH": str(service.settings.webhooks_config_path),
            "ROOKERY_LANE_BLOCKED_SECONDS": "1",
            "ROOKERY_ENV_FILE": str(tmp_path / "no.env"),
        }
    )
    command = [sys.executable, "-m", "rookery.cli", "deliveries", "list", "--blocked"]
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


def test_deliveries_list_blocked(
    start_service: ServiceFactory, receiver: Receiver, tmp_path: Path
) -> None:
    """With a 1 s threshold, the failing head of a two-delivery lane is listed by
    ``--blocked`` (the one behind it and the other user's lane are not)."""
    receiver.script("/fail", default=500)
    service = start_service(
        [
            hook(receiver, "first", "/fail", retry=WAIT),
            hook(receiver, "second", "/fail", retry=WAIT),
        ],
        lane_blocked_seconds=1,
    )
    create_user(service, "alice")
    receiver.wait_for(1, "/fail")
    deadline = time.monotonic() + 15
    while deliveries(service, blocked="true")["total"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)

    listed = list_blocked(service, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "(1 matching)" in listed.stdout
    (line,) = [row for row in listed.stdout.splitlines() if "create_user" in row]
    assert line.split()[1] == "pending"
    assert line.split()[4] == "first"
