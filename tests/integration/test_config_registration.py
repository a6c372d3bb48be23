"""A combined configuration file registers its services, groups, users and permissions at
start, as Magpie's does, once: a restart on the same database changes nothing."""

from __future__ import annotations

from typing import Any

from rookery.db.models import Event
from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import count_rows
from tests.support.receiver import Receiver

SECTIONS: dict[str, Any] = {
    "providers": {
        "geo": {"url": "http://geo.internal/wps", "type": "wps"},
        "catalog": {"url": "http://catalog.internal/", "type": "api"},
    },
    "groups": [{"name": "editors", "description": "people who edit", "discoverable": True}],
    "users": [
        {
            "username": "carl",
            "password": "carl-long-password",
            "email": "carl@example.org",
            "group": "editors",
        }
    ],
    "permissions": [
        {"service": "catalog", "permission": "read", "group": "editors"},
        {
            "service": "catalog",
            "resource": "/maps/europe",
            "type": "route",
            "permission": "write-allow-match",
            "user": "carl",
        },
    ],
}


def test_combined_config_registers_objects_once(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Services, groups, users and permissions appear at start; a restart adds nothing."""
    hooks = [
        {
            "name": "new users",
            "action": "create_user",
            "method": "POST",
            "url": receiver.url("/users"),
            "payload": {"user": "{{user.name}}", "by": "{{actor.name}}"},
        }
    ]
    first = start_service(hooks, config_sections=SECTIONS)
    admin = first.admin
    services = admin.get("/services").json()["services"]
    assert set(services["wps"]) == {"geo"}
    assert set(services["api"]) == {"catalog"}
    assert admin.get("/users/carl/groups").json()["group_names"] == ["anonymous", "editors"]
    read = admin.get("/groups/editors/services/catalog/permissions").json()
    assert read["permissions"][0]["name"] == "read"
    tree = admin.get("/services/catalog/resources").json()["catalog"]["resources"]
    (maps,) = tree.values()
    (europe,) = maps["children"].values()
    assert (maps["resource_name"], europe["resource_name"]) == ("maps", "europe")
    carl = admin.get(f"/users/carl/resources/{europe['resource_id']}/permissions").json()
    assert carl["permissions"][0]["name"] == "write"
    assert carl["permissions"][0]["scope"] == "match"
    (got,) = receiver.wait_for(1, "/users")
    assert got.json() == {"user": "carl", "by": None}
    events = count_rows(first, Event)
    first.stop()

    second = start_service(hooks, config_sections=SECTIONS)
    assert count_rows(second, Event) == events
    assert second.admin.get("/users").json()["user_names"].count("carl") == 1
