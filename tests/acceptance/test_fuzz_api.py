"""schemathesis against the served OpenAPI document, as an administrator and as a plain user:
no server error, and every response matches the documented schema, status codes and content
type. CI runs a bounded number of examples; ``make fuzz`` runs ten times more."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.acceptance.processes import rookery_env, start, stop, wait_http
from tests.support.service import free_port

EXAMPLES = int(os.environ.get("ROOKERY_FUZZ_EXAMPLES", "10"))
CHECKS = ["-c", "all", "--exclude-checks", "positive_data_acceptance"]
# Sign-out ends the session the fuzzer runs with (every cookie of the user): fuzzing it would
# turn the rest of the run into 401s.
SCOPE = ["--exclude-path", "/signout"]


def _cookie(base: str, user: str, password: str) -> str:
    response = httpx.post(f"{base}/signin", json={"user_name": user, "password": password})
    assert response.status_code == 200, response.text
    return response.cookies["auth_tkt"]


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is not installed in this environment (make install)")
    return [found]


@pytest.mark.parametrize("who", ["admin", "plain user"])
def test_api_survives_fuzzing(tmp_path: Path, who: str) -> None:
    """Every generated request gets a documented, well-formed answer; none gets a 5xx."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = rookery_env(f"sqlite:///{tmp_path / 'rookery.db'}", ROOKERY_PORT=str(port))
    server = start(["serve"], env, tmp_path / "serve.log")
    try:
        wait_http(f"{base}/version", server)
        cookie = _cookie(base, "admin", "admin-password-1")
        if who == "plain user":
            created = httpx.post(
                f"{base}/users",
                cookies={"auth_tkt": cookie},
                json={
                    "user_name": "plain",
                    "email": "plain@example.org",
                    "password": "plain-user-password",
                },
            )
            assert created.status_code == 201, created.text
            cookie = _cookie(base, "plain", "plain-user-password")
        run = subprocess.run(
            [
                *_schemathesis(),
                "run",
                f"{base}/openapi.json",
                "-H",
                f"Cookie: auth_tkt={cookie}",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                "1",
                "--no-color",
                *CHECKS,
                *SCOPE,
            ],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
    finally:
        stop(server)
    summary = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    print(f"\nschemathesis as {who}: {summary.group(0) if summary else 'no summary'}")
    assert run.returncode == 0, run.stdout[-6000:]
    assert summary is not None
    assert int(summary.group(1)) == int(summary.group(2)) > 0
    assert "500" not in re.findall(r"\[(\d{3})\]", run.stdout)
