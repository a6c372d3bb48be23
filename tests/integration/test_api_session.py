"""Sign-in, session and sign-out over HTTP, ``current`` user routes, and the public routes."""

from __future__ import annotations

import secrets
import string
import uuid

import httpx

from tests.conftest import ServiceFactory
from tests.support.envelope import assert_error
from tests.support.service import Service

PASSWORD = "a-long-enough-password"


def add_alice(admin: httpx.Client) -> None:
    """Create the non-admin user ``alice``."""
    response = admin.post(
        "/users", json={"user_name": "alice", "email": "Alice@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text


def test_signin_session_signout(service: Service) -> None:
    """Sign-in sets an HttpOnly auth_tkt cookie, /session names the user, sign-out clears it."""
    add_alice(service.admin)
    client = service.client()
    assert client.get("/session").json()["authenticated"] is False
    response = client.post("/signin", json={"user_name": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user_name"] == "alice"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("auth_tkt=")
    assert "httponly" in cookie.lower()
    session = client.get("/session").json()
    assert session["authenticated"] is True
    assert session["user"]["user_name"] == "alice"
    assert session["user"]["status"] == "OK"
    signed_out = client.get("/signout")
    assert signed_out.status_code == 200
    client.cookies.clear()
    client.cookies.update(signed_out.cookies)
    assert client.get("/session").json()["authenticated"] is False
    assert client.get("/users/current").json()["user"]["user_name"] == "anonymous"


def test_wrong_credentials_share_one_message(service: Service) -> None:
    """A wrong password and an unknown user both answer 401 with the same detail (a missing
    password is 422, the anonymous account 403, as in Magpie)."""
    add_alice(service.admin)
    client = service.client()
    refused = client.post("/signin", json={"user_name": "alice", "password": "not-the-password"})
    assert "set-cookie" not in refused.headers
    wrong = assert_error(refused, 401)
    unknown = assert_error(
        client.post("/signin", json={"user_name": "nobody", "password": PASSWORD}), 401
    )
    assert wrong["detail"] == unknown["detail"]
    assert_error(client.post("/signin", json={"user_name": "alice"}), 422, "password")
    anonymous = assert_error(
        client.post("/signin", json={"user_name": "anonymous", "password": PASSWORD}), 403
    )
    assert "anonymous" in anonymous["detail"]
    assert client.get("/session").json()["authenticated"] is False


def test_signin_by_email_and_form(service: Service) -> None:
    """Sign-in accepts the email (any case) in place of the name, as JSON or as a form."""
    add_alice(service.admin)
    by_email = service.client().post(
        "/signin", json={"email": "alice@example.org", "password": PASSWORD}
    )
    assert by_email.status_code == 200
    assert by_email.json()["user_name"] == "alice"
    by_name_field = service.client().post(
        "/signin", json={"user_name": "ALICE@EXAMPLE.ORG", "password": PASSWORD}
    )
    assert by_name_field.status_code == 200
    form = service.client()
    assert (
        form.post("/signin", data={"user_name": "alice", "password": PASSWORD}).status_code == 200
    )
    assert form.get("/session").json()["user"]["user_name"] == "alice"


def test_current_user_routes(service: Service) -> None:
    """``current`` names the signed-in user; other users' records are 403 for a non-admin."""
    add_alice(service.admin)
    alice = service.client("alice", PASSWORD)
    me = alice.get("/users/current")
    assert me.status_code == 200
    assert me.json()["user"]["user_name"] == "alice"
    assert alice.get("/users/alice").json()["user"] == me.json()["user"]
    assert alice.get("/users/current/groups").json()["group_names"] == ["anonymous"]
    assert_error(alice.get("/users/admin"), 403)
    assert_error(alice.get("/users/admin/groups"), 403)
    assert service.admin.get("/users/current").json()["user"]["user_name"] == "admin"


def test_public_routes(service: Service) -> None:
    """/version, the OpenAPI document, the docs and /tmp/{token} answer without a session."""
    client = service.client()
    version = client.get("/version").json()
    assert version["code"] == 200
    assert version["version"]
    assert version["db_version"]
    assert "/users" in client.get("/openapi.json").json()["paths"]
    assert client.get("/api").status_code == 200
    assert_error(client.get("/tmp/not-a-uuid"), 422, "token")
    assert_error(client.get(f"/tmp/{uuid.uuid4()}"), 404, "token")


def test_cookie_from_another_secret_is_ignored(service: Service) -> None:
    """A forged or foreign session cookie counts as no session at all."""
    client = service.client()
    client.cookies.set("auth_tkt", "eyJ1aWQiOjJ9.forged.signature")
    assert client.get("/session").json()["authenticated"] is False
    assert_error(client.get("/users"), 401)


def test_root_path_prefixes_every_route(start_service: ServiceFactory) -> None:
    """With ROOKERY_ROOT_PATH=/magpie every route, the docs and sign-in live under /magpie."""
    service = start_service(root_path="/magpie")
    assert service.base.endswith("/magpie")
    assert service.admin.get("/users").status_code == 200
    bare = httpx.get(f"http://127.0.0.1:{service.settings.port}/version")
    assert bare.status_code == 404
    assert service.client().get("/openapi.json").status_code == 200


def test_magpie_get_session_invalid_tokens(service: Service) -> None:
    """Magpie's ``test_GetSession_InvalidTokens``, replayed: a forged token is no session; a new
    user's cookie is exactly 128 + 8 + len(str(id)) + len("!userid_type:int") characters and
    opens their session; once the user is deleted, that cookie is no session."""
    token_data = "!userid_type:int"
    forged = "".join(secrets.choice(string.hexdigits) for _ in range(128 + 8 + 4)) + token_data
    client = service.client()
    client.cookies.set("auth_tkt", forged)
    assert client.get("/session").json()["authenticated"] is False

    name = "unittest-test-user-cookie-session"
    created = service.admin.post(
        "/users",
        json={"user_name": name, "email": f"{name}@example.org", "password": name,
              "group_name": "anonymous"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    user_id = created.json()["user"]["user_id"]
    signed_in = service.client()
    assert signed_in.post("/signin", json={"user_name": name, "password": name}).status_code == 200
    real_token = signed_in.cookies.get("auth_tkt") or ""
    assert len(real_token) == 128 + 8 + len(str(user_id)) + len(token_data)
    assert real_token.endswith(f"{user_id}{token_data}")

    real = service.client()
    real.cookies.set("auth_tkt", real_token)
    session = real.get("/session").json()
    assert session["authenticated"] is True
    assert session["user"]["user_name"] == name
    assert service.admin.delete(f"/users/{name}").status_code == 200
    assert real.get("/session").json()["authenticated"] is False
