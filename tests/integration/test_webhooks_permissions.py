"""Permission webhooks end to end: the four Magpie actions deliver exactly SPEC §5's parameters.

Each webhook's payload lists *every* template parameter Rookery knows, so a parameter an action
does not offer stays a literal ``{{...}}`` and an extra or missing one is seen at once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rookery.db.models import Event
from rookery.webhooks.actions import WEBHOOK_TEMPLATE_PARAMS
from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import create_user, hook, ordered
from tests.support.receiver import Received, Receiver
from tests.support.service import Service

PROTECTED_URL = "https://proxy.example.org/twitcher/ows/proxy"
ACTIONS = [
    "create_user_permission",
    "delete_user_permission",
    "create_group_permission",
    "delete_group_permission",
]
EVERY_PARAM = {name: "{{" + name + "}}" for name in WEBHOOK_TEMPLATE_PARAMS}
EVENT_KEYS = ("event.id", "event.action", "event.time")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _start(start_service: ServiceFactory, receiver: Receiver) -> Service:
    """A service with one everything-payload webhook per permission action."""
    hooks = [hook(action, action, receiver.url(f"/{action}"), EVERY_PARAM) for action in ACTIONS]
    return start_service(webhooks=hooks, protected_url=PROTECTED_URL)


def _post(service: Service, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = service.admin.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _setup_targets(service: Service) -> dict[str, Any]:
    """An ``api`` service with a child ``route``, a user and a group; returns their ids."""
    svc = _post(
        service,
        "/services",
        {
            "service_name": "weather",
            "service_url": "http://127.0.0.1:9/api",
            "service_type": "api",
            "service_sync_type": "project-api",
        },
    )["service"]
    route = _post(
        service,
        "/services/weather/resources",
        {
            "resource_name": "stations",
            "resource_type": "route",
            "resource_display_name": "All stations",
        },
    )["resource"]
    user = create_user(service, "perm-user")
    group = _post(service, "/groups", {"group_name": "perm-group"})["group"]
    return {"service": svc, "route": route, "user": user, "group": group}


def _target_params(target: str, ids: dict[str, Any]) -> dict[str, Any]:
    """SPEC §5 resource and service keys for the service or its child route."""
    service_id = ids["service"]["resource_id"]
    if target == "service":
        return {
            "resource.id": service_id,
            "resource.name": "weather",
            "resource.display_name": "weather",
            "resource.type": "service",
            "service.name": "weather",
            "service.type": "api",
            "service.public_url": f"{PROTECTED_URL}/weather",
            "service.sync_type": "project-api",
        }
    return {
        "resource.id": ids["route"]["resource_id"],
        "resource.name": "stations",
        "resource.display_name": "All stations",
        "resource.type": "route",
        "service.name": None,
        "service.type": "api",
        "service.public_url": None,
        "service.sync_type": None,
    }


def _holder_params(holder: str, ids: dict[str, Any]) -> dict[str, Any]:
    """SPEC §5 user keys (status as the integer) or group keys."""
    if holder == "user":
        return {
            "user.name": "perm-user",
            "user.id": ids["user"]["user_id"],
            "user.email": "perm-user@example.org",
            "user.status": 1,
        }
    return {"group.name": "perm-group", "group.id": ids["group"]["group_id"]}


def _expected(received: Received, offered: dict[str, Any]) -> dict[str, Any]:
    """EVERY_PARAM rendered with ``offered``; event keys are taken from the body, checked apart."""
    body = received.json()
    values = {**offered, **{key: body[key] for key in EVENT_KEYS}, "actor.name": "admin"}
    return {name: values.get(name, template) for name, template in EVERY_PARAM.items()}


def _check_event_keys(service: Service, received: Received, action: str, before: datetime) -> None:
    """event.id names the stored event of ``action``; event.time is ISO 8601 and recent."""
    body = received.json()
    assert UUID.match(body["event.id"]), body["event.id"]
    assert body["event.action"] == action
    when = datetime.fromisoformat(body["event.time"])
    assert when.tzinfo is not None
    assert before - timedelta(seconds=1) <= when <= datetime.now(UTC)
    with service.app.session() as session:
        event = session.get(Event, body["event.id"])
        assert event is not None
        assert (event.action, event.actor) == (action, "admin")


@pytest.mark.parametrize("holder", ["user", "group"])
@pytest.mark.parametrize("target", ["service", "route"])
def test_permission_events_deliver_exact_parameters(
    start_service: ServiceFactory, receiver: Receiver, holder: str, target: str
) -> None:
    """Creating then deleting a permission delivers exactly SPEC §5's parameters, in order."""
    service = _start(start_service, receiver)
    ids = _setup_targets(service)
    key = "weather" if target == "service" else str(ids["route"]["resource_id"])
    kind = "services" if target == "service" else "resources"
    name = "perm-user" if holder == "user" else "perm-group"
    path = f"/{holder}s/{name}/{kind}/{key}/permissions"
    permission = "write-deny-match" if target == "route" else "read-allow-recursive"
    before = datetime.now(UTC)

    _post(service, path, {"permission": permission})
    deleted = service.admin.delete(f"{path}/{permission.split('-', maxsplit=1)[0]}")
    assert deleted.status_code == 200, deleted.text

    perm_name, access, scope = permission.split("-")
    offered = {
        **_holder_params(holder, ids),
        **_target_params(target, ids),
        "permission.name": perm_name,
        "permission.access": access,
        "permission.scope": scope,
        "permission": permission,
    }
    for verb in ("create", "delete"):
        action = f"{verb}_{holder}_permission"
        [got] = receiver.wait_for(1, f"/{action}")
        assert ordered(got.json()) == ordered(_expected(got, offered)), action
        _check_event_keys(service, got, action, before)
    other = "group" if holder == "user" else "user"
    assert receiver.on(f"/create_{other}_permission") == []
    assert receiver.on(f"/delete_{other}_permission") == []


def test_permission_ids_are_integers(start_service: ServiceFactory, receiver: Receiver) -> None:
    """Ids in permission events are JSON integers, not text, for users, groups and resources."""
    service = _start(start_service, receiver)
    ids = _setup_targets(service)
    route_id = ids["route"]["resource_id"]
    _post(service, f"/users/perm-user/resources/{route_id}/permissions", {"permission": "read"})
    _post(service, "/groups/perm-group/services/weather/permissions", {"permission": "write"})

    [user_event] = receiver.wait_for(1, "/create_user_permission")
    [group_event] = receiver.wait_for(1, "/create_group_permission")
    for key in ("user.id", "resource.id", "user.status"):
        assert type(user_event.json()[key]) is int, key
    for key in ("group.id", "resource.id"):
        assert type(group_event.json()[key]) is int, key
