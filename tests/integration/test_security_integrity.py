"""Integrity under abuse: racing duplicate creates, the last administrator, deep resource trees.

Run against a real server (uvicorn on 127.0.0.1) on SQLite and PostgreSQL. The races are 20
requests released together; PostgreSQL lets them really overlap, so its unique constraints do
the refusing and the service must turn that into the sequential 409.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from rookery.db.models import Resource
from tests.conftest import ServiceFactory
from tests.support.envelope import assert_error
from tests.support.service import ADMIN_PASSWORD, Service
from tests.support.world import PASSWORD, seed_catalog

RACERS = 20


@dataclass(frozen=True)
class Race:
    """``RACERS`` POSTs to ``path``; ``body(i)`` is racer i's body (all collide on one key)."""

    path: str
    param: str

    def body(self, index: int) -> dict[str, Any]:
        return dict(RACE_BODIES[self.path + "#" + self.param](index))


RACE_BODIES: dict[str, Any] = {
    "/users#user_name": lambda i: {
        "user_name": "racer",
        "email": f"racer{i}@example.org",
        "password": PASSWORD,
    },
    "/users#email": lambda i: {
        "user_name": f"racer{i}",
        "email": "same@example.org",
        "password": PASSWORD,
    },
    "/groups#group_name": lambda _: {"group_name": "racers"},
    "/users/alice/groups#group_name": lambda _: {"group_name": "editors"},
    "/users/alice/services/catalog/permissions#permission": lambda _: {"permission": "read"},
    "/groups/editors/services/catalog/permissions#permission": lambda _: {"permission": "write"},
    "/services#service_name": lambda _: {
        "service_name": "racing",
        "service_type": "api",
        "service_url": "http://racing.internal/",
    },
    "/services/catalog/resources#resource_name": lambda _: {
        "resource_name": "lap",
        "resource_type": "route",
    },
}
RACES = [Race(*key.split("#")) for key in RACE_BODIES]


def _admin_clients(service: Service, count: int) -> list[httpx.Client]:
    cookies = service.admin.cookies
    clients = [
        httpx.Client(base_url=service.base, cookies=cookies, timeout=60) for _ in range(count)
    ]
    service.clients.extend(clients)
    return clients


def _race(service: Service, race: Race) -> list[httpx.Response]:
    clients = _admin_clients(service, RACERS)
    start = threading.Barrier(RACERS)

    def run(index: int) -> httpx.Response:
        start.wait()
        return clients[index].post(race.path, json=race.body(index))

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(run, range(RACERS)))


@pytest.mark.parametrize("race", RACES, ids=[f"{r.path}:{r.param}" for r in RACES])
def test_parallel_duplicate_creates_give_one_201_and_sequential_409s(
    service: Service, race: Race, caplog: pytest.LogCaptureFixture
) -> None:
    """Twenty simultaneous duplicate creates: one 201, nineteen 409s equal to the sequential one."""
    caplog.set_level(logging.DEBUG)
    seed_catalog(service)
    responses = _race(service, race)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (RACERS - 1), [
        r.text for r in responses if r.status_code != 409
    ]

    # A body no racer used, so it collides on the raced key only (not on the winner's other fields).
    fresh = race.body(RACERS)
    sequential = assert_error(service.admin.post(race.path, json=fresh), 409, race.param)
    for response in responses:
        if response.status_code == 409:
            body = assert_error(response, 409, race.param)
            assert (body["detail"], body["param"]) == (sequential["detail"], sequential["param"])
    # Failed inserts leave no hash or statement parameter in the log, and no API traceback.
    assert "$argon2" not in caplog.text
    api_records = [r for r in caplog.records if r.name.startswith(("rookery.api", "uvicorn"))]
    assert not [r.getMessage() for r in api_records if r.exc_info or r.levelno >= logging.ERROR]


def test_last_administrator_cannot_leave_or_be_deleted(service: Service) -> None:
    """The only administrator cannot leave ``administrators`` nor be deleted (403 naming why)."""
    admin = service.admin
    admin.post(
        "/users", json={"user_name": "boss", "email": "boss@example.org", "password": PASSWORD}
    )
    leaving = assert_error(admin.delete("/users/admin/groups/administrators"), 403, "group_name")
    assert "last administrator" in leaving["detail"]

    # With a second administrator the bootstrap one may leave; then boss is the last one.
    assert (
        admin.post("/users/boss/groups", json={"group_name": "administrators"}).status_code == 201
    )
    assert admin.delete("/users/admin/groups/administrators").status_code == 200
    boss = service.client("boss", PASSWORD)
    assert (
        "last administrator"
        in assert_error(boss.delete("/users/boss/groups/administrators"), 403, "group_name")[
            "detail"
        ]
    )
    assert (
        "last administrator" in assert_error(boss.delete("/users/boss"), 403, "user_name")["detail"]
    )
    assert boss.get("/users").status_code == 200


def test_bootstrap_admin_is_protected_by_id_not_name(service: Service) -> None:
    """Renaming the bootstrap administrator does not make it deletable."""
    admin = service.admin
    admin.post(
        "/users", json={"user_name": "boss", "email": "boss@example.org", "password": PASSWORD}
    )
    assert (
        admin.post("/users/boss/groups", json={"group_name": "administrators"}).status_code == 201
    )
    assert admin.patch("/users/admin", json={"user_name": "chief"}).status_code == 200
    boss = service.client("boss", PASSWORD)
    refused = assert_error(boss.delete("/users/chief"), 403, "user_name")
    assert "bootstrap administrator" in refused["detail"]
    assert service.client("chief", ADMIN_PASSWORD).get("/users").status_code == 200


def test_resource_depth_limit(start_service: ServiceFactory) -> None:
    """A resource deeper than ROOKERY_RESOURCE_MAX_DEPTH is a 400 naming ``parent_id``."""
    service = start_service(resource_max_depth=2)
    admin = service.admin
    admin.post(
        "/services",
        json={
            "service_name": "api1",
            "service_type": "api",
            "service_url": "http://api1.internal/",
        },
    )
    parent = None
    for name in ("one", "two"):
        body = {"resource_name": name, "resource_type": "route", "parent_id": parent}
        created = admin.post("/services/api1/resources", json=body)
        assert created.status_code == 201, created.text
        parent = created.json()["resource"]["resource_id"]
    too_deep = {"resource_name": "three", "resource_type": "route", "parent_id": parent}
    body = assert_error(admin.post("/resources", json=too_deep), 400, "parent_id")
    assert "ROOKERY_RESOURCE_MAX_DEPTH" in body["detail"]
    assert_error(admin.post("/services/api1/resources", json=too_deep), 400, "parent_id")


DEEP = 1000


def _deep_chain(service: Service, service_name: str) -> list[int]:
    """A chain of ``DEEP`` routes written straight into the database (past the limit)."""
    created = service.admin.post(
        "/services",
        json={
            "service_name": service_name,
            "service_type": "api",
            "service_url": "http://deep.internal/",
        },
    )
    root = created.json()["service"]["resource_id"]
    ids: list[int] = []
    with service.app.session() as session:
        parent = root
        for depth in range(1, DEEP + 1):
            node = Resource(
                resource_name=f"r{depth}",
                name_key=f"r{depth}",
                display_name=f"r{depth}",
                resource_type="route",
                parent_id=parent,
                root_service_id=root,
            )
            session.add(node)
            session.flush()
            parent = node.id
            ids.append(node.id)
        session.commit()
    return ids


@contextmanager
def _deep_json() -> Iterator[None]:
    """Let this test's client parse JSON nested 2,000 levels (the server needs no such help)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _depth(tree: dict[str, Any]) -> int:
    depth = 0
    while tree["children"]:
        (tree,) = tree["children"].values()
        depth += 1
    return depth


def test_thousand_deep_tree_lists_resolves_and_deletes(service: Service) -> None:
    """A 1,000-deep tree is listed, resolved and deleted (no recursion limit is hit)."""
    admin = service.admin
    seed_catalog(service)
    ids = _deep_chain(service, "deep")

    listed = admin.get("/services/deep/resources")
    assert listed.status_code == 200
    one = admin.get(f"/resources/{ids[0]}")
    assert one.status_code == 200
    with _deep_json():
        (top,) = listed.json()["deep"]["resources"].values()
        assert _depth(top) == DEEP - 1
        assert _depth(one.json()["resource"]) == DEEP - 1

    granted = admin.post("/users/alice/services/deep/permissions", json={"permission": "read"})
    assert granted.status_code == 201, granted.text
    effective = admin.get(
        f"/users/alice/resources/{ids[-1]}/permissions", params={"effective": "true"}
    ).json()["permissions"]
    read = next(p for p in effective if p["name"] == "read")
    assert (read["access"], read["reason"].split(":")[0]) == ("allow", "user")

    too_deep = {"resource_name": "more", "resource_type": "route", "parent_id": ids[-1]}
    assert_error(admin.post("/resources", json=too_deep), 400, "parent_id")
    page = admin.get("/ui/services/deep")  # the console's tree too
    assert page.status_code == 200
    assert f"r{DEEP}<" in page.text

    assert admin.delete(f"/resources/{ids[0]}").status_code == 200
    assert admin.get("/services/deep/resources").json()["deep"]["resources"] == {}
    assert_error(admin.get(f"/resources/{ids[-1]}"), 404)
    _deep_chain(service, "deeper")
    assert admin.delete("/services/deeper").status_code == 200
    assert_error(admin.get("/services/deeper"), 404)


def test_two_administrators_leaving_at_once_leave_one(service: Service) -> None:
    """Both administrators leaving at once: one succeeds, the other is refused (403)."""
    admin = service.admin
    admin.post(
        "/users", json={"user_name": "boss", "email": "boss@example.org", "password": PASSWORD}
    )
    assert (
        admin.post("/users/boss/groups", json={"group_name": "administrators"}).status_code == 201
    )
    clients = [admin, service.client("boss", PASSWORD)]
    start = threading.Barrier(2)

    def leave(index: int) -> int:
        start.wait()
        name = ("admin", "boss")[index]  # each administrator removes itself
        return clients[index].delete(f"/users/{name}/groups/administrators").status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(leave, range(2)))
    assert sorted(codes) == [200, 403]
    remaining = clients[codes.index(403)]  # the one refused is still an administrator
    members = remaining.get("/groups/administrators/users")
    assert len(members.json()["user_names"]) == 1, members.text
