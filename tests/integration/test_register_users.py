"""``/register/users`` over HTTP: pending users, e-mail confirmation, administrator approval."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import ServiceFactory
from tests.support.envelope import assert_error
from tests.support.receiver import Receiver
from tests.support.service import Service
from tests.support.smtp import Mail, SmtpServer

PASSWORD = "a-long-user-password"
ADMIN_MAIL = "approvers@example.org"


def _start(start_service: ServiceFactory, smtp: SmtpServer, **overrides: Any) -> Service:
    return start_service(
        user_registration_enabled=True, admin_email=ADMIN_MAIL, **smtp.settings(), **overrides
    )


def _register(service: Service, name: str) -> Any:
    body = {"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    return service.client().post("/register/users", json=body)


def _follow(service: Service, mail: Mail, word: str, *, admin: bool = False) -> Any:
    client = service.admin if admin else service.client()
    return client.get(mail.path_of(word))


def _signin(service: Service, name: str) -> int:
    client = service.client()
    return client.post("/signin", json={"user_name": name, "password": PASSWORD}).status_code


def test_register_confirm_then_sign_in(
    start_service: ServiceFactory, smtp_server: SmtpServer, receiver: Receiver
) -> None:
    """A registration is pending (no sign-in, no event) until its e-mailed link is followed."""
    hook = {
        "name": "h",
        "action": "create_user",
        "method": "POST",
        "url": receiver.url("/u"),
        "payload": {"name": "{{user.name}}"},
    }
    service = start_service([hook], user_registration_enabled=True, **smtp_server.settings())
    created = _register(service, "erin")
    assert created.status_code == 201, created.text
    assert created.json()["registration"] == {
        "user_name": "erin",
        "email": "erin@example.org",
        "status": "Pending",
    }
    assert _signin(service, "erin") == 401
    assert service.admin.get("/register/users").json()["registrations"] == ["erin"]
    assert_error(service.admin.get("/users/erin"), 404, "user_name")
    assert service.admin.get("/users?status=Pending").json()["user_names"] == ["erin"]
    assert "erin" not in service.admin.get("/users").json()["user_names"]

    (mail,) = smtp_server.wait_for("erin@example.org")
    assert receiver.requests == []  # no create_user for a pending registration
    confirmed = _follow(service, mail, "confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert _signin(service, "erin") == 200
    assert service.admin.get("/users/erin").json()["user"]["status"] == "OK"
    assert service.admin.get("/register/users").json()["registrations"] == []
    assert service.admin.get("/users?status=4").json()["user_names"] == []
    (delivered,) = receiver.wait_for(1)
    assert delivered.json() == {"name": "erin"}
    smtp_server.wait_for("erin@example.org", count=2)  # the "account ready" notice


def test_approval_required(start_service: ServiceFactory, smtp_server: SmtpServer) -> None:
    """With approval, confirming e-mails the administrator, whose approve link creates the user."""
    service = _start(start_service, smtp_server, user_registration_approval=True)
    assert _register(service, "fred").status_code == 201
    (mail,) = smtp_server.wait_for("fred@example.org")
    assert _follow(service, mail, "confirm").status_code == 200
    assert _signin(service, "fred") == 401

    (request,) = smtp_server.wait_for(ADMIN_MAIL)
    assert "fred@example.org" in request.text
    shown = service.admin.get("/register/users/fred").json()["registration"]
    assert shown["status"] == "Pending"
    assert shown["confirm_url"] is None
    assert shown["approve_url"].endswith(request.path_of("approve"))
    assert_error(_follow(service, request, "approve"), 403)
    assert _signin(service, "fred") == 401

    assert _follow(service, request, "approve", admin=True).status_code == 200
    assert _signin(service, "fred") == 200
    assert_error(_follow(service, request, "decline", admin=True), 404, "token")


def test_decline_deletes_the_registration(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """An administrator's decline link deletes the registration and tells the user."""
    service = _start(start_service, smtp_server, user_registration_approval=True)
    assert _register(service, "gina").status_code == 201
    (mail,) = smtp_server.wait_for("gina@example.org")
    assert _follow(service, mail, "confirm").status_code == 200
    (request,) = smtp_server.wait_for(ADMIN_MAIL)
    assert _follow(service, request, "decline", admin=True).status_code == 200
    assert service.admin.get("/register/users").json()["registrations"] == []
    assert _signin(service, "gina") == 401
    assert "declined" in smtp_server.wait_for("gina@example.org", count=2)[1].text


def test_admin_lists_shows_and_deletes_pending_users(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """Administrators list, read and delete registrations; the deleted one's link is dead."""
    service = _start(start_service, smtp_server)
    for name in ("zed", "hank"):
        assert _register(service, name).status_code == 201
    admin = service.admin
    assert admin.get("/register/users").json()["registrations"] == ["hank", "zed"]
    shown = admin.get("/register/users/hank").json()["registration"]
    assert shown["confirm_url"]
    assert shown["approve_url"] is None
    assert admin.delete("/register/users/hank").status_code == 200
    assert_error(admin.get("/register/users/hank"), 404, "user_name")
    assert_error(admin.delete("/register/users/hank"), 404, "user_name")
    (mail,) = smtp_server.wait_for("hank@example.org")
    assert_error(_follow(service, mail, "confirm"), 404, "token")

    user = service.client()
    assert_error(user.get("/register/users"), 401)
    assert_error(user.get("/register/users/zed"), 401)
    assert_error(user.delete("/register/users/zed"), 401)


def test_bad_and_conflicting_registrations(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """Bad input is 400 naming the field; a taken name or e-mail (user or pending) is 409."""
    service = _start(start_service, smtp_server)
    public = service.client()
    good = {"user_name": "ivy", "email": "ivy@example.org", "password": PASSWORD}
    assert_error(public.post("/register/users", json={**good, "user_name": ""}), 400, "user_name")
    assert_error(public.post("/register/users", json={**good, "email": "no"}), 400, "email")
    assert_error(public.post("/register/users", json={**good, "password": "x"}), 400, "password")
    assert_error(public.post("/register/users", json={"email": "a@b.c"}), 400, "user_name")
    assert public.post("/register/users", json=good).status_code == 201
    assert_error(public.post("/register/users", json=good), 409, "user_name")
    other = {**good, "user_name": "ivy2"}
    assert_error(public.post("/register/users", json=other), 409, "email")
    admin_name = {**good, "user_name": "admin", "email": "x@example.org"}
    assert_error(public.post("/register/users", json=admin_name), 409, "user_name")


def test_smtp_failure_keeps_no_registration(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """A refused confirmation e-mail is 503 and leaves no registration; a retry succeeds."""
    service = _start(start_service, smtp_server)
    smtp_server.refuse()
    failed = _register(service, "jack")
    assert_error(failed, 503)
    assert failed.headers["Retry-After"]
    assert service.admin.get("/register/users").json()["registrations"] == []
    assert _register(service, "jack").status_code == 201


def test_registration_disabled_is_404(service: Service) -> None:
    """Without ROOKERY_USER_REGISTRATION_ENABLED the ``/register/users`` routes are 404."""
    body = {"user_name": "kim", "email": "kim@example.org", "password": PASSWORD}
    assert_error(service.client().post("/register/users", json=body), 404)
    assert_error(service.admin.get("/register/users"), 404)


def test_expired_link_frees_the_name(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """An expired confirmation link is 410; the unconfirmed name may then be registered again."""
    service = _start(start_service, smtp_server, token_expire_seconds=3)
    assert _register(service, "lena").status_code == 201
    (mail,) = smtp_server.wait_for("lena@example.org")
    time.sleep(3.2)
    assert_error(_follow(service, mail, "confirm"), 410, "token")
    assert _register(service, "lena").status_code == 201
    assert service.admin.get("/register/users").json()["registrations"] == ["lena"]
    second = smtp_server.wait_for("lena@example.org", count=2)[1]
    assert _follow(service, second, "confirm").status_code == 200
    assert _signin(service, "lena") == 200


def test_manager_is_notified_of_completed_registrations(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """With notification on, a completed registration is e-mailed to the notify recipient."""
    service = _start(
        start_service,
        smtp_server,
        registration_notify=True,
        registration_notify_recipient="managers@example.org",
    )
    assert _register(service, "mona").status_code == 201
    (mail,) = smtp_server.wait_for("mona@example.org")
    assert smtp_server.to("managers@example.org") == []
    assert _follow(service, mail, "confirm").status_code == 200
    (notice,) = smtp_server.wait_for("managers@example.org")
    assert "mona@example.org" in notice.text


def test_a_link_followed_twice_at_once_works_once(
    start_service: ServiceFactory, smtp_server: SmtpServer
) -> None:
    """Two simultaneous visits of one confirmation link: one creates the user, the other is 404."""
    service = _start(start_service, smtp_server)
    assert _register(service, "nina").status_code == 201
    (mail,) = smtp_server.wait_for("nina@example.org")
    path = mail.path_of("confirm")
    clients = [service.client() for _ in range(4)]
    with ThreadPoolExecutor(len(clients)) as pool:
        codes = sorted(pool.map(lambda client: client.get(path).status_code, clients))
    assert codes == [200, 404, 404, 404]
    assert _signin(service, "nina") == 200
