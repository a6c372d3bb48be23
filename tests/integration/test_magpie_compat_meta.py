"""Magpie 5.1.0 parity: ``/``, ``/version``, ``/json`` and the disabled ``/network`` routes."""

from __future__ import annotations

import json

import pytest

from rookery import __version__
from tests.support.envelope import assert_error
from tests.support.service import Service


def test_version_names_the_magpie_api_and_rookery(service: Service) -> None:
    """Anyone gets version 5.1.0 (Magpie's API), Rookery's own version and the schema revision."""
    response = service.client().get("/version")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "5.1.0"
    assert body["rookery_version"] == __version__
    assert body["db_version"]
    assert body["detail"] == "Get version successful."


def test_landing_page_points_to_the_documentation(service: Service) -> None:
    """``GET /`` answers Magpie's landing JSON with the API's title and documentation URL."""
    body = service.client().get("/").json()
    assert body["code"] == 200
    assert body["title"] == "Magpie REST API"
    assert body["name"] == "rookery"
    assert body["documentation"] == f"{service.settings.public_url}/api"
    assert service.client().get(body["documentation"].removeprefix(service.base)).status_code == 200


def test_json_is_the_api_document_without_network_routes(service: Service) -> None:
    """``GET /json`` is Magpie's Swagger 2.0 form of the OpenAPI document (``info.version`` the
    Magpie API version): the same paths, the parity routes, no network route."""
    document = service.client().get("/json").json()
    assert document["swagger"] == "2.0"
    assert document["info"]["version"] == service.client().get("/version").json()["version"]
    for key in ("paths", "host", "schemes", "tags", "basePath", "securityDefinitions"):
        assert key in document, key
    paths = document["paths"]
    assert "/services/{service_name}/resources/{resource_id}" in paths
    assert "/services/types/{service_type}/resources" in paths
    assert not [path for path in paths if path.startswith("/network")]
    native = service.client().get("/openapi.json").json()
    assert native["openapi"].startswith("3.")
    assert set(paths) == set(native["paths"])
    assert "#/components/" not in json.dumps(document)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/network/nodes"), ("POST", "/network/token"), ("DELETE", "/network/nodes/x/y")],
)
def test_network_mode_is_not_enabled(service: Service, method: str, path: str) -> None:
    """Every ``/network`` route answers 501 with Magpie's error envelope, even to anonymous."""
    for client in (service.client(), service.admin):
        body = assert_error(client.request(method, path), 501)
        assert body["detail"] == "Network mode is not enabled."
