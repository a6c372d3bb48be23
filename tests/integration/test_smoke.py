"""Smoke: the service starts on each database and answers its public route."""

from rookery.db.schema import head_revision
from tests.support.service import Service


def test_version_is_public(service: Service) -> None:
    """GET /version answers without a session, with the schema revision."""
    response = service.client().get("/version")
    assert response.status_code == 200
    assert response.json()["db_version"] == head_revision()
