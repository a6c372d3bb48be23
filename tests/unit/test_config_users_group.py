"""The users-group setting reads Rookery's name first, then Magpie's, then defaults."""

from __future__ import annotations

from pathlib import Path

from rookery.config import load_settings


def test_users_group_setting(tmp_path: Path) -> None:
    """``ROOKERY_USERS_GROUP`` wins over ``MAGPIE_USERS_GROUP``; without either it is ``users``."""
    no_file = {"ROOKERY_ENV_FILE": str(tmp_path / "none.env")}
    assert load_settings(no_file).users_group == "users"
    assert load_settings({**no_file, "MAGPIE_USERS_GROUP": "members"}).users_group == "members"
    both = {**no_file, "MAGPIE_USERS_GROUP": "members", "ROOKERY_USERS_GROUP": "people"}
    assert load_settings(both).users_group == "people"
