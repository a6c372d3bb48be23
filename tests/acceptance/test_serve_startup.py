"""``rookery serve`` refusing to start: one sentence naming the setting, before "serving"."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.processes import ROOKERY, rookery_env


def _serve(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ROOKERY, *flags, "serve"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:1/rookery",
            "ROOKERY_DATABASE_URL: cannot connect to 127.0.0.1:1 (connection refused)",
        ),
        ("not a url at all", "ROOKERY_DATABASE_URL: not a database URL"),
        ("mysql://root@127.0.0.1/rookery", "ROOKERY_DATABASE_URL: 'mysql' databases are not"),
        (
            "sqlite:////nonexistent/directory/rookery.db",
            "ROOKERY_DATABASE_URL: cannot open the SQLite database /nonexistent/directory",
        ),
    ],
    ids=["unreachable", "unparsable", "unsupported", "sqlite-missing-directory"],
)
def test_bad_database_is_one_sentence(database_url: str, expected: str) -> None:
    """An unusable database URL stops serve with one line naming ROOKERY_DATABASE_URL."""
    env = rookery_env(database_url, ROOKERY_PORT=str(_free_port()))
    done = _serve(env)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("rookery: error:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(f"rookery: error: {expected}"), errors[0]
    assert "Traceback" not in done.stderr
    assert "serving" not in done.stdout


def test_database_password_is_not_printed() -> None:
    """The error for an unreachable database never shows the URL's password."""
    env = rookery_env(
        "postgresql://postgres:s3cret-pw@127.0.0.1:1/rookery", ROOKERY_PORT=str(_free_port())
    )
    done = _serve(env)
    assert done.returncode != 0
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_port_in_use_is_one_sentence_before_serving(tmp_path: Path) -> None:
    """A port already taken stops serve with one line naming ROOKERY_PORT, nothing created."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        database = tmp_path / "rookery.db"
        done = _serve(rookery_env(f"sqlite:///{database}", ROOKERY_PORT=str(port)))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        f"rookery: error: ROOKERY_PORT: cannot listen on 127.0.0.1:{port} (address already in use)"
    )
    assert "Traceback" not in done.stderr
    assert "serving" not in done.stdout
    assert not database.exists()


def test_verbose_adds_the_traceback() -> None:
    """With -v the same failure also prints the traceback behind the sentence."""
    env = rookery_env("postgresql://postgres@127.0.0.1:1/rookery", ROOKERY_PORT=str(_free_port()))
    done = _serve(env, "-v")
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "rookery: error: ROOKERY_DATABASE_URL: cannot connect" in done.stderr
