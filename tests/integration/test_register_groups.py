"""``/register/groups`` over HTTP: discoverable groups, joining, leaving, and group terms."""

from __future__ import annotations

import httpx

from tests.conftest import ServiceFactory
from tests.support.envelope import assert_error
from tests.support.service import Service
from tests.support.smtp import SmtpServer

PASSWORD = "a-long-user-password"


def _user(service: Service, name: str) -> httpx.Client:
    created = service.admin.post(
        "/users", json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    return service.client(name, PASSWORD)


def _groups(service: Service) -> None:
    admin = service.admin
    for body in (
        {"group_name": "open", "discoverable": True, "description": "anyone"},
        {"group_name": "hidden", "discoverable": False},
        {"group_name": "sworn", "discoverable": True, "terms": "Be kind to the birds."},
    ):
        assert admin.post("/groups", json=body).status_code == 201


def test_terms_are_part_of_group_bodies(service: Service) -> None:
    """Groups take ``terms`` on create and show them; a PATCH of the terms is 400 (Magpie keeps
    them fixed) and a non-string at creation is 400 naming it."""
    admin = service.admin
    created = admin.post("/groups", json={"group_name": "g", "terms": "Rule 1"})
    assert created.status_code == 201
    assert admin.get("/groups/g").json()["group"]["terms"] == "Rule 1"
    for terms in ("Rule 2", None, 5):
        assert_error(admin.patch("/groups/g", json={"terms": terms}), 400, "terms")
    assert admin.get("/groups/g").json()["group"]["terms"] == "Rule 1"
    assert_error(admin.post("/groups", json={"group_name": "h", "terms": ["x"]}), 400, "terms")


def test_join_and_leave_discoverable_groups(service: Service) -> None:
    """A user lists, reads, joins and leaves discoverable groups; hidden ones are 404."""
    _groups(service)
    alice = _user(service, "alice")
    assert alice.get("/register/groups").json()["group_names"] == ["open", "sworn"]
    shown = alice.get("/register/groups/open").json()["group"]
    assert shown == {
        "group_name": "open",
        "description": "anyone",
        "terms": None,
    }
    assert_error(alice.get("/register/groups/hidden"), 404, "group_name")
    assert_error(alice.get("/register/groups/nowhere"), 404, "group_name")

    joined = alice.post("/register/groups/open")
    assert joined.status_code == 201
    assert joined.json()["group_name"] == "open"
    assert "open" in alice.get("/users/current/groups").json()["group_names"]
    assert_error(alice.post("/register/groups/open"), 409, "group_name")
    assert_error(alice.post("/register/groups/hidden"), 404, "group_name")

    assert alice.delete("/register/groups/open").status_code == 200
    assert "open" not in alice.get("/users/current/groups").json()["group_names"]
    assert_error(alice.delete("/register/groups/open"), 404, "group_name")
    assert_error(alice.delete("/register/groups/hidden"), 404, "group_name")


def test_anonymous_caller_is_refused(service: Service) -> None:
    """Every ``/register/groups`` route answers 401 without a session."""
    _groups(service)
    nobody = service.client()
    assert_error(nobody.get("/register/groups"), 401)
    assert_error(nobody.get("/register/groups/open"), 401)
    assert_error(nobody.post("/register/groups/open"), 401)
    assert_error(nobody.delete("/register/groups/open"), 401)


def test_terms_pending_until_the_emailed_link_is_followed(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """Joining a group with terms is 202 and pending; the e-mailed link makes the membership."""
    service = start_service(**smtp_server.settings())
    _groups(service)
    bob = _user(service, "bob")
    pending = bob.post("/register/groups/sworn")
    assert pending.status_code == 202, pending.text
    assert "sworn" not in bob.get("/users/current/groups").json()["group_names"]
    assert bob.get("/users/current").json()["user"]["has_pending_group"] is True
    assert bob.get("/users/bob/groups?status=pending").json()["group_names"] == ["sworn"]
    assert "sworn" in bob.get("/users/bob/groups?status=all").json()["group_names"]
    assert_error(bob.get("/users/bob/groups?status=maybe"), 400, "status")
    assert_error(bob.post("/register/groups/sworn"), 409, "group_name")

    (mail,) = smtp_server.wait_for("bob@example.org")
    assert "Be kind to the birds." in mail.text
    (link,) = mail.links()
    followed = service.client().get(link.split(service.base, 1)[1])
    assert followed.status_code == 200, followed.text
    assert "sworn" in bob.get("/users/current/groups").json()["group_names"]
    assert bob.get("/users/current").json()["user"]["has_pending_group"] is False
    assert bob.get("/users/bob/groups?status=pending").json()["group_names"] == []
    assert_error(service.client().get(link.split(service.base, 1)[1]), 404, "token")
    smtp_server.wait_for("bob@example.org", count=2)  # the "you joined" notice


def test_terms_email_failure_leaves_nothing_pending(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """When the SMTP server refuses the terms e-mail the join is 503 and nothing is pending."""
    service = start_service(**smtp_server.settings())
    _groups(service)
    carol = _user(service, "carol")
    smtp_server.refuse()
    assert_error(carol.post("/register/groups/sworn"), 503)
    assert carol.get("/users/current").json()["user"]["has_pending_group"] is False
    assert carol.post("/register/groups/sworn").status_code == 202
    assert len(smtp_server.wait_for("carol@example.org")) == 1


def test_terms_join_without_smtp_is_503(service: Service) -> None:
    """With no SMTP server configured, joining a group with terms is 503 naming the setting."""
    _groups(service)
    dave = _user(service, "dave")
    assert_error(dave.post("/register/groups/sworn"), 503, "ROOKERY_SMTP_HOST")
    assert dave.post("/register/groups/open").status_code == 201


def test_administrator_adding_to_a_group_with_terms_waits_for_them(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """``POST /users/{u}/groups`` for a group with terms is 202 until the user accepts them."""
    service = start_service(**smtp_server.settings())
    _groups(service)
    _user(service, "erin")
    admin = service.admin
    added = admin.post("/users/erin/groups", json={"group_name": "sworn"})
    assert added.status_code == 202, added.text
    assert admin.get("/users/erin/groups?status=pending").json()["group_names"] == ["sworn"]
    assert admin.post("/users/erin/groups", json={"group_name": "hidden"}).status_code == 201
    (mail,) = smtp_server.wait_for("erin@example.org")
    assert service.client().get(mail.path_of("accept")).status_code == 200
    assert "sworn" in admin.get("/users/erin/groups").json()["group_names"]
    assert_error(admin.post("/users/erin/groups", json={"group_name": 3}), 400, "group_name")
