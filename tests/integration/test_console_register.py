"""The console's self-registration pages over plain HTTP: off unless enabled, refusals shown
on the form, discoverable groups only."""

from __future__ import annotations

import re

import httpx

from tests.conftest import ServiceFactory
from tests.support.delivery_log import PASSWORD, create_user
from tests.support.service import Service
from tests.support.smtp import SmtpServer


def _csrf(client: httpx.Client, page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None
    return found.group(1)


def test_registration_pages_are_absent_unless_enabled(service: Service) -> None:
    """Without ``ROOKERY_USER_REGISTRATION_ENABLED`` the form is 404 and sign-in offers none."""
    client = service.client()
    assert client.get("/ui/register").status_code == 404
    assert client.post("/ui/register", data={}).status_code == 404
    assert "/ui/register" not in client.get("/ui/signin").text


def test_register_form_refusals_stay_on_the_form(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """Different passwords, or a taken name, come back on the form (typed values kept) and
    record nothing; a good form records the registration and says where the link went."""
    service = start_service(user_registration_enabled=True, **smtp_server.settings())
    client = service.client()
    assert 'href="/ui/register"' in client.get("/ui/signin").text
    form = {
        "csrf_token": _csrf(client, "/ui/register"),
        "user_name": "jade",
        "email": "jade@example.org",
        "password": PASSWORD,
        "password_again": PASSWORD + "x",
    }
    refused = client.post("/ui/register", data=form)
    assert refused.status_code == 400
    assert "The two passwords differ" in refused.text
    assert 'value="jade@example.org"' in refused.text
    assert service.admin.get("/register/users").json()["registrations"] == []

    taken = client.post(
        "/ui/register", data={**form, "user_name": "admin", "password_again": PASSWORD}
    )
    assert taken.status_code == 409
    assert service.admin.get("/register/users").json()["registrations"] == []

    done = client.post("/ui/register", data={**form, "password_again": PASSWORD})
    assert done.status_code == 200
    assert "Check your e-mail" in done.text
    assert "jade@example.org" in done.text
    assert service.admin.get("/register/users").json()["registrations"] == ["jade"]
    assert smtp_server.wait_for("jade@example.org")[0].links()


def test_magpies_account_path_leads_to_the_own_account(service: Service) -> None:
    """``/ui/users/current`` (Magpie's account page) is 401 without a session and sends a
    signed-in user, administrator or not, to their own page."""
    assert service.client().get("/ui/users/current").status_code == 401
    create_user(service, "nina")
    for client in (service.client("nina", PASSWORD), service.admin):
        moved = client.get("/ui/users/current")
        assert moved.status_code == 303
        assert moved.headers["location"] == "/ui/me"
    page = service.client("nina", PASSWORD).get("/ui/me")
    assert 'href="/ui/me/groups"' in page.text


def test_my_groups_lists_only_discoverable_groups(service: Service) -> None:
    """A user sees discoverable groups with their state, never the hidden ones; joining a
    hidden group by its path is refused as if it did not exist."""
    admin = service.admin
    admin.post("/groups", json={"group_name": "open-club", "discoverable": True})
    admin.post("/groups", json={"group_name": "hidden-club"})
    create_user(service, "kim")
    kim = service.client("kim", PASSWORD)
    page = kim.get("/ui/me/groups")
    assert page.status_code == 200
    assert "open-club" in page.text
    assert "hidden-club" not in page.text
    token = _csrf(kim, "/ui/me/groups")
    refused = kim.post("/ui/me/groups/hidden-club/join", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "error=" in refused.headers["location"]
    assert "hidden-club" not in kim.get("/users/kim/groups").json()["group_names"]


def test_admin_adding_to_a_group_with_terms_waits_for_them(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """From a user's console page, adding them to a group with terms e-mails the terms (as
    ``POST /users/{u}/groups`` does); a group without terms takes them at once."""
    service = start_service(**smtp_server.settings())
    admin = service.admin
    admin.post("/groups", json={"group_name": "signed", "terms": "Sign here."})
    admin.post("/groups", json={"group_name": "plain"})
    create_user(service, "milo")
    token = _csrf(admin, "/ui/users/milo")
    pending = admin.post(
        "/ui/users/milo/groups", data={"csrf_token": token, "group_name": "signed"}
    )
    assert pending.status_code == 303
    assert "terms+of+signed+were+e-mailed" in pending.headers["location"]
    assert "Sign here." in smtp_server.wait_for("milo@example.org")[0].text
    assert "signed" not in admin.get("/users/milo/groups").json()["group_names"]
    done = admin.post("/ui/users/milo/groups", data={"csrf_token": token, "group_name": "plain"})
    assert "Added+to+plain" in done.headers["location"]
    assert "plain" in admin.get("/users/milo/groups").json()["group_names"]
