"""Bad input over HTTP: every malformed, mistyped, missing, unknown or over-long value is a 4xx
error envelope naming the field at fault, and never a 500."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.service import Service
from tests.support.world import seed_catalog

PASSWORD = "a-long-enough-password"
JSON = {"content-type": "application/json"}

Case = tuple[str, str, dict[str, Any], int, str]


def check_error(response: httpx.Response, code: int, param: str) -> list[str]:
    """What is wrong with ``response`` as an error envelope (empty when it is right)."""
    where = f"{response.request.method} {response.request.url.path}"
    if response.status_code != code:
        return [f"{where}: {response.status_code} instead of {code}: {response.text[:300]}"]
    body = response.json()
    problems = [
        f"{where}: no {key}"
        for key in ("code", "type", "detail", "path", "url", "method")
        if not body.get(key)
    ]
    if body.get("code") != code or body.get("type") != "application/json":
        problems.append(f"{where}: envelope {body}")
    if body.get("method") != response.request.method:
        problems.append(f"{where}: method {body.get('method')}")
    if body.get("path") != response.request.url.path:
        problems.append(f"{where}: path {body.get('path')}")
    if (body.get("param") or {}).get("name") != param:
        problems.append(f"{where}: param {body.get('param')} instead of {param}")
    return problems


def run(client: httpx.Client, cases: list[Case]) -> None:
    """Send each case as ``request(method, path, **kwargs)`` and check its error envelope."""
    problems = []
    for method, path, kwargs, code, param in cases:
        problems += check_error(client.request(method, path, **kwargs), code, param)
    assert not problems, "\n".join(problems)


def test_malformed_bodies(service: Service) -> None:
    """Broken JSON, non-object JSON, NaN, deep nesting and bad bytes are 400s naming the body."""
    maps = seed_catalog(service)
    bodies = [
        b"{bad",
        b"[1, 2]",
        b'"text"',
        b'{"user_name": NaN}',
        b"[" * 100_000,
        b"\xff\xfe{}",
        b'{"user_name": Infinity}',
    ]
    paths = [
        ("POST", "/users"),
        ("PATCH", "/users/alice"),
        ("POST", "/groups"),
        ("POST", "/services"),
        ("POST", "/resources"),
        ("POST", "/signin"),
        ("POST", f"/users/alice/resources/{maps}/permissions"),
        ("PUT", "/groups/editors/services/catalog/permissions"),
    ]
    cases = [
        (method, path, {"content": raw, "headers": JSON}, 400, "body")
        for method, path in paths
        for raw in bodies
    ]
    run(service.admin, cases)


def test_wrong_types(service: Service) -> None:
    """A value of the wrong type is a 400 whose param names the field."""
    maps = seed_catalog(service)
    user = {"user_name": "bob", "email": "bob@example.org", "password": PASSWORD}
    resource = {"resource_name": "r", "resource_type": "route", "parent_id": maps}
    cases: list[Case] = [
        ("POST", "/users", {"json": {**user, "user_name": 123}}, 400, "user_name"),
        ("POST", "/users", {"json": {**user, "email": ["bob@example.org"]}}, 400, "email"),
        ("POST", "/users", {"json": {**user, "password": 123456789012345}}, 400, "password"),
        ("POST", "/users", {"json": {**user, "group_name": 7}}, 400, "group_name"),
        ("PATCH", "/users/alice", {"json": {"status": True}}, 400, "status"),
        ("PATCH", "/users/alice", {"json": {"status": 1.5}}, 400, "status"),
        ("PATCH", "/users/alice", {"json": {"email": {"a": 1}}}, 400, "email"),
        ("POST", "/users/alice/groups", {"json": {"group_name": 5}}, 400, "group_name"),
        ("POST", "/groups", {"json": {"group_name": ["x"]}}, 400, "group_name"),
        (
            "POST",
            "/groups",
            {"json": {"group_name": "g", "discoverable": "maybe"}},
            400,
            "discoverable",
        ),
        ("POST", "/groups", {"json": {"group_name": "g", "description": 5}}, 400, "description"),
        (
            "POST",
            "/services",
            {"json": {"service_name": "s", "service_type": 5, "service_url": "http://s.internal/"}},
            400,
            "service_type",
        ),
        (
            "POST",
            "/services",
            {
                "json": {
                    "service_name": "s",
                    "service_type": "api",
                    "service_url": "http://s.internal/",
                    "configuration": [1],
                }
            },
            400,
            "configuration",
        ),
        ("POST", "/resources", {"json": {**resource, "resource_name": 5}}, 400, "resource_name"),
        ("POST", "/resources", {"json": {**resource, "resource_type": None}}, 400, "resource_type"),
        (
            "POST",
            "/resources",
            {"json": {**resource, "resource_display_name": 5}},
            400,
            "resource_display_name",
        ),
        (
            "POST",
            f"/users/alice/resources/{maps}/permissions",
            {"json": {"permission": 5}},
            400,
            "permission",
        ),
        (
            "POST",
            f"/users/alice/resources/{maps}/permissions",
            {"json": {"permission": {"name": "read", "access": "sometimes"}}},
            400,
            "permission",
        ),
        ("GET", "/users", {"params": {"detail": "maybe"}}, 400, "detail"),
        ("GET", "/users", {"params": {"status": "asleep"}}, 400, "status"),
    ]
    run(service.admin, cases)


def test_missing_fields(service: Service) -> None:
    """A missing required field is a 400 naming it (422 for ``parent_id``, as in Magpie)."""
    seed_catalog(service)
    cases: list[Case] = [
        (
            "POST",
            "/users",
            {"json": {"email": "b@example.org", "password": PASSWORD}},
            400,
            "user_name",
        ),
        ("POST", "/users", {"json": {"user_name": "bob", "password": PASSWORD}}, 400, "email"),
        (
            "POST",
            "/users",
            {"json": {"user_name": "bob", "email": "b@example.org"}},
            400,
            "password",
        ),
        ("POST", "/users/alice/groups", {"json": {}}, 400, "group_name"),
        ("POST", "/groups", {"json": {}}, 400, "group_name"),
        (
            "POST",
            "/services",
            {"json": {"service_name": "s", "service_type": "api"}},
            400,
            "service_url",
        ),
        (
            "POST",
            "/services",
            {"json": {"service_name": "s", "service_url": "http://s.io/"}},
            400,
            "service_type",
        ),
        (
            "POST",
            "/resources",
            {"json": {"resource_type": "route", "parent_id": 1}},
            400,
            "resource_name",
        ),
        (
            "POST",
            "/resources",
            {"json": {"resource_name": "r", "resource_type": "route"}},
            422,
            "parent_id",
        ),
        (
            "POST",
            "/services/catalog/resources",
            {"json": {"resource_name": "r"}},
            400,
            "resource_type",
        ),
        ("POST", "/users/alice/services/catalog/permissions", {"json": {}}, 400, "permission"),
        ("DELETE", "/groups/editors/services/catalog/permissions", {}, 400, "permission"),
    ]
    run(service.admin, cases)


def test_permission_names(service: Service) -> None:
    """Unknown permission names are 422; known names not allowed on the resource type are 400."""
    maps = seed_catalog(service)
    wps = service.admin.post(
        "/services",
        json={
            "service_name": "processing",
            "service_type": "wps",
            "service_url": "http://wps.internal/",
        },
    )
    assert wps.status_code == 201
    user_path = f"/users/alice/resources/{maps}/permissions"
    cases: list[Case] = [
        ("POST", user_path, {"json": {"permission": "fly"}}, 422, "permission"),
        ("POST", user_path, {"json": {"permission": "fly-allow-match"}}, 422, "permission"),
        ("PUT", user_path, {"json": {"permission": {"name": "fly"}}}, 422, "permission"),
        ("POST", user_path, {"json": {"permission_name": "teleport-deny"}}, 422, "permission"),
        ("POST", user_path, {"json": {"permission": "execute"}}, 400, "permission"),
        (
            "POST",
            "/groups/editors/services/catalog/permissions",
            {"json": {"permission": "getcapabilities"}},
            400,
            "permission",
        ),
        (
            "POST",
            "/groups/editors/services/processing/permissions",
            {"json": {"permission": "read"}},
            400,
            "permission",
        ),
        ("POST", user_path, {"json": {"permission": "read-allow-match-extra"}}, 400, "permission"),
        ("POST", user_path, {"json": {"permission": "read--match"}}, 400, "permission"),
        ("DELETE", f"{user_path}/fly", {}, 422, "permission"),
    ]
    run(service.admin, cases)


def test_over_long_and_unstorable_values(service: Service) -> None:
    """Names past their limit (even only once case-folded) and NUL characters are 400s."""
    maps = seed_catalog(service)
    resource = {"resource_type": "route", "parent_id": maps}
    cases: list[Case] = [
        (
            "POST",
            "/users",
            {"json": {"user_name": "a" * 65, "email": "a@example.org", "password": PASSWORD}},
            400,
            "user_name",
        ),
        (
            "POST",
            "/users",
            {
                "json": {
                    "user_name": "bob",
                    "email": "b" * 250 + "@example.org",
                    "password": PASSWORD,
                }
            },
            400,
            "email",
        ),
        (
            "POST",
            "/users",
            {"json": {"user_name": "bob", "email": "b@example.org", "password": "p" * 2000}},
            400,
            "password",
        ),
        (
            "POST",
            "/users",
            {"json": {"user_name": "bob", "email": "b@example.org", "password": "short"}},
            400,
            "password",
        ),
        ("POST", "/groups", {"json": {"group_name": "g" * 65}}, 400, "group_name"),
        (
            "POST",
            "/services",
            {
                "json": {
                    "service_name": "s" * 256,
                    "service_type": "api",
                    "service_url": "http://s.internal/",
                }
            },
            400,
            "service_name",
        ),
        (
            "POST",
            "/services",
            {
                "json": {
                    "service_name": "s",
                    "service_type": "api",
                    "service_url": "http://s.internal/",
                    "service_sync_type": "x" * 33,
                }
            },
            400,
            "service_sync_type",
        ),
        (
            "POST",
            "/resources",
            {"json": {**resource, "resource_name": "r" * 256}},
            400,
            "resource_name",
        ),
        (
            "POST",
            "/resources",
            {"json": {**resource, "resource_name": "\u00df" * 200}},
            400,
            "resource_name",
        ),
        (
            "POST",
            "/resources",
            {"json": {**resource, "resource_name": "r", "resource_display_name": "d" * 256}},
            400,
            "resource_display_name",
        ),
        (
            "POST",
            "/users",
            {"json": {"user_name": "bob", "email": "b\x00@example.org", "password": PASSWORD}},
            400,
            "email",
        ),
        (
            "POST",
            "/groups",
            {"json": {"group_name": "g", "description": "x\x00y"}},
            400,
            "description",
        ),
        (
            "POST",
            "/services",
            {
                "json": {
                    "service_name": "s",
                    "service_type": "api",
                    "service_url": "http://s.internal/",
                    "configuration": {"k": "\x00"},
                }
            },
            400,
            "configuration.k",
        ),
        (
            "POST",
            "/signin",
            {"json": {"user_name": "alice\x00", "password": PASSWORD}},
            400,
            "user_name",
        ),
    ]
    run(service.admin, cases)
    lookups = [
        "/users/a%00b",
        "/groups/a%00b",
        "/services/a%00b",
        f"/users/{'u' * 5000}",
        f"/groups/{'g' * 5000}",
    ]
    for path in lookups:
        response = service.admin.get(path)
        assert response.status_code == 404, (path, response.text)


def test_non_integer_resource_ids(service: Service) -> None:
    """Resource ids that are not integers are 400; integers nobody holds are 404."""
    maps = seed_catalog(service)
    admin = service.admin
    cases: list[Case] = [
        ("GET", "/resources/abc", {}, 400, "resource_id"),
        ("GET", "/resources/1.5", {}, 400, "resource_id"),
        ("DELETE", "/resources/abc", {}, 400, "resource_id"),
        ("GET", "/users/alice/resources/abc/permissions", {}, 400, "resource_id"),
        (
            "POST",
            "/groups/editors/resources/x/permissions",
            {"json": {"permission": "read"}},
            400,
            "resource_id",
        ),
        (
            "POST",
            "/resources",
            {"json": {"resource_name": "r", "resource_type": "route", "parent_id": "abc"}},
            400,
            "parent_id",
        ),
        (
            "POST",
            "/resources",
            {"json": {"resource_name": "r", "resource_type": "route", "parent_id": [maps]}},
            400,
            "parent_id",
        ),
        ("GET", "/resources/99999999999999999999", {}, 404, "resource_id"),
        ("GET", "/resources/-1", {}, 404, "resource_id"),
        (
            "POST",
            "/resources",
            {"json": {"resource_name": "r", "resource_type": "route", "parent_id": 10**30}},
            404,
            "parent_id",
        ),
    ]
    run(admin, cases)


def test_form_encoded_bodies_are_accepted(service: Service) -> None:
    """Form-encoded bodies work like JSON for users, groups, services, resources, permissions."""
    maps = seed_catalog(service)
    admin = service.admin
    user = admin.post(
        "/users",
        data={
            "user_name": "bob",
            "email": "bob@example.org",
            "password": PASSWORD,
            "group_name": "editors",
        },
    )
    assert user.status_code == 201, user.text
    assert (
        admin.patch("/users/bob", data={"status": "2"}).json()["user"]["status"] == "WebhookError"
    )
    group = admin.post("/groups", data={"group_name": "readers", "discoverable": "true"})
    assert group.status_code == 201, group.text
    assert admin.get("/groups/readers").json()["group"]["discoverable"] is True
    svc = admin.post(
        "/services",
        data={
            "service_name": "other",
            "service_type": "api",
            "service_url": "http://other.internal/",
        },
    )
    assert svc.status_code == 201, svc.text
    child = admin.post(
        "/resources",
        data={"resource_name": "europe", "resource_type": "route", "parent_id": str(maps)},
    )
    assert child.status_code == 201, child.text
    perm = admin.post(
        f"/users/bob/resources/{maps}/permissions", data={"permission": "read-deny-match"}
    )
    assert perm.status_code == 201, perm.text
    assert perm.json()["permission_name"] == "read-deny-match"
    member = admin.post("/users/alice/groups", data={"group_name": "readers"})
    assert member.status_code == 201, member.text
    run(
        admin,
        [
            (
                "POST",
                "/users",
                {"data": {"user_name": "Bad Name", "email": "x@example.org", "password": PASSWORD}},
                400,
                "user_name",
            )
        ],
    )


def test_lone_surrogates_are_refused_naming_the_field(service: Service) -> None:
    """JSON may escape half of a surrogate pair (``\\ud800``) alone: not Unicode text, and not
    even writable back in an error. Every such field is a 400 naming it (it was a 500 when
    the error echoed the value); a whole pair, an emoji, is text like any other."""
    seed_catalog(service)
    lone = "\\ud800"
    cases = [
        ("POST", "/users", f'{{"user_name": "x{lone}", "email": "x@example.org"}}', "user_name"),
        ("POST", "/users", f'{{"user_name": "x", "email": "x{lone}@example.org"}}', "email"),
        ("POST", "/groups", f'{{"group_name": "g", "description": "{lone}"}}', "description"),
        ("PATCH", "/users/alice", f'{{"password": "long-enough-password{lone}"}}', "password"),
        ("POST", "/signin", f'{{"user_name": "alice", "password": "{lone}"}}', "password"),
        ("POST", "/groups", f'{{"group_name": "g", "{lone}": 1}}', "'\\ud800'"),
    ]
    problems = []
    for method, path, body, param in cases:
        response = service.admin.request(method, path, content=body, headers=JSON)
        problems += check_error(response, 400, param)
    assert not problems, "\n".join(problems)
    paired = '{"group_name": "smiles", "description": "\\ud83d\\ude00"}'
    created = service.admin.post("/groups", content=paired, headers=JSON)
    assert created.status_code == 201, created.text
    assert service.admin.get("/groups/smiles").json()["group"]["description"] == "\U0001f600"
