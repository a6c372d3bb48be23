"""The seed's module API (``magpie.api.webhooks`` names) works as thin entry points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rookery.api import webhooks as seed
from rookery.db.models import Resource, User
from rookery.errors import InvalidWebhookConfigError
from tests.conftest import ServiceFactory
from tests.support.receiver import Receiver
from tests.support.service import write_config


def test_seed_names_exist() -> None:
    """Every public name of the seed is exported with Magpie's values."""
    for name in (
        "WebhookAction",
        "WEBHOOK_KEYS_REQUIRED",
        "WEBHOOK_KEYS_OPTIONAL",
        "WEBHOOK_KEYS",
        "WEBHOOK_TEMPLATE_PARAMS",
        "WEBHOOK_HTTP_METHODS",
        "get_permission_update_params",
        "process_webhook_requests",
        "generate_callback_url",
        "replace_template",
        "send_webhook_request",
        "webhook_update_error_status",
        "setup_webhooks",
        "LOGGER",
        "WebhookActionNames",
    ):
        assert hasattr(seed, name), name
    assert seed.WEBHOOK_HTTP_METHODS == ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    assert seed.WebhookAction.CREATE_USER.value == "create_user"
    assert "user.name" in seed.WEBHOOK_TEMPLATE_PARAMS


def test_setup_webhooks_groups_by_action_with_every_key(tmp_path: Path) -> None:
    """setup_webhooks fills optional keys and groups the webhooks by action in settings."""
    path = write_config(
        tmp_path,
        [{"name": "a", "action": "create_user", "method": "post", "url": "http://127.0.0.1:1/x"}],
    )
    settings: dict[str, Any] = {}
    seed.setup_webhooks(str(path), settings)
    (item,) = settings["webhooks"]["create_user"]
    assert set(item) == set(seed.WEBHOOK_KEYS)
    assert item["method"] == "POST"
    assert settings["webhooks"]["delete_user"] == []


def test_setup_webhooks_is_all_or_nothing(tmp_path: Path) -> None:
    """One bad item raises and leaves the settings untouched."""
    path = write_config(
        tmp_path,
        [
            {"name": "ok", "action": "create_user", "method": "POST", "url": "http://h/x"},
            {"name": "bad", "action": "create_user", "method": "FETCH", "url": "http://h/x"},
        ],
    )
    settings: dict[str, Any] = {"keep": 1}
    with pytest.raises(InvalidWebhookConfigError, match="method"):
        seed.setup_webhooks(str(path), settings)
    assert settings == {"keep": 1}


def test_process_and_send_and_status(start_service: ServiceFactory, receiver: Receiver) -> None:
    """process_webhook_requests queues durably; send_webhook_request sends inline and its
    failure with update_user_status_on_error marks the user WebhookError."""
    service = start_service(
        [
            {
                "name": "p",
                "action": "create_user_permission",
                "method": "POST",
                "url": receiver.url("/p"),
                "payload": {
                    "u": "{{user.name}}",
                    "p": "{{permission}}",
                    "s": "{{service.public_url}}",
                },
            }
        ]
    )
    admin = service.admin
    assert (
        admin.post(
            "/users",
            json={"user_name": "zoe", "email": "z@example.org", "password": "zoe-long-password"},
        ).status_code
        == 201
    )
    svc = admin.post(
        "/services",
        json={
            "service_name": "api9",
            "service_type": "api",
            "service_url": "http://api.example.org",
        },
    ).json()
    with service.app.session() as session:
        user = session.query(User).filter_by(user_name="zoe").one()
        resource = session.get(Resource, svc["service"]["resource_id"])
        assert resource is not None
        params = seed.get_permission_update_params(user, resource, "read-match", session)
        callback = seed.generate_callback_url("create_user", session, user=user)
        session.commit()
    assert params["permission"] == "read-allow-match"
    assert params["user.status"] == 1
    assert callback.startswith(f"{service.settings.public_url}/tmp/")
    seed.process_webhook_requests("create_user_permission", params)
    (got,) = receiver.wait_for(1, "/p")
    assert got.json() == {"u": "zoe", "p": "read-allow-match", "s": params["service.public_url"]}

    receiver.script("/fail", default=500)
    seed.send_webhook_request(
        {
            "name": "x",
            "action": "create_user",
            "method": "POST",
            "url": receiver.url("/fail"),
            "payload": {"u": "{{user.name}}"},
        },
        {"user.name": "zoe"},
        update_user_status_on_error=True,
    )
    assert receiver.on("/fail")[0].json() == {"u": "zoe"}
    assert admin.get("/users/zoe").json()["user"]["status"] == "WebhookError"
