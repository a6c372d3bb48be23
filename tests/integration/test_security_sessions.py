"""Sessions and limits under attack: revoked cookies, oversized bodies, guessing, and the log.

Every test runs on SQLite and, when configured, PostgreSQL, against a real uvicorn server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import ServiceFactory
from tests.support.envelope import assert_error
from tests.support.magpie_ticket import mod_auth_tkt, stamp_of
from tests.support.oversized import post_oversized
from tests.support.service import Service
from tests.support.world import PASSWORD, add_user

NEW_PASSWORD = "another-long-password"
TWO_MB = 2 * 1024 * 1024


def cookie_of(client: httpx.Client, service: Service) -> str:
    """The session cookie value a client holds."""
    value = client.cookies.get(service.settings.cookie_name)
    assert value, "the client holds no session cookie"
    return value


def with_cookie(service: Service, value: str) -> httpx.Client:
    """A fresh client presenting exactly this session cookie."""
    client = service.client()
    client.cookies.set(service.settings.cookie_name, value)
    return client


@contextmanager
def client_from(service: Service, address: str) -> Iterator[httpx.Client]:
    """A client whose connections come from another loopback address."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=service.base, transport=transport, timeout=30) as client:
        yield client


def wrong_signin(client: httpx.Client, name: str) -> httpx.Response:
    """One sign-in attempt with a wrong password."""
    return client.post("/signin", json={"user_name": name, "password": "not-the-password"})


def test_cookie_after_signout_is_refused(service: Service) -> None:
    """A cookie copied before sign-out answers 401 afterwards, even on another client."""
    add_user(service, "alice")
    alice = service.client("alice", PASSWORD)
    stolen = cookie_of(alice, service)
    assert_signed_in(with_cookie(service, stolen))
    assert alice.get("/signout").status_code == 200
    assert_signed_out(with_cookie(service, stolen))
    assert with_cookie(service, stolen).get("/session").json()["authenticated"] is False


def wait_for_a_new_second() -> None:
    """Sleep until just after the clock's next whole second."""
    time.sleep(1.01 - time.time() % 1)


def test_signin_in_the_second_of_a_signout_works(service: Service) -> None:
    """A sign-in in the same second as a sign-out gets a cookie stamped one second ahead, which
    works, while the signed-out cookie stays refused."""
    add_user(service, "alice")
    for _ in range(5):
        old = cookie_of(service.client("alice", PASSWORD), service)
        wait_for_a_new_second()
        started = time.time()
        assert with_cookie(service, old).get("/signout").status_code == 200
        again = service.client("alice", PASSWORD)
        if int(time.time()) == int(started):
            break
    else:
        pytest.fail("could not sign out and in again within one second")
    new = cookie_of(again, service)
    assert stamp_of(new) == int(started) + 1
    assert_signed_in(with_cookie(service, new))
    assert_signed_out(with_cookie(service, old))


def test_signout_right_after_a_password_change_ends_its_new_cookie(service: Service) -> None:
    """The cookie handed out with a password change is ended by a sign-out right after it,
    even in the same second (two revocations in one second)."""
    add_user(service, "alice")
    laptop = service.client("alice", PASSWORD)
    old = cookie_of(laptop, service)
    wait_for_a_new_second()
    changed = laptop.patch("/users/current", json={"password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    fresh = cookie_of(laptop, service)
    assert_signed_in(with_cookie(service, fresh))
    assert laptop.get("/signout").status_code == 200
    assert_signed_out(with_cookie(service, fresh))
    assert_signed_out(with_cookie(service, old))
    assert_signed_in(service.client("alice", NEW_PASSWORD))


def test_cookie_written_by_magpie_counts_until_revoked(service: Service) -> None:
    """A cookie Magpie wrote with the same secret (user data ``userid_type:int``) opens that
    user's session; after the user signs out it does not, and one Magpie writes later does."""
    add_user(service, "alice")
    user_id = str(service.admin.get("/users/alice").json()["user"]["user_id"])
    secret = service.settings.secret
    assert secret
    magpie = with_cookie(service, mod_auth_tkt(secret, user_id, int(time.time())))
    session = magpie.get("/session").json()
    assert session["authenticated"] is True
    assert session["user"]["user_name"] == "alice"
    assert service.client("alice", PASSWORD).get("/signout").status_code == 200
    assert_signed_out(magpie)
    later = mod_auth_tkt(secret, user_id, int(time.time()) + 1)
    assert_signed_in(with_cookie(service, later))


def test_own_password_change_ends_other_sessions(service: Service) -> None:
    """Changing one's password ends every earlier session; the changing client gets a new one."""
    add_user(service, "alice")
    laptop = service.client("alice", PASSWORD)
    phone = service.client("alice", PASSWORD)
    old = cookie_of(laptop, service)
    changed = laptop.patch("/users/current", json={"password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert cookie_of(laptop, service) != old
    assert_signed_in(laptop)
    assert_signed_out(phone)
    assert_signed_out(with_cookie(service, old))
    assert_signed_in(service.client("alice", NEW_PASSWORD))


def assert_signed_in(client: httpx.Client) -> None:
    """The client's cookie opens a session."""
    answer = client.get("/session")
    assert answer.status_code == 200, answer.text
    assert answer.json()["authenticated"] is True


def assert_signed_out(client: httpx.Client) -> None:
    """The client's cookie opens no session (``GET /users/current`` would answer anonymous)."""
    answer = client.get("/session")
    assert answer.status_code == 200, answer.text
    assert answer.json()["authenticated"] is False


def test_admin_password_change_ends_the_users_sessions(service: Service) -> None:
    """An administrator setting a user's password ends that user's sessions, not the admin's."""
    add_user(service, "alice")
    alice = service.client("alice", PASSWORD)
    changed = service.admin.patch("/users/alice", json={"password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert "set-cookie" not in changed.headers
    assert_signed_out(alice)
    assert_signed_in(service.admin)
    assert_signed_in(service.client("alice", NEW_PASSWORD))


def test_admin_password_reset_at_start_ends_admin_sessions(
    start_service: ServiceFactory,
) -> None:
    """Restarting with a new configured admin password (a reset) revokes older admin cookies."""
    first = start_service(worker=False)
    old = cookie_of(first.admin, first)
    first.stop()
    second = start_service(worker=False, admin_password="a-new-admin-password")
    assert_signed_out(with_cookie(second, old))


def test_session_lifetime_is_a_setting(start_service: ServiceFactory) -> None:
    """The cookie carries ``Max-Age`` = ROOKERY_SESSION_EXPIRE and stops working after it."""
    service = start_service(worker=False, session_expire_seconds=3)
    add_user(service, "alice")
    client = service.client()
    signed_in = client.post("/signin", json={"user_name": "alice", "password": PASSWORD})
    assert "max-age=3" in signed_in.headers["set-cookie"].lower()
    cookie = cookie_of(client, service)
    assert_signed_in(with_cookie(service, cookie))
    time.sleep(4.5)
    assert_signed_out(with_cookie(service, cookie))


def test_two_megabyte_bodies_are_refused(service: Service) -> None:
    """A 2 MB body answers 413, with Content-Length and chunked, and the server goes on."""
    body = b'{"user_name": "admin", "password": "' + b"x" * TWO_MB + b'"}'
    declared = service.client().post(
        "/signin", content=body, headers={"content-type": "application/json"}
    )
    assert_error(declared, 413, "body")

    def chunks() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        yield body[len(body) // 2 :]

    chunked = service.admin.post(
        "/users", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in chunked.request.headers
    assert_error(chunked, 413, "body")
    raw = post_oversized(service.settings.host, service.settings.port, "/signin", TWO_MB)
    assert raw.status == 413
    assert_signed_in(service.admin)


def test_body_limit_is_a_setting(start_service: ServiceFactory) -> None:
    """ROOKERY_MAX_BODY_BYTES moves the limit: a body just over it is 413, one under passes."""
    service = start_service(worker=False, max_body_bytes=200)
    fits = {"user_name": "bob", "email": "bob@example.org", "password": PASSWORD}
    assert service.admin.post("/users", json=fits).status_code == 201
    padded = {**fits, "user_name": "carol", "email": "carol@example.org", "pad": "x" * 200}
    assert_error(service.admin.post("/users", json=padded), 413, "body")


def test_overlong_signin_fields_are_refused_before_hashing(service: Service) -> None:
    """A password over 1 KiB or a login longer than an email is a 400 naming the field."""
    client = service.client()
    long_password = client.post("/signin", json={"user_name": "admin", "password": "p" * 1025})
    assert_error(long_password, 400, "password")
    long_login = client.post("/signin", json={"user_name": "a" * 255, "password": PASSWORD})
    assert_error(long_login, 400, "user_name")
    assert (
        client.post(
            "/signin", json={"user_name": "admin", "password": service.settings.admin_password}
        ).status_code
        == 200
    )


def test_overlong_free_text_is_refused(service: Service) -> None:
    """A group description over 2,000 characters or a service URL over 2,048 is a 400."""
    admin = service.admin
    long_description = {"group_name": "editors", "description": "d" * 2001}
    assert_error(admin.post("/groups", json=long_description), 400, "description")
    assert (
        admin.post("/groups", json={**long_description, "description": "d" * 2000}).status_code
        == 201
    )
    long_url = "http://catalog.internal/" + "p" * 2048
    created = admin.post(
        "/services",
        json={"service_name": "catalog", "service_type": "api", "service_url": long_url},
    )
    body = assert_error(created, 400, "service_url")
    assert long_url not in created.text, body


def test_eleventh_wrong_signin_is_throttled_per_user(service: Service) -> None:
    """After 10 wrong passwords the 11th attempt is 429 with Retry-After, from any address."""
    add_user(service, "alice")
    add_user(service, "bob")
    client = service.client()
    for _ in range(10):
        assert_error(wrong_signin(client, "alice"), 401)
    throttled = assert_error(wrong_signin(client, "alice"), 429)
    assert "account" in throttled["detail"]
    retry_after = int(wrong_signin(client, "alice").headers["Retry-After"])
    assert 1 <= retry_after <= service.settings.signin_window_seconds
    right = client.post("/signin", json={"user_name": "alice", "password": PASSWORD})
    assert_error(right, 429)
    by_email = client.post("/signin", json={"email": "alice@example.org", "password": PASSWORD})
    assert_error(by_email, 429)
    with client_from(service, "127.0.0.2") as elsewhere:
        assert_error(wrong_signin(elsewhere, "alice"), 429)
        bob = elsewhere.post("/signin", json={"user_name": "bob", "password": PASSWORD})
        assert bob.status_code == 200, bob.text
    assert (
        client.post("/signin", json={"user_name": "bob", "password": PASSWORD}).status_code == 200
    )


def test_one_address_guessing_many_names_is_throttled(start_service: ServiceFactory) -> None:
    """An address over its failure limit gets 429 for every name; other addresses do not."""
    service = start_service(worker=False, signin_address_failures=5)
    add_user(service, "alice")
    client = service.client()
    for number in range(5):
        assert_error(wrong_signin(client, f"guess{number}"), 401)
    assert_error(client.post("/signin", json={"user_name": "alice", "password": PASSWORD}), 429)
    with client_from(service, "127.0.0.3") as elsewhere:
        ok = elsewhere.post("/signin", json={"user_name": "alice", "password": PASSWORD})
        assert ok.status_code == 200, ok.text


def test_successful_signins_do_not_count(start_service: ServiceFactory) -> None:
    """Right passwords never use up the limits, and a success clears the user's failures."""
    service = start_service(worker=False, signin_user_failures=3, signin_address_failures=5)
    add_user(service, "alice")
    client = service.client()

    def right() -> int:
        return client.post("/signin", json={"user_name": "alice", "password": PASSWORD}).status_code

    assert_error(wrong_signin(client, "alice"), 401)
    assert_error(wrong_signin(client, "alice"), 401)
    assert right() == 200
    assert_error(wrong_signin(client, "alice"), 401)
    assert_error(wrong_signin(client, "alice"), 401)
    assert [right() for _ in range(10)] == [200] * 10
    assert_error(wrong_signin(client, "alice"), 401)  # the address's 5th failure
    assert_error(wrong_signin(client, "alice"), 429)


def test_full_hashing_pool_answers_429_and_others_proceed(start_service: ServiceFactory) -> None:
    """With one hashing thread and a queue of one, a burst of sign-ins gets some 429s at once
    (Retry-After: 1), the rest sign in, and refused attempts do not count as failures."""
    service = start_service(
        worker=False, hash_workers=1, hash_backlog=1, signin_address_failures=31
    )
    add_user(service, "alice")
    answers: list[httpx.Response] = []

    def sign_in() -> None:
        with httpx.Client(base_url=service.base, timeout=120) as client:
            answers.append(
                client.post("/signin", json={"user_name": "alice", "password": PASSWORD})
            )

    burst = [threading.Thread(target=sign_in) for _ in range(30)]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join()
    codes = sorted(answer.status_code for answer in answers)
    assert set(codes) == {200, 429}, codes
    refused = [answer for answer in answers if answer.status_code == 429]
    assert {answer.headers["Retry-After"] for answer in refused} == {"1"}
    assert "sign-ins in progress" in refused[0].json()["detail"]
    assert_signed_in(service.admin)
    # Nothing of the burst counts at the address: all 31 failures are still available.
    client = service.client()
    for number in range(31):
        assert_error(wrong_signin(client, f"guess{number}"), 401)
    assert_error(wrong_signin(client, "guess-one-too-many"), 429)


@pytest.mark.parametrize("password_change", ["self", "admin"])
def test_no_password_hash_reaches_the_log(
    service: Service, caplog: pytest.LogCaptureFixture, password_change: str
) -> None:
    """After sign-ins, failures, throttling, 413s and password changes, no `$argon2` is logged."""
    caplog.set_level(logging.DEBUG)
    add_user(service, "alice")
    alice = service.client("alice", PASSWORD)
    if password_change == "self":
        alice.patch("/users/current", json={"password": NEW_PASSWORD})
    else:
        service.admin.patch("/users/alice", json={"password": NEW_PASSWORD})
    service.admin.post(
        "/users", json={"user_name": "alice", "email": "a2@example.org", "password": PASSWORD}
    )
    for _ in range(12):
        wrong_signin(service.client(), "alice")
    post_oversized(service.settings.host, service.settings.port, "/signin", TWO_MB)
    alice.get("/signout")
    assert "$argon2" not in caplog.text
