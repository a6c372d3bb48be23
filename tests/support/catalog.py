"""Factories for services and resources created through the API, shared by the compat tests."""

from __future__ import annotations

from typing import Any

import httpx


def add_service(admin: httpx.Client, name: str, kind: str = "api") -> dict[str, Any]:
    """Register a service and return the API's view of it."""
    response = admin.post(
        "/services",
        json={
            "service_name": name,
            "service_type": kind,
            "service_url": f"http://{name}.internal/",
        },
    )
    assert response.status_code == 201, response.text
    service: dict[str, Any] = response.json()["service"]
    return service


def add_resource(admin: httpx.Client, parent_id: int, name: str, kind: str = "route") -> int:
    """Create a resource under ``parent_id`` and return its id."""
    response = admin.post(
        "/resources", json={"resource_name": name, "resource_type": kind, "parent_id": parent_id}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["resource"]["resource_id"])


ROUTE_NAMES = [
    "read-match",
    "read-allow-match",
    "read",
    "read-allow-recursive",
    "read-deny-match",
    "read-deny-recursive",
    "write-match",
    "write-allow-match",
    "write",
    "write-allow-recursive",
    "write-deny-match",
    "write-deny-recursive",
]
"""Magpie's ``permission_names`` for what may be applied on an ``api`` route (or service)."""
