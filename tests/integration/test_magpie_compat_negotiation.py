"""Magpie 5.1.0 parity: content negotiation by ``Accept`` or ``?format=`` on every API route."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize(
    ("query", "media", "body_type"),
    [
        ("json", "application/json", "application/json"),
        ("xml", "text/xml", "text/xml"),
        ("html", "text/html", "text/html"),
        ("text", "text/plain", "text/plain"),
        ("plain", "text/plain", "text/plain"),
    ],
)
def test_format_query_selects_the_response_type(
    service: Service, query: str, media: str, body_type: str
) -> None:
    """``?format=`` renders the same envelope as JSON, XML, an HTML page or plain text."""
    response = service.client().get("/version", params={"format": query})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    if query == "xml":
        root = _xml(response.text)
        assert root.tag == "response"
        assert root.findtext("type") == body_type
        assert root.findtext("version") == "5.1.0"
        assert root.find("code") is not None
        assert root.find("code").attrib["type"] == "int"  # type: ignore[union-attr]
    elif query == "html":
        assert "<title>200 OK</title>" in response.text
        assert f"&quot;type&quot;: &quot;{body_type}&quot;" not in response.text
        assert f'"type": "{body_type}"' in response.text
        assert '"version": "5.1.0"' in response.text
    else:
        body = json.loads(response.text)
        assert body["type"] == body_type
        assert body["version"] == "5.1.0"


@pytest.mark.parametrize(
    ("accept", "media", "body_type"),
    [
        ("application/xml", "text/xml", "application/xml"),
        ("text/xml; charset=utf-8", "text/xml", "text/xml"),
        ("text/plain, application/json", "text/plain", "text/plain"),
        ("application/json;q=0.9, text/html", "application/json", "application/json"),
        ("*/*", "application/json", "application/json"),
        ("", "application/json", "application/json"),
    ],
)
def test_accept_header_selects_the_response_type(
    service: Service, accept: str, media: str, body_type: str
) -> None:
    """The first type of ``Accept`` decides; ``*/*`` or no preference is JSON."""
    response = service.client().get("/version", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    if media == "text/xml":
        assert _xml(response.text).findtext("type") == body_type
    else:
        assert json.loads(response.text)["type"] == body_type


def test_format_query_wins_over_accept_and_unknown_format_is_ignored(service: Service) -> None:
    """A known ``format`` overrides ``Accept``; an unknown one falls back to ``Accept``."""
    client = service.client()
    by_query = client.get("/version?format=json", headers={"Accept": "text/xml"})
    assert by_query.headers["content-type"].startswith("application/json")
    unknown = client.get("/version?format=yaml", headers={"Accept": "text/plain"})
    assert unknown.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("accept", ["image/png", "application/yaml", "text/*"])
def test_unsupported_accept_is_406_in_json(service: Service, accept: str) -> None:
    """A type Rookery cannot produce is 406, in JSON, naming the value and the supported ones."""
    response = service.admin.get("/users", headers={"Accept": accept})
    body = assert_error(response, 406, "Accept Header or Format Query")
    assert body["param"]["value"] == accept
    assert "application/json" in body["param"]["compare"]
    assert "text/xml" in body["param"]["compare"]


def test_browsers_get_json_from_the_api_and_the_console_from_the_landing(service: Service) -> None:
    """A browser's display ``Accept`` yields JSON on API routes; ``/`` still sends it to /ui/."""
    client = service.client()
    headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "User-Agent": BROWSER}
    api = client.get("/version", headers=headers)
    assert api.headers["content-type"].startswith("application/json")
    assert api.json()["type"] == "application/json"
    landing = client.get("/", headers=headers)
    assert landing.status_code == 303
    assert landing.headers["location"] == "/ui/"
    asked = client.get("/version?format=html", headers=headers)
    assert asked.headers["content-type"].startswith("text/html")


def test_console_and_documentation_are_not_negotiated(service: Service) -> None:
    """``/ui``, ``/api`` and the API documents keep their own formats, whatever ``Accept`` says."""
    client = service.client()
    page = client.get("/ui/signin", headers={"Accept": "image/png"})
    assert page.status_code != 406
    assert page.headers["content-type"].startswith("text/html")
    docs = client.get("/api", headers={"Accept": "image/png"})
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    document = client.get("/json", headers={"Accept": "text/xml"})
    assert document.headers["content-type"].startswith("application/json")
    assert document.json()["swagger"] == "2.0"


@pytest.mark.parametrize("fmt", ["xml", "html", "text"])
def test_errors_are_rendered_in_the_requested_format(service: Service, fmt: str) -> None:
    """An error keeps its status and carries code, detail, path, url and method in any format."""
    response = service.admin.get(f"/users/no-such-user?format={fmt}")
    assert response.status_code == 404
    for key in ("404", "detail", "path", "url", "method", "no-such-user"):
        assert key in response.text
    if fmt == "xml":
        root = _xml(response.text)
        assert root.findtext("code") == "404"
        assert root.findtext("method") == "GET"
        assert root.find("param/name") is not None


def test_values_cannot_inject_markup(service: Service) -> None:
    """Text holding markup comes back intact in XML and escaped in HTML."""
    description = "<script>alert('x')</script> & \x01 done"
    created = service.admin.post(
        "/groups", json={"group_name": "markup", "description": description}
    )
    assert created.status_code == 201
    xml = service.admin.get("/groups/markup?format=xml")
    assert _xml(xml.text).findtext("group/description") == description.replace("\x01", "\ufffd")
    page = service.admin.get("/groups/markup?format=html")
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_resource_trees_render_as_xml(service: Service) -> None:
    """Trees keyed by resource id become valid XML (ids as ``n<id>`` elements)."""
    admin = service.admin
    tree = add_service(admin, "tree")
    child_id = add_resource(admin, tree["resource_id"], "r")
    response = admin.get("/services/tree/resources?format=xml")
    assert response.status_code == 200
    root = _xml(response.text)
    assert root.find(f".//n{child_id}") is not None
