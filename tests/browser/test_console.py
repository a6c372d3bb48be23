"""The web console in a real browser against a real Rookery and a real receiver."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.conftest import ServiceFactory
from tests.support.delivery_log import PASSWORD, hook
from tests.support.receiver import Receiver
from tests.support.service import ADMIN_PASSWORD, Service

ONCE: dict[str, list[float]] = {"schedule": []}


def _sign_in(page: Page, service: Service, user: str, password: str) -> None:
    page.goto(f"{service.base}/ui/signin")
    page.get_by_label("User name or email").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def _shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _own_hosts_only(page: Page, host: str) -> list[str]:
    """Absolute URLs in the page's src/href/action attributes that point elsewhere."""
    urls: list[str] = page.eval_on_selector_all(
        "[src], [href], [action]",
        "els => els.flatMap(e => ['src', 'href', 'action'].map(a => e.getAttribute(a)))"
        ".filter(Boolean)",
    )
    return [u for u in urls if urlsplit(u).netloc not in ("", host)]


def test_admin_manages_access_and_deliveries_in_a_browser(
    start_service: ServiceFactory, receiver: Receiver, browser: Browser, screenshots: Path
) -> None:
    """An administrator signs in, creates a user, a service with a nested resource, grants a
    group a permission and sees the user's effective permission and its reason change, then
    sees a failed delivery with its attempts, retries it from the page once the receiver is
    fixed and sees it delivered; every page and asset comes from Rookery itself."""
    receiver.script("/h", default=500)
    service = start_service([hook(receiver, "mirror", "/h", retry=ONCE)])
    host = urlsplit(service.base).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(service.base + "/")  # browsers are sent to the console, then to sign in
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _shot(page, screenshots, "01-signin")
    _sign_in(page, service, "admin", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Dashboard"))).to_be_visible()

    page.goto(f"{service.base}/ui/users")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Email").fill("alice@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text("User alice created.")
    expect(page.get_by_role("link", name="alice")).to_be_visible()
    _shot(page, screenshots, "02-users")

    page.goto(f"{service.base}/ui/groups")
    page.get_by_label("Group name").fill("readers")
    page.get_by_label("Description").fill("May read the APIs")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("link", name="readers")).to_be_visible()
    _shot(page, screenshots, "03-groups")

    page.goto(f"{service.base}/ui/users/alice")
    page.get_by_label("Add to group").select_option("readers")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Added to readers.")
    _shot(page, screenshots, "04-user")

    page.goto(f"{service.base}/ui/services")
    page.get_by_label("Name").fill("api1")
    page.get_by_label("Type").select_option("api")
    page.get_by_label("URL").fill("http://api1.example.org")
    page.get_by_role("button", name="Register service").click()
    expect(page.get_by_role("heading", name="Service api1")).to_be_visible()
    page.get_by_text("Change").first.click()
    page.get_by_label("New child of api1").fill("reports")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Resource reports created.")
    expect(page.locator(".tree .node", has_text="reports")).to_be_visible()
    page.get_by_text("Change").nth(1).click()  # open the nested resource's edit panel
    expect(page.get_by_label("Rename reports to")).to_be_visible()
    _shot(page, screenshots, "05-service-tree")

    page.goto(f"{service.base}/ui/permissions?holder=user:alice&service=api1")
    reports = page.locator("tr", has=page.locator("th", has_text="reports"))
    read = reports.locator(".effective [data-perm=read]")
    expect(read).to_have_text("read: deny")
    expect(reports.locator(".effective .reason").first).to_have_text("because no-permission")

    page.goto(f"{service.base}/ui/permissions?holder=group:readers&service=api1")
    top = page.locator("tr", has=page.locator("th", has_text="api1"))
    top.get_by_label("Permission on api1").select_option("read")
    top.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_have_text("Permission read-allow-recursive applied.")

    page.goto(f"{service.base}/ui/permissions?holder=user:alice&service=api1")
    expect(read).to_have_text("read: allow")
    expect(reports.locator(".effective .reason").first).to_have_text(
        re.compile(r"because group:\d+:readers")
    )
    _shot(page, screenshots, "06-permissions")

    page.goto(f"{service.base}/ui/deliveries?webhook=mirror&status=failed")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("create_user")
    _shot(page, screenshots, "07-deliveries")
    row.get_by_role("link").click()
    expect(page.locator("#delivery-state")).to_have_text("failed")
    attempts = page.get_by_role("table")
    expect(attempts).to_contain_text("500")
    expect(attempts).to_contain_text("HTTP 500")
    _shot(page, screenshots, "08-delivery-failed")

    receiver.script("/h", default=200)
    page.get_by_role("button", name="Retry now").click()
    expect(page.locator("#delivery-state")).to_have_text("delivered", timeout=20_000)
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(2)
    _shot(page, screenshots, "09-delivery-delivered")

    page.goto(f"{service.base}/ui/webhooks")
    page.get_by_role("button", name="Send a test event to mirror").click()
    expect(page.get_by_role("status")).to_contain_text("mirror")
    _shot(page, screenshots, "10-webhooks")

    page.goto(f"{service.base}/ui/dashboard")
    expect(page.get_by_role("img", name="Failure rate per receiver")).to_be_visible()
    expect(page.locator("table")).to_contain_text(f"http://127.0.0.1:{receiver.port}")
    _shot(page, screenshots, "11-dashboard")

    page.goto(f"{service.base}/ui/groups/readers")
    expect(page.get_by_role("link", name="alice")).to_be_visible()
    _shot(page, screenshots, "12-group")

    page.goto(f"{service.base}/api")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=20_000)
    _shot(page, screenshots, "13-api-docs")
    assert _own_hosts_only(page, host) == []

    foreign = [u for u in requested if urlsplit(u).netloc not in (host, "")]
    assert foreign == []
    assert any(u.endswith("/api/static/swagger-ui-bundle.js") for u in requested)
    context.close()


def test_non_admin_sees_own_access_and_no_admin_page(
    start_service: ServiceFactory, browser: Browser, screenshots: Path
) -> None:
    """A signed-in user sees their account and access, no admin navigation, and a 403 page
    for admin pages; without a session the same page is a 401."""
    service = start_service()
    service.admin.post(
        "/users", json={"user_name": "bob", "email": "bob@example.org", "password": PASSWORD}
    )
    service.admin.post(
        "/services",
        json={"service_name": "api2", "service_type": "api", "service_url": "http://a.example"},
    )
    service.admin.post("/users/bob/services/api2/permissions", json={"permission": "read"})
    context = browser.new_context()
    page = context.new_page()

    assert _status(page, f"{service.base}/ui/users") == 401
    _sign_in(page, service, "bob", PASSWORD)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("api2")
    expect(page.get_by_role("table")).to_contain_text("read")
    expect(page.get_by_role("navigation").get_by_role("link", name="Users")).to_have_count(0)
    _shot(page, screenshots, "14-non-admin-account")

    for path in ("users", "groups", "services", "permissions", "deliveries", "dashboard"):
        assert _status(page, f"{service.base}/ui/{path}") == 403, path
    expect(page.get_by_role("heading", name=re.compile("Not allowed"))).to_be_visible()
    _shot(page, screenshots, "15-non-admin-forbidden")
    context.close()
