"""Hashes made with older Argon2id parameters are stored again with today's at sign-in.

Runs on SQLite and, when configured, PostgreSQL, against a real uvicorn server.
"""

from __future__ import annotations

import httpx
from nacl.pwhash import argon2id
from sqlalchemy import select

from rookery.db.models import User
from tests.conftest import ServiceFactory
from tests.support.service import Service
from tests.support.world import PASSWORD, add_user

TODAY = "$argon2id$v=19$m=7168,t=5,p=1$"  # OWASP's 7 MiB, 5 passes set


def older_hash(password: str) -> str:
    """``password`` hashed as Rookery did before (OWASP's 19 MiB, 2 passes set)."""
    return argon2id.str(password.encode(), opslimit=2, memlimit=19456 * 1024).decode()


def stored_hash(service: Service, name: str) -> str:
    """The password hash stored for user ``name``."""
    with service.app.session() as session:
        value = session.scalar(select(User.password_hash).where(User.user_name == name))
    assert value is not None
    return value


def store_hash(service: Service, name: str, password_hash: str) -> None:
    """Overwrite user ``name``'s stored hash, as a database from an older release holds it."""
    with service.app.session() as session:
        user = session.scalars(select(User).where(User.user_name == name)).one()
        user.password_hash = password_hash
        session.commit()


def add_user_with_older_hash(service: Service, name: str) -> str:
    """A user whose stored hash has the older parameters; returns that hash."""
    add_user(service, name)
    older = older_hash(PASSWORD)
    assert not older.startswith(TODAY)
    store_hash(service, name, older)
    return older


def signin(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post("/signin", json={"user_name": name, "password": password})


def test_new_passwords_use_owasp_seven_mib_set(service: Service) -> None:
    """A user created over the API gets Argon2id with m=7 MiB, t=5, p=1."""
    add_user(service, "bob")
    assert stored_hash(service, "bob").startswith(TODAY)


def test_signin_stores_an_older_hash_again_with_todays_parameters(service: Service) -> None:
    """The first sign-in after an upgrade rewrites the hash; the session it opened stays valid,
    and the same password still signs in afterwards."""
    older = add_user_with_older_hash(service, "alice")
    first = service.client()
    assert signin(first, "alice", PASSWORD).status_code == 200
    upgraded = stored_hash(service, "alice")
    assert upgraded != older
    assert upgraded.startswith(TODAY)
    assert first.get("/session").json()["authenticated"] is True
    assert signin(service.client(), "alice", PASSWORD).status_code == 200
    assert stored_hash(service, "alice") == upgraded  # already today's: not written again


def test_wrong_password_leaves_an_older_hash_alone(service: Service) -> None:
    """Only a password that matched is ever stored: a failed sign-in changes nothing."""
    older = add_user_with_older_hash(service, "alice")
    assert signin(service.client(), "alice", "not-the-password").status_code == 401
    assert stored_hash(service, "alice") == older


def test_start_upgrades_the_configured_admins_older_hash(start_service: ServiceFactory) -> None:
    """Restarting with the same configured admin password stores its hash with today's
    parameters and keeps the admin's sessions (it is not a password change)."""
    first = start_service(worker=False)
    name = first.settings.admin_user
    store_hash(first, name, older_hash(first.settings.admin_password or ""))
    cookie = first.admin.cookies.get(first.settings.cookie_name)
    first.stop()
    second = start_service(worker=False)
    assert stored_hash(second, name).startswith(TODAY)
    client = second.client()
    client.cookies.set(second.settings.cookie_name, cookie or "")
    assert client.get("/session").json()["authenticated"] is True
