"""The worker's own PostgreSQL connections: the engine's URL, as psycopg takes it, named."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import make_url

from rookery.db.engine import driver_conninfo


@pytest.mark.parametrize(
    ("url", "expected_name"),
    [
        ("postgresql+psycopg://ada:s3cret@db.internal:5433/rookery", "rookery worker turns"),
        (
            "postgresql+psycopg://ada:s3cret@db.internal:5433/rookery?application_name=ops",
            "ops",
        ),
    ],
)
def test_the_url_becomes_a_named_conninfo(url: str, expected_name: str) -> None:
    parts = conninfo_to_dict(driver_conninfo(make_url(url), "rookery worker turns"))
    assert parts == {
        "user": "ada",
        "password": "s3cret",
        "host": "db.internal",
        "port": "5433",
        "dbname": "rookery",
        "application_name": expected_name,
    }
