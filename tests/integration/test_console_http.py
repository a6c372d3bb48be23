"""The console over plain HTTP: where browsers land, who may see which page, CSRF on every
form, one session shared with the API, and pages that name no host but Rookery's own."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from rookery.ui import (
    pages_access,
    pages_deliveries,
    pages_register,
    pages_services,
    pages_session,
)
from tests.conftest import ServiceFactory
from tests.support.delivery_log import (
    PASSWORD,
    create_user,
    deliveries,
    hook,
    wait_for_count,
    wait_for_state,
)
from tests.support.receiver import Receiver
from tests.support.service import ADMIN_PASSWORD, Service

FOREIGN = re.compile(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")
PUBLIC_PAGES = {
    ("GET", "/ui/"),
    ("GET", "/ui/signin"),
    ("POST", "/ui/signin"),
    ("POST", "/ui/signout"),
    ("GET", "/ui/register"),
    ("POST", "/ui/register"),
}
SIGNED_IN_PAGES = {("GET", "/ui/me"), ("GET", "/ui/me/groups")}
# Magpie's path of the account page leads a signed-in user to Rookery's.
SIGNED_IN_REDIRECTS = {("GET", "/ui/users/current")}


def _console_routes() -> list[tuple[str, str]]:
    routes = []
    for module in (pages_session, pages_register, pages_access, pages_services, pages_deliveries):
        for route in module.router.routes:
            path = getattr(route, "path", "")
            for method in getattr(route, "methods", None) or ():
                routes.append((method, f"/ui{path}"))
    return sorted(routes)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "admin", path).replace("/deliveries/admin", "/deliveries/1")


def _csrf(client: httpx.Client, page: str = "/ui/signin") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None
    return found.group(1)


def test_browsers_land_on_the_console_and_api_clients_keep_json(service: Service) -> None:
    """``/`` redirects a browser to ``/ui/`` and still gives API clients Magpie's JSON landing."""
    client = service.client()
    browser = client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 303
    assert browser.headers["location"] == "/ui/"
    api = client.get("/", headers={"Accept": "application/json"})
    assert api.status_code == 200
    assert api.json()["documentation"].endswith("/api")


def test_admin_pages_answer_401_and_403_like_the_api(service: Service) -> None:
    """Every console route but sign-in answers 401 without a session; every admin route
    answers 403 to a signed-in user; the user's own page is theirs."""
    create_user(service, "carol")
    anonymous = service.client()
    carol = service.client("carol", PASSWORD)
    routes = _console_routes()
    assert ("GET", "/ui/users") in routes
    assert ("POST", "/ui/deliveries/{delivery_id}/retry") in routes
    for method, path in routes:
        if (method, path) in PUBLIC_PAGES or path.startswith("/ui/static"):
            continue
        url = _concrete(path)
        assert anonymous.request(method, url).status_code == 401, (method, path)
        expected = 200 if (method, path) in SIGNED_IN_PAGES else 403
        if (method, path) in SIGNED_IN_REDIRECTS:
            expected = 303
        assert carol.request(method, url).status_code == expected, (method, path)


def test_a_form_without_the_csrf_token_changes_nothing(service: Service) -> None:
    """A console form posted without (or with a wrong) CSRF token is refused with 403 and
    creates nothing; with the token from the page it creates the user."""
    admin = service.admin
    form = {"user_name": "mallory", "email": "m@example.org", "password": PASSWORD}
    assert admin.post("/ui/users", data=form).status_code == 403
    token = _csrf(admin, "/ui/users")
    assert admin.post("/ui/users", data={**form, "csrf_token": token + "x"}).status_code == 403
    assert admin.get("/users/mallory").status_code == 404
    done = admin.post("/ui/users", data={**form, "csrf_token": token})
    assert done.status_code == 303
    assert admin.get("/users/mallory").status_code == 200


def test_console_sign_in_is_the_api_session(service: Service) -> None:
    """Signing in through the console form gives a session the API accepts, and a wrong
    password is a 401 page that sets no session."""
    client = service.client()
    token = _csrf(client)
    wrong = client.post(
        "/ui/signin",
        data={"csrf_token": token, "user_name": "admin", "password": "not-the-password"},
    )
    assert wrong.status_code == 401
    assert client.get("/session").json()["authenticated"] is False
    right = client.post(
        "/ui/signin", data={"csrf_token": token, "user_name": "admin", "password": ADMIN_PASSWORD}
    )
    assert right.status_code == 303
    assert client.get("/session").json()["user"]["user_name"] == "admin"
    assert client.get("/ui/users").status_code == 200


def test_api_docs_load_only_assets_served_by_rookery(service: Service) -> None:
    """``/api`` names no other host, and each script, style and icon it loads is served."""
    client = service.client()
    page = client.get("/api")
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    assert FOREIGN.search(page.text) is None
    assets = ASSET.findall(page.text)
    assert len(assets) == 3
    for asset in assets:
        assert asset.startswith("/api/static/")
        assert client.get(asset).status_code == 200, asset


def test_console_pages_name_no_other_host(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """No console page (or its style sheet and script) points a browser at another host."""
    service = start_service([hook(receiver, "mirror", "/h")])
    create_user(service, "dave")
    admin = service.admin
    pages = [
        "/ui/signin",
        "/ui/dashboard",
        "/ui/users",
        "/ui/users/dave",
        "/ui/groups",
        "/ui/groups/administrators",
        "/ui/services",
        "/ui/permissions?holder=user:dave",
        "/ui/webhooks",
        "/ui/deliveries",
        "/ui/me",
        "/ui/static/console.css",
        "/ui/static/console.js",
    ]
    for path in pages:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert FOREIGN.search(response.text) is None, path


@pytest.mark.parametrize("worker", [False])
def test_blocked_delivery_names_what_it_waits_behind(
    start_service: ServiceFactory, receiver: Receiver, worker: bool
) -> None:
    """A delivery queued behind an unfinished one of the same receiver and subject says which
    delivery it waits for."""
    service = start_service(
        [
            hook(receiver, "created", "/h"),
            hook(receiver, "joined", "/h", action="add_user_to_group"),
        ],
        worker=worker,
    )
    create_user(service, "erin")
    service.admin.post("/groups", json={"group_name": "staff"})
    service.admin.post("/users/erin/groups", json={"group_name": "staff"})
    first, second = sorted(d["id"] for d in deliveries(service)["deliveries"])
    page = service.admin.get(f"/ui/deliveries/{second}")
    assert page.status_code == 200
    assert re.search(rf"waits behind delivery <a href=\"/ui/deliveries/{first}\">", page.text)
    assert "waits behind" not in service.admin.get(f"/ui/deliveries/{first}").text


def _tree(service: Service, name: str) -> dict[str, Any]:
    response = service.admin.get(f"/services/{name}/resources")
    assert response.status_code == 200, response.text
    tree: dict[str, Any] = response.json()[name]
    return tree


def _names(node: dict[str, Any]) -> dict[str, Any]:
    children = node["resources"] if "resources" in node else node["children"]
    return {c["resource_name"]: _names(c) for c in children.values()}


def test_resources_are_renamed_moved_and_deleted_only_when_confirmed(service: Service) -> None:
    """From the service page a resource is renamed, moved under a sibling (never under its own
    descendant), and deleted only once the confirmation box is ticked."""
    admin = service.admin
    admin.post(
        "/services",
        json={"service_name": "geo", "service_type": "api", "service_url": "http://geo.example"},
    )
    maps = admin.post(
        "/services/geo/resources", json={"resource_name": "maps", "resource_type": "route"}
    ).json()
    tiles = admin.post(
        "/services/geo/resources", json={"resource_name": "tiles", "resource_type": "route"}
    ).json()
    maps_id = maps["resource"]["resource_id"]
    tiles_id = tiles["resource"]["resource_id"]
    token = _csrf(admin, "/ui/services/geo")

    moved = admin.post(
        f"/ui/resources/{tiles_id}/move", data={"csrf_token": token, "parent_id": maps_id}
    )
    assert moved.status_code == 303
    assert "message=Moved" in moved.headers["location"]
    renamed = admin.post(
        f"/ui/resources/{maps_id}/rename", data={"csrf_token": token, "resource_name": "charts"}
    )
    assert renamed.status_code == 303
    assert _names(_tree(service, "geo")) == {"charts": {"tiles": {}}}

    loop = admin.post(
        f"/ui/resources/{maps_id}/move", data={"csrf_token": token, "parent_id": tiles_id}
    )
    assert "error=" in loop.headers["location"]
    assert _names(_tree(service, "geo")) == {"charts": {"tiles": {}}}

    unconfirmed = admin.post(f"/ui/resources/{tiles_id}/delete", data={"csrf_token": token})
    assert "error=" in unconfirmed.headers["location"]
    assert _names(_tree(service, "geo")) == {"charts": {"tiles": {}}}
    admin.post(f"/ui/resources/{tiles_id}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert _names(_tree(service, "geo")) == {"charts": {}}


def test_a_move_never_takes_a_subtree_below_the_depth_limit(start_service: ServiceFactory) -> None:
    """Moving a resource whose subtree would end deeper than ROOKERY_RESOURCE_MAX_DEPTH is
    refused with the limit named, and the tree stays as it was."""
    service = start_service(resource_max_depth=2)
    admin = service.admin
    admin.post(
        "/services",
        json={"service_name": "geo", "service_type": "api", "service_url": "http://geo.example"},
    )

    def add(name: str, parent: int | None = None) -> int:
        body = {"resource_name": name, "resource_type": "route", "parent_id": parent}
        created = admin.post("/services/geo/resources", json=body)
        assert created.status_code == 201, created.text
        return int(created.json()["resource"]["resource_id"])

    maps, tiles = add("maps"), add("tiles")
    add("zoom", tiles)
    token = _csrf(admin, "/ui/services/geo")
    refused = admin.post(
        f"/ui/resources/{tiles}/move", data={"csrf_token": token, "parent_id": maps}
    )
    assert refused.status_code == 303
    assert "ROOKERY_RESOURCE_MAX_DEPTH" in httpx.URL(refused.headers["location"]).params["error"]
    assert _names(_tree(service, "geo")) == {"maps": {}, "tiles": {"zoom": {}}}


def test_status_is_set_back_to_ok_from_webhook_error(service: Service) -> None:
    """A user left in WebhookError by a failed callback is set back to OK from their page."""
    create_user(service, "frank")
    admin = service.admin
    assert admin.patch("/users/frank", json={"status": "WebhookError"}).status_code == 200
    token = _csrf(admin, "/ui/users/frank")
    assert "s-WebhookError" in admin.get("/ui/users?status=WebhookError").text
    done = admin.post(
        "/ui/users/frank/edit",
        data={
            "csrf_token": token,
            "status": "OK",
            "current_status": "WebhookError",
            "email": "frank@example.org",
            "current_email": "frank@example.org",
        },
    )
    assert "message=User+updated" in done.headers["location"]
    assert admin.get("/users/frank").json()["user"]["status"] == "OK"


def test_console_lives_under_the_root_path(start_service: ServiceFactory) -> None:
    """With ROOKERY_ROOT_PATH the console, its links and its redirects carry the prefix."""
    service = start_service(root_path="/magpie")
    client = service.client()
    landing = client.get("/", headers={"Accept": "text/html"})
    assert landing.headers["location"] == "/magpie/ui/"
    page = client.get("/ui/signin").text
    assert 'action="/magpie/ui/signin"' in page
    assert 'href="/magpie/ui/static/console.css"' in page
    assert client.get("/ui/static/console.css").status_code == 200


def test_bulk_retry_from_the_log_requeues_the_filtered_failures(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """The log's bulk retry needs a filter, then sends every failed delivery matching it
    again; once the receiver is fixed they are delivered and the dashboard counts them."""
    receiver.script("/h", default=500)
    service = start_service([hook(receiver, "mirror", "/h", retry={"schedule": []})])
    for name in ("gina", "hank"):
        create_user(service, name)
    failed = wait_for_count(service, 2, status="failed")
    admin = service.admin
    token = _csrf(admin, "/ui/deliveries")
    unfiltered = admin.post("/ui/deliveries/retry", data={"csrf_token": token})
    assert "error=" in unfiltered.headers["location"]
    receiver.script("/h", default=200)
    done = admin.post(
        "/ui/deliveries/retry", data={"csrf_token": token, "webhook": "mirror", "status": "failed"}
    )
    assert "2+deliveries+queued+again" in done.headers["location"]
    for delivery in failed:
        wait_for_state(service, delivery["id"], "delivered")
    dashboard = admin.get("/ui/dashboard").text
    assert re.search(r"<strong>2</strong> delivered attempts", dashboard)
    assert re.search(r"<strong>2</strong> rejected", dashboard)
    assert f"http://127.0.0.1:{receiver.port}</td><td>4</td><td>2</td><td>50%" in dashboard
