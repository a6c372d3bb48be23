"""``rookery check-config PATH`` run as an operator runs it: a subprocess, exit codes, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.mako_mail import SUBMISSION, write_templates
from tests.support.service import free_port

ROOKERY = str(Path(sys.executable).with_name("rookery"))
GOOD = {
    "name": "good",
    "action": "create_user",
    "method": "POST",
    "url": "https://hooks.example.org/users",
    "payload": {"u": "{{user.name}}"},
}


def _write(path: Path, webhooks: Any, **sections: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump({"webhooks": webhooks, **sections}, sort_keys=False), encoding="utf-8"
    )
    return path


def _run(
    tmp_path: Path, *args: str, settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``rookery`` in an empty directory with no Rookery settings but a throw-away database
    (and ``settings``, when given)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ROOKERY_", "MAGPIE_", "TWITCHER_"))
    }
    env["ROOKERY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'untouched.db'}"
    env.update(settings or {})
    return subprocess.run(
        [ROOKERY, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_valid_file_exits_zero_and_lists_webhooks(tmp_path: Path) -> None:
    """A valid file exits 0, counts its webhooks and names them, touching no database."""
    config = _write(
        tmp_path / "hooks.yml",
        [GOOD, {**GOOD, "name": "second", "action": "delete_user", "method": "delete"}],
    )
    result = _run(tmp_path, "check-config", str(config))
    assert result.returncode == 0, result.stderr
    assert "2 webhook(s) valid" in result.stdout
    assert "good: create_user POST https://hooks.example.org/users" in result.stdout
    assert "second: delete_user DELETE" in result.stdout
    assert not (tmp_path / "untouched.db").exists()


def test_directory_is_checked_in_alphabetical_order(tmp_path: Path) -> None:
    """A directory's files are all validated and listed in name order."""
    folder = tmp_path / "conf"
    _write(folder / "b.yml", [{**GOOD, "name": "from-b"}])
    (folder / "a.json").write_text(
        json.dumps({"webhooks": [{**GOOD, "name": "from-a"}]}), encoding="utf-8"
    )
    _write(folder / "c.cfg", None)
    (folder / "readme.md").write_text("webhooks: [ {broken", encoding="utf-8")
    result = _run(tmp_path, "check-config", str(folder))
    assert result.returncode == 0, result.stderr
    assert "2 webhook(s) valid" in result.stdout
    assert result.stdout.index("from-a") < result.stdout.index("from-b")


@pytest.mark.parametrize(
    ("item", "fragments"),
    [
        ({**GOOD, "name": "bad-url", "url": "hooks.example.org"}, ["('bad-url')", "key 'url'"]),
        ({**GOOD, "name": "bad-action", "action": "make_user"}, ["('bad-action')", "key 'action'"]),
        ({**GOOD, "name": "bad-method", "method": "SEND"}, ["('bad-method')", "key 'method'"]),
        ("not-a-mapping", ["expected a mapping"]),
        ({**GOOD, "name": "typo", "heders": {}}, ["('typo')", "did you mean 'headers'"]),
    ],
    ids=["url", "action", "method", "non-mapping", "unknown-key"],
)
def test_invalid_item_exits_non_zero_with_one_precise_sentence(
    tmp_path: Path, item: Any, fragments: list[str]
) -> None:
    """An invalid item exits non-zero with one line naming file, item and key, no traceback."""
    config = _write(tmp_path / "hooks.yml", [GOOD, item])
    result = _run(tmp_path, "check-config", str(config))
    assert result.returncode != 0
    assert "valid" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("rookery: error:")]
    assert len(errors) == 1, result.stderr
    assert f"{config}: webhook #2" in errors[0]
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "untouched.db").exists()


def test_verbose_flag_adds_the_traceback(tmp_path: Path) -> None:
    """With ``-v`` the same refusal also prints the traceback."""
    config = _write(tmp_path / "hooks.yml", [{**GOOD, "method": "SEND"}])
    result = _run(tmp_path, "-v", "check-config", str(config))
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "key 'method'" in result.stderr


def test_missing_path_exits_non_zero_naming_it(tmp_path: Path) -> None:
    """A path that does not exist is refused, named in the message."""
    missing = tmp_path / "nowhere.yml"
    result = _run(tmp_path, "check-config", str(missing))
    assert result.returncode != 0
    assert f"{missing}: no such file or directory" in result.stderr


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    """A file that is not YAML is refused, naming the file and the line."""
    config = tmp_path / "broken.yml"
    config.write_text("webhooks:\n  - name: x\n    url: [unclosed\n", encoding="utf-8")
    result = _run(tmp_path, "check-config", str(config))
    assert result.returncode != 0
    assert str(config) in result.stderr
    assert "line " in result.stderr


def test_magpie_mail_templates_are_checked_too(tmp_path: Path) -> None:
    """The Mako templates Magpie's settings name are checked: good ones are listed, a broken
    one exits non-zero naming its setting, file and line."""
    config = _write(tmp_path / "hooks.yml", [GOOD])
    named = write_templates(tmp_path / "mail")
    magpie = {f"MAGPIE_{name.upper()}_EMAIL_TEMPLATE": path for name, path in sorted(named.items())}
    result = _run(tmp_path, "check-config", str(config), settings=magpie)
    assert result.returncode == 0, result.stderr
    assert "3 e-mail template file(s) valid" in result.stdout
    assert "(Mako (Magpie))" in result.stdout

    broken = SUBMISSION.replace("%endif", "%end")
    named = write_templates(tmp_path / "broken", {"user_registration_submission": broken})
    setting = {"MAGPIE_USER_REGISTRATION_SUBMISSION_EMAIL_TEMPLATE": named.popitem()[1]}
    result = _run(tmp_path, "check-config", str(config), settings=setting)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert "(MAGPIE_USER_REGISTRATION_SUBMISSION_EMAIL_TEMPLATE)" in message
    assert "user_registration_submission.mako" in message
    assert "line 19" in message
    assert "Traceback" not in message


def test_serve_refuses_to_start_with_a_broken_mail_template(tmp_path: Path) -> None:
    """``rookery serve`` with a Magpie template it cannot render exits non-zero before it
    serves anything, with one sentence naming the file and the line, and makes no database."""
    broken = SUBMISSION.replace("${confirm_url}</a>", "${confirm_link}</a>")
    named = write_templates(tmp_path / "mail", {"user_registration_submission": broken})
    settings = {
        "MAGPIE_USER_REGISTRATION_SUBMISSION_EMAIL_TEMPLATE": named["user_registration_submission"],
        "ROOKERY_PORT": str(free_port()),
    }
    result = _run(tmp_path, "serve", settings=settings)
    assert result.returncode != 0
    assert "user_registration_submission.mako', line 14" in result.stderr
    assert "'confirm_link'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "serving" not in result.stdout
    assert not (tmp_path / "untouched.db").exists()


def test_permissions_naming_an_undeclared_service_are_reported(tmp_path: Path) -> None:
    """A Magpie permissions file whose entries name services no providers section declares is
    valid (exit 0), but each such entry is reported, as start would skip it; services declared
    in the file named by Magpie's providers setting count as declared."""
    providers = tmp_path / "providers.cfg"
    providers.write_text(
        yaml.safe_dump({"providers": {"models": {"url": "http://m.lan/wps", "type": "wps"}}}),
        encoding="utf-8",
    )
    permissions = tmp_path / "permissions.cfg"
    entries = [
        {"service": "models", "permission": "getcapabilities", "group": "readers"},
        {"service": "flyingbird", "permission": "getcapabilities", "group": "administrators"},
    ]
    permissions.write_text(yaml.safe_dump({"permissions": entries}), encoding="utf-8")
    alone = _run(tmp_path, "check-config", str(permissions))
    assert alone.returncode == 0, alone.stderr
    warned = [line for line in alone.stdout.splitlines() if line.startswith("rookery: warning:")]
    assert len(warned) == 2
    assert "permission #2" in warned[1]
    assert "'flyingbird'" in warned[1]
    with_providers = _run(
        tmp_path,
        "check-config",
        str(permissions),
        settings={"MAGPIE_PROVIDERS_CONFIG_PATH": str(providers)},
    )
    assert with_providers.returncode == 0, with_providers.stderr
    (only,) = [line for line in with_providers.stdout.splitlines() if "warning" in line]
    assert "permissions.cfg: permission #2" in only
    assert "not declared in a providers section" in only
