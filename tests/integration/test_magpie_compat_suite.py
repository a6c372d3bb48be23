"""Magpie 5.1.0 parity: behaviour Magpie's own API suite (remote mode) checks, replayed here.

Each test names the Magpie suite tests it stands for (``docs/MAGPIE_SUITE_AUDIT.md``).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service
from tests.support.world import PASSWORD


def _user(admin: httpx.Client, name: str, group: str | None = None) -> int:
    body: dict[str, Any] = {"user_name": name, "email": f"{name}@mail.com", "password": PASSWORD}
    if group is not None:
        body["group_name"] = group
    created = admin.post("/users", json=body)
    assert created.status_code == 201, created.text
    user_id: int = created.json()["user"]["user_id"]
    return user_id


def _group(admin: httpx.Client, name: str) -> int:
    created = admin.post("/groups", json={"group_name": name})
    assert created.status_code == 201, created.text
    group_id: int = created.json()["group"]["group_id"]
    return group_id


def test_signin_detail_and_anonymous_is_forbidden(service: Service) -> None:
    """Sign-in answers Magpie's ``Login successful.``; the anonymous account is 403 however it
    is tried (query, JSON, a form sent without a Content-Type)."""
    _user(service.admin, "toto")
    client = service.client()
    by_query = client.get("/signin", params={"user_name": "toto", "password": PASSWORD})
    assert by_query.json()["detail"] == "Login successful."
    by_json = client.post("/signin", json={"user_name": "toto@mail.com", "password": PASSWORD})
    assert by_json.json()["detail"] == "Login successful."
    anonymous = {"user_name": "anonymous", "password": "whatever-it-is"}
    assert_error(client.get("/signin", params=anonymous), 403, "user_name")
    assert_error(client.post("/signin", json=anonymous), 403, "user_name")
    untyped_form = client.post(
        "/signin", content=b"user_name=anonymous&password=whatever-it-is", headers={}
    )
    assert_error(untyped_form, 403, "user_name")


def test_missing_user_is_404_before_401(service: Service) -> None:
    """Without a session, a user that does not exist is 404 (``/users/currentextra``), an
    existing other user 401."""
    _user(service.admin, "toto")
    nobody = service.client()
    assert_error(nobody.get("/users/currentextra"), 404, "user_name")
    assert_error(nobody.get("/users/toto"), 401)
    assert nobody.get("/users/current").json()["user"]["user_name"] == "anonymous"


def test_listings_show_magpie_service_types_until_wms_is_used(service: Service) -> None:
    """Every-type listings show Magpie's ten types; Rookery's own ``wms`` appears once a
    service uses it."""
    admin = service.admin
    magpie_types = [
        "access",
        "api",
        "geoserver",
        "geoserverwfs",
        "geoserverwms",
        "geoserverwps",
        "ncwms",
        "thredds",
        "wfs",
        "wps",
    ]
    _user(admin, "toto")
    assert admin.get("/services/types").json()["service_types"] == magpie_types
    assert list(admin.get("/services").json()["services"]) == magpie_types
    assert list(admin.get("/resources").json()["resources"]) == magpie_types
    assert list(admin.get("/users/toto/resources").json()["resources"]) == magpie_types
    add_service(admin, "maps", "wms")
    with_wms = sorted([*magpie_types, "wms"])
    assert admin.get("/services/types").json()["service_types"] == with_wms
    assert list(admin.get("/services").json()["services"]) == with_wms


def test_service_types_path_is_read_only(service: Service) -> None:
    """``PATCH /services/types`` is 405 (a route of its own, not a service named ``types``)."""
    refused = service.admin.patch("/services/types", json={"service_name": "x"})
    assert_error(refused, 405)
    assert refused.headers["Allow"] == "GET"


def test_resource_creation_codes(service: Service) -> None:
    """No ``parent_id`` is 422, a parent from another service 403 comparing the service, a
    rename without a name 422."""
    admin = service.admin
    first = add_service(admin, "first")
    other = add_service(admin, "other")
    foreign = add_resource(admin, other["resource_id"], "foreign")
    missing = admin.post("/resources", json={"resource_name": "r", "resource_type": "route"})
    assert assert_error(missing, 422, "parent_id")["param"]["value"] is None
    crossed = admin.post(
        "/services/first/resources",
        json={"resource_name": "r", "resource_type": "route", "parent_id": foreign},
    )
    refused = assert_error(crossed, 403, "parent_id")["param"]
    assert refused["compare"] == str(first["resource_id"])  # Magpie writes compare as text
    assert refused["conditions"] == {"is_equal": False}
    assert_error(admin.patch(f"/resources/{foreign}", json={}), 422, "resource_name")


def test_permission_conflict_names_the_permission_resource_and_holder(service: Service) -> None:
    """A second POST of a permission is 409 with ``permission_name``, ``resource_id`` and the
    ``user_id`` (or ``group_id``) at the top level, as on success."""
    admin = service.admin
    user_id = _user(admin, "toto")
    group_id = _group(admin, "crew")
    svc = add_service(admin, "svc")
    for holder, key, holder_id in (
        ("users/toto", "user_id", user_id),
        ("groups/crew", "group_id", group_id),
    ):
        path = f"/{holder}/resources/{svc['resource_id']}/permissions"
        created = admin.post(path, json={"permission_name": "read"})
        assert created.status_code == 201, created.text
        clash = assert_error(admin.post(path, json={"permission_name": "read"}), 409)
        assert clash["permission_name"] == created.json()["permission_name"]
        assert clash["resource_id"] == svc["resource_id"]
        assert clash[key] == holder_id


def _effective(admin: httpx.Client, user: str, resource: int) -> dict[str, dict[str, str]]:
    path = f"/users/{user}/resources/{resource}/permissions"
    body = admin.get(path, params={"effective": "true"}).json()
    return {p["name"]: p for p in body["permissions"]}


def _put(admin: httpx.Client, holder: str, resource: int, permission: str) -> None:
    name, access, scope = permission.split("-")
    body = {"permission": {"name": name, "access": access, "scope": scope}}
    response = admin.post(f"/{holder}/resources/{resource}/permissions", json=body)
    assert response.status_code == 201, response.text


def test_effective_priority_before_closeness(service: Service) -> None:
    """Effective permissions are scoped ``match``; a default group's grant further up beats an
    ``anonymous`` grant on the resource; equal groups resolve deny, then recursive, else
    ``multiple`` (Magpie's MultipleGroupPermissions and PermissionsHierarchyResolution)."""
    admin = service.admin
    one, two = _group(admin, "one"), _group(admin, "two")
    _user(admin, "toto", "one")
    assert admin.post("/users/toto/groups", json={"group_name": "two"}).status_code == 201
    svc = add_service(admin, "svc")["resource_id"]
    leaf = add_resource(admin, add_resource(admin, svc, "mid"), "leaf")
    _put(admin, "groups/anonymous", leaf, "read-deny-match")
    _put(admin, "groups/one", svc, "read-allow-recursive")
    read = _effective(admin, "toto", leaf)["read"]
    assert read == {
        "name": "read",
        "access": "allow",
        "scope": "match",
        "type": "effective",
        "reason": f"group:{one}:one",
    }
    assert _effective(admin, "toto", leaf)["write"]["reason"] == "no-permission"
    _put(admin, "groups/one", leaf, "read-allow-match")
    _put(admin, "groups/two", leaf, "read-allow-recursive")
    assert _effective(admin, "toto", leaf)["read"]["reason"] == f"group:{two}:two"
    path = f"/users/toto/resources/{leaf}/permissions"
    resolved = admin.get(path, params={"resolved": "true"}).json()["permissions"]
    assert [(p["scope"], p["type"], p["reason"]) for p in resolved] == [
        ("recursive", "inherited", f"group:{two}:two")
    ]
    _put(admin, "groups/one", leaf, "write-deny-match")
    _put(admin, "groups/two", leaf, "write-deny-match")
    assert _effective(admin, "toto", leaf)["write"]["reason"] == "multiple"
    resolved = admin.get(path, params={"resolved": "true"}).json()["permissions"]
    assert {p["name"]: p["reason"] for p in resolved}["write"] == "multiple"
    _put(admin, "users/toto", svc, "read-deny-recursive")
    inherited = admin.get(path, params={"inherited": "true"}).json()["permissions"]
    assert {p["type"] for p in inherited} == {"inherited"}
    own = admin.get(f"/users/toto/resources/{svc}/permissions", params={"inherited": "true"})
    types = {p["reason"].split(":")[0]: p["type"] for p in own.json()["permissions"]}
    assert types == {"user": "direct", "group": "inherited"}
    assert _effective(admin, "toto", leaf)["read"]["access"] == "deny"


def test_user_names_clash_without_case(service: Service) -> None:
    """An upper-case spelling of a taken name is 409 (create or rename), as Magpie compares
    names without case; a malformed or empty ``group_name`` at creation is 400."""
    admin = service.admin
    _user(admin, "toto")
    body = {"user_name": "TOTO", "email": "other@mail.com", "password": PASSWORD}
    assert_error(admin.post("/users", json=body), 409, "user_name")
    assert_error(admin.patch("/users/toto", json={"user_name": "TOTO"}), 409, "user_name")
    assert_error(admin.post("/users", json={**body, "user_name": "Tata"}), 400, "user_name")
    for group_name in ("!ABC!", "abc/def", ""):
        new = {"user_name": "tata", "email": "tata@mail.com", "password": PASSWORD}
        refused = admin.post("/users", json={**new, "group_name": group_name})
        assert_error(refused, 400, "group_name")


def test_discoverable_group_public_view(service: Service) -> None:
    """A signed-in user reads a discoverable group's name, description and terms only."""
    admin = service.admin
    _user(admin, "toto")
    created = admin.post(
        "/groups", json={"group_name": "open", "discoverable": True, "description": "Test Group"}
    )
    assert created.status_code == 201, created.text
    toto = service.client("toto", PASSWORD)
    group = toto.get("/register/groups/open").json()["group"]
    assert group == {"group_name": "open", "description": "Test Group", "terms": None}


def test_group_bodies_follow_members(service: Service) -> None:
    """``administrators`` has priority ``"max"``; ``member_count`` follows each membership."""
    admin = service.admin
    group = admin.get("/groups/administrators").json()["group"]
    assert group["priority"] == "max"
    assert "admin" in group["user_names"]
    _group(admin, "crew")
    for count, name in enumerate(("ann", "bob"), start=1):
        _user(admin, name, "crew")
        shown = admin.get("/groups/crew").json()["group"]
        assert (shown["member_count"], isinstance(shown["group_id"], int)) == (count, True)
    assert admin.delete("/users/ann/groups/crew").status_code == 200
    assert admin.delete("/users/bob/groups/crew").status_code == 200
    shown = admin.get("/groups/crew").json()["group"]
    assert (shown["member_count"], shown["user_names"]) == (0, [])


def test_renames_and_passwords_take_effect_at_sign_in(service: Service) -> None:
    """After a rename only the new name signs in; after a password change only the new
    password; a too-short password is 400."""
    admin = service.admin
    _user(admin, "toto")
    assert admin.patch("/users/toto", json={"user_name": "toto-new"}).status_code == 200
    client = service.client()
    assert_error(client.post("/signin", json={"user_name": "toto", "password": PASSWORD}), 401)
    assert client.post("/signin", json={"user_name": "toto-new", "password": PASSWORD}).is_success
    changed = admin.patch("/users/toto-new", json={"password": "n0t-SO-ez-2-Cr4cK"})
    assert changed.status_code == 200, changed.text
    fresh = service.client()
    refused = fresh.post("/signin", json={"user_name": "toto-new", "password": PASSWORD})
    assert_error(refused, 401)
    assert service.client("toto-new", "n0t-SO-ez-2-Cr4cK").get("/session").json()["authenticated"]
    assert_error(admin.patch("/users/toto-new", json={"password": "abc"}), 400, "password")


def test_second_admin_cannot_delete_the_special_admin(service: Service) -> None:
    """Another administrator cannot delete the special admin (403) but may delete itself."""
    _user(service.admin, "boss", "administrators")
    boss = service.client("boss", PASSWORD)
    assert_error(boss.delete("/users/admin"), 403, "user_name")
    assert_error(boss.delete("/users/anonymous"), 403, "user_name")
    assert boss.delete("/users/boss").status_code == 200
    assert "boss" not in service.admin.get("/users").json()["user_names"]


def test_permission_bodies_as_the_suite_reads_them(service: Service) -> None:
    """POST answers 201 with the ids; PUT creates (201) then updates (200); listings carry
    ``reason``; a group permission is deleted by its full object or by its name."""
    admin = service.admin
    user_id = _user(admin, "toto")
    _group(admin, "crew")
    add_service(admin, "svc")
    path = "/users/toto/services/svc/permissions"
    created = admin.post(path, json={"permission_name": "read"})
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("permission_name", "user_id")} == {
        "permission_name": "read-allow-recursive",
        "user_id": user_id,
    }
    update = {"permission": {"name": "read", "access": "deny", "scope": "match"}}
    assert admin.put(path, json=update).status_code == 200
    assert admin.put(path, json={"permission": {"name": "write"}}).status_code == 201
    listed = admin.get(path).json()["permissions"]
    assert {(p["name"], p["access"], p["scope"], p["type"], p["reason"]) for p in listed} == {
        ("read", "deny", "match", "direct", f"user:{user_id}:toto"),
        ("write", "allow", "recursive", "direct", f"user:{user_id}:toto"),
    }
    group_path = "/groups/crew/services/svc/permissions"
    for name in ("read", "write"):
        assert admin.post(group_path, json={"permission_name": name}).status_code == 201
    first = admin.get(group_path).json()["permissions"][0]
    assert admin.request("DELETE", group_path, json={"permission": first}).status_code == 200
    assert admin.request("DELETE", group_path, json={"permission": "write"}).status_code == 200
    emptied = admin.get(group_path).json()
    assert (emptied["permission_names"], emptied["permissions"]) == ([], [])


def test_resource_bodies_as_the_suite_reads_them(service: Service) -> None:
    """A created resource's display name defaults to its name; ``GET /resources/{id}`` shows
    parent and root ids and an empty ``children``; scoped (``a:b``) names work throughout."""
    admin = service.admin
    svc = add_service(admin, "test:svc")
    created = admin.post(
        "/resources",
        data={
            "resource_name": "test:res",
            "resource_type": "route",
            "parent_id": svc["resource_id"],
        },
    )
    assert created.status_code == 201, created.text
    resource = created.json()["resource"]
    assert resource["resource_display_name"] == "test:res"
    shown = admin.get(f"/resources/{resource['resource_id']}").json()["resource"]
    assert (shown["parent_id"], shown["root_service_id"], shown["children"]) == (
        svc["resource_id"],
        svc["resource_id"],
        {},
    )
    again = {"resource_name": "test:res", "resource_type": "route", "parent_id": svc["resource_id"]}
    assert_error(admin.post("/resources", json=again), 409, "resource_name")
    assert admin.get("/services/test:svc").status_code == 200
    assert admin.delete("/services/test:svc").status_code == 200


def test_anonymous_user_is_read_only(service: Service) -> None:
    """The anonymous user's permissions cannot be created, replaced or deleted, nor can it
    leave ``anonymous``: each is 403 naming it (its permissions stay readable)."""
    admin = service.admin
    svc = add_service(admin, "svc")["resource_id"]
    body = {"permission": {"name": "read", "access": "deny", "scope": "match"}}
    paths = (
        "/users/anonymous/services/svc/permissions",
        f"/users/anonymous/resources/{svc}/permissions",
    )
    for path in paths:
        for method in ("POST", "PUT", "DELETE"):
            refused = assert_error(admin.request(method, path, json=body), 403)
            assert "anonymous" in refused["detail"].lower()
        assert_error(admin.delete(f"{path}/read"), 403)
        assert admin.get(path).status_code == 200
    left = assert_error(admin.delete("/users/anonymous/groups/anonymous"), 403)
    assert "anonymous" in left["detail"].lower()


def _chain(admin: httpx.Client, name: str, depth: int) -> list[int]:
    """A service and ``depth`` nested routes under it: ``[service, level 1, ..., level depth]``."""
    ids = [add_service(admin, name)["resource_id"]]
    for level in range(depth):
        ids.append(add_resource(admin, ids[-1], f"r{level + 1}"))
    return ids


def test_hierarchy_combinations_of_magpie(service: Service) -> None:
    """Magpie's 36 cases (user, group or anonymous, allowing or denying, on a service, then on
    a leaf two levels down, all recursive): effective on the leaf is the leaf's user grant, else
    the service's user grant, else the leaf's group grant, else the service's group grant, else
    the leaf's anonymous grant; on the service it is always the service's grant."""
    admin = service.admin
    group_id = _group(admin, "crew")
    user_id = _user(admin, "toto", "crew")
    anonymous_id = admin.get("/groups/anonymous").json()["group"]["group_id"]
    holders = {
        "user": ("users/toto", f"user:{user_id}:toto", 2),
        "group": ("groups/crew", f"group:{group_id}:crew", 1),
        "anonymous": ("groups/anonymous", f"group:{anonymous_id}:anonymous", 0),
    }
    for index, (first, first_access, second, second_access) in enumerate(
        (a, x, b, y)
        for a in holders
        for x in ("allow", "deny")
        for b in holders
        for y in ("allow", "deny")
    ):
        svc, _, leaf = _chain(admin, f"svc{index}", 2)
        _put(admin, holders[first][0], svc, f"read-{first_access}-recursive")
        _put(admin, holders[second][0], leaf, f"read-{second_access}-recursive")
        on_leaf = max(
            ((holders[second][2], 1), second_access, holders[second][1]),
            ((holders[first][2], 0), first_access, holders[first][1]),
        )
        case = f"case {index + 1}: {first}-{first_access} / {second}-{second_access}"
        got = _effective(admin, "toto", leaf)["read"]
        assert (got["access"], got["reason"]) == on_leaf[1:], case
        got = _effective(admin, "toto", svc)["read"]
        assert (got["access"], got["reason"]) == (first_access, holders[first][1]), case
        resolved = admin.get(
            f"/users/toto/resources/{leaf}/permissions", params={"resolve": "true"}
        ).json()["permissions"]
        kind = "direct" if second == "user" else "inherited"
        assert [(p["access"], p["type"], p["reason"]) for p in resolved] == [
            (second_access, kind, holders[second][1])
        ], case


def test_scoped_hierarchy_of_magpie(service: Service) -> None:
    """Magpie's ScopedHierarchyResolution: alternating allow/deny down five levels resolve to
    the closest grant, and a user's grant beats a closer group's (service 3 of the case)."""
    admin = service.admin
    _group(admin, "crew")
    _user(admin, "toto", "crew")
    cases = {
        "groups/crew": ("svc1", {0: "allow", 2: "deny", 4: "allow"}),
        "users/toto": ("svc2", {0: "allow", 2: "deny", 4: "allow"}),
    }
    expected = ["allow", "allow", "deny", "deny", "allow", "allow"]
    for holder, (name, grants) in cases.items():
        ids = _chain(admin, name, 5)
        for level, access in grants.items():
            _put(admin, holder, ids[level], f"read-{access}-recursive")
        got = [_effective(admin, "toto", rid)["read"]["access"] for rid in ids]
        assert got == expected, holder
    ids = _chain(admin, "svc3", 5)
    _put(admin, "groups/crew", ids[0], "read-allow-recursive")
    _put(admin, "users/toto", ids[2], "read-deny-recursive")
    _put(admin, "groups/crew", ids[3], "read-deny-recursive")
    _put(admin, "users/toto", ids[4], "read-allow-recursive")
    got = [_effective(admin, "toto", rid)["read"]["access"] for rid in ids]
    assert got == expected


def test_internal_provider_signin(service: Service) -> None:
    """``/providers/ziggurat/signin`` (POST body or GET query) signs in like ``/signin``; any
    other provider is 404 naming ``provider_name``."""
    _user(service.admin, "toto")
    credentials = {"user_name": "toto", "password": PASSWORD}
    by_post = service.client()
    signed = by_post.post("/providers/ziggurat/signin", json=credentials)
    assert signed.json()["detail"] == "Login successful."
    assert by_post.get("/session").json()["user"]["user_name"] == "toto"
    by_get = service.client()
    assert by_get.get("/providers/ZIGGURAT/signin", params=credentials).status_code == 200
    assert by_get.get("/session").json()["authenticated"] is True
    refused = service.client().post("/providers/github/signin", json=credentials)
    assert_error(refused, 404, "provider_name")


def test_effective_resolution_of_magpie(service: Service) -> None:
    """Magpie's EffectiveResolution table: read and write over three services, user and group
    grants of both scopes, each effective answer scoped ``match``."""
    admin = service.admin
    _group(admin, "crew")
    _user(admin, "toto", "crew")
    svc1, res1, res2, res3 = _chain(admin, "svc1", 3)
    svc2, res4, res5, res6 = _chain(admin, "svc2", 3)
    svc3, res7, res8, res9 = _chain(admin, "svc3", 3)
    grants = [
        ("users/toto", svc1, "read-allow-match"),
        ("users/toto", res1, "write-allow-match"),
        ("groups/crew", res1, "read-allow-recursive"),
        ("users/toto", res2, "read-deny-match"),
        ("groups/crew", res2, "read-deny-recursive"),
        ("users/toto", res3, "write-allow-match"),
        ("users/toto", res4, "write-allow-match"),
        ("groups/crew", res4, "write-deny-recursive"),
        ("users/toto", res5, "read-allow-recursive"),
        ("groups/crew", res5, "read-deny-match"),
        ("users/toto", res6, "write-allow-match"),
        ("users/toto", svc3, "write-deny-match"),
        ("groups/crew", svc3, "write-allow-recursive"),
        ("groups/crew", res8, "write-deny-recursive"),
        ("users/toto", res9, "write-allow-recursive"),
    ]
    for holder, resource, permission in grants:
        _put(admin, holder, resource, permission)
    expected = {
        svc1: ("allow", "deny"),
        res1: ("allow", "allow"),
        res2: ("deny", "deny"),
        res3: ("deny", "allow"),
        svc2: ("deny", "deny"),
        res4: ("deny", "allow"),
        res5: ("allow", "deny"),
        res6: ("allow", "allow"),
        svc3: ("deny", "deny"),
        res7: ("deny", "allow"),
        res8: ("deny", "deny"),
        res9: ("deny", "allow"),
    }
    for resource, (read, write) in expected.items():
        got = _effective(admin, "toto", resource)
        assert (got["read"]["access"], got["write"]["access"]) == (read, write), resource
        assert {p["scope"] for p in got.values()} == {"match"}


def test_logged_user_listing_queries(service: Service) -> None:
    """Magpie's GetLoggedUserResourcesPermissions_Queries: the admin's own and inherited
    permission names over a service, a resource and its child."""
    admin = service.admin
    svc, parent, child = _chain(admin, "svc", 2)
    _put(admin, "users/admin", svc, "read-allow-recursive")
    _put(admin, "groups/administrators", svc, "read-allow-match")
    _put(admin, "groups/administrators", parent, "read-allow-match")
    _put(admin, "groups/anonymous", svc, "read-allow-recursive")
    recursive, match = {"read", "read-allow-recursive"}, {"read-match", "read-allow-match"}
    cases = [
        ("admin", child, {}, set()),
        ("admin", child, {"inherit": "true"}, set()),
        ("admin", parent, {}, set()),
        ("admin", parent, {"inherit": "true"}, match),
        ("admin", svc, {}, recursive),
        ("admin", svc, {"inherit": "true"}, recursive | match),
        ("anonymous", child, {"inherit": "true"}, set()),
        ("anonymous", parent, {"inherit": "true"}, set()),
        ("anonymous", svc, {}, set()),
        ("anonymous", svc, {"inherit": "true"}, recursive),
    ]
    for user, resource, query, names in cases:
        path = f"/users/{user}/resources/{resource}/permissions"
        listed = admin.get(path, params=query).json()["permission_names"]
        assert sorted(listed) == sorted(names), (user, query)  # each name once, as Magpie


def test_thredds_resource_types(service: Service) -> None:
    """``/resources/{id}/types`` on a THREDDS tree: the service and a directory may hold
    directories and files, a file nothing; each answer names its root service."""
    admin = service.admin
    svc = add_service(admin, "thr", "thredds")["resource_id"]
    folder = add_resource(admin, svc, "dir1", "directory")
    leaf = add_resource(admin, folder, "file1", "file")
    both = ["directory", "file"]
    for resource, kind, children in (
        (svc, "service", both),
        (folder, "directory", both),
        (leaf, "file", []),
    ):
        body = admin.get(f"/resources/{resource}/types").json()
        assert body["resource_type"] == kind
        assert body["children_resource_types"] == children
        assert body["children_resource_allowed"] is bool(children)
        assert (body["root_service_id"], body["root_service_name"], body["root_service_type"]) == (
            svc,
            "thr",
            "thredds",
        )
