"""Self-registration in the console, in a real browser, with a real SMTP server: a visitor
registers, confirms by the e-mailed link, signs in and joins and leaves discoverable groups."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.conftest import ServiceFactory
from tests.support.service import Service
from tests.support.smtp import SmtpServer

PASSWORD = "a-long-user-password"


def _sign_in(page: Page, service: Service, user: str) -> None:
    page.goto(f"{service.base}/ui/signin")
    page.get_by_label("User name or email").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_visitor_registers_confirms_and_manages_discoverable_groups(
    start_service: ServiceFactory, smtp_server: SmtpServer, browser: Browser, screenshots: Path
) -> None:
    """From the sign-in page a visitor asks for an account (a wrong second password is caught
    on the form), follows the e-mailed link, signs in, joins an open group, leaves it, and asks
    to join a group with terms: the terms are e-mailed and membership waits for them."""
    service = start_service(user_registration_enabled=True, **smtp_server.settings())
    admin = service.admin
    admin.post("/groups", json={"group_name": "readers", "discoverable": True})
    admin.post(
        "/groups",
        json={"group_name": "insiders", "discoverable": True, "terms": "Keep it secret."},
    )
    admin.post("/groups", json={"group_name": "staff"})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(f"{service.base}/ui/signin")
    page.get_by_role("link", name="Ask for one").click()
    expect(page.get_by_role("heading", name="Ask for an account")).to_be_visible()
    page.get_by_label("User name").fill("lena")
    page.get_by_label("Email").fill("lena@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD + "!")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ")
    expect(page.get_by_label("Email")).to_have_value("lena@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.screenshot(path=str(screenshots / "20-registration-sent.png"), full_page=True)

    (mail,) = smtp_server.wait_for("lena@example.org")
    confirmed = page.goto(f"{service.base}{mail.path_of('confirm')}")
    assert confirmed is not None
    assert confirmed.status == 200

    _sign_in(page, service, "lena")
    page.get_by_role("navigation").get_by_role("link", name="My groups").click()
    expect(page.get_by_role("heading", name="Groups I may join")).to_be_visible()
    expect(page.get_by_role("table")).not_to_contain_text("staff")
    page.get_by_role("button", name="Join readers").click()
    expect(page.get_by_role("status")).to_contain_text("You joined readers.")
    expect(page.get_by_role("row").filter(has_text="readers")).to_contain_text("member")
    assert "readers" in admin.get("/users/lena/groups").json()["group_names"]

    page.get_by_role("button", name="Leave readers").click()
    expect(page.get_by_role("status")).to_contain_text("You left readers.")
    assert "readers" not in admin.get("/users/lena/groups").json()["group_names"]

    page.get_by_role("button", name="Join insiders").click()
    expect(page.get_by_role("status")).to_contain_text("terms of insiders were e-mailed")
    insiders = page.get_by_role("row").filter(has_text="insiders")
    expect(insiders).to_contain_text("terms e-mailed, waiting for you")
    page.screenshot(path=str(screenshots / "21-my-groups-pending.png"), full_page=True)
    terms = smtp_server.wait_for("lena@example.org", count=3)[2]
    assert "Keep it secret." in terms.text
    assert "insiders" not in admin.get("/users/lena/groups").json()["group_names"]
    accepted = page.goto(f"{service.base}{terms.path_of('accept')}")
    assert accepted is not None
    assert accepted.status == 200
    page.goto(f"{service.base}/ui/me/groups")
    expect(page.get_by_role("row").filter(has_text="insiders")).to_contain_text("member")
    assert "insiders" in admin.get("/users/lena/groups").json()["group_names"]
    context.close()
