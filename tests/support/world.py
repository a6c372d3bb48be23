"""A small, known world for API tests: users, a group, an ``api`` service with one route."""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.service import Service

PASSWORD = "a-long-enough-password"


def add_user(service: Service, name: str) -> None:
    """Create a plain user ``name`` with :data:`PASSWORD`."""
    created = service.admin.post(
        "/users", json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text


def seed_catalog(service: Service, users: Sequence[str] = ("alice",)) -> int:
    """Users, group ``editors``, service ``catalog`` with route ``maps``; returns maps' id."""
    admin = service.admin
    for name in users:
        admin.post(
            "/users", json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
        )
    admin.post("/groups", json={"group_name": "editors"})
    admin.post(
        "/services",
        json={
            "service_name": "catalog",
            "service_type": "api",
            "service_url": "http://catalog.internal/",
        },
    )
    created = admin.post(
        "/services/catalog/resources", json={"resource_name": "maps", "resource_type": "route"}
    )
    assert created.status_code == 201, created.text
    return int(created.json()["resource"]["resource_id"])
