"""/health/ tells monitoring whether the database answers, never where it lives (issue 14)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

BROKEN_HOST = "/nonexistent/geogmina-socket-marker"


@pytest.fixture
def database_unreachable(django_db_blocker):
    """The default connection pointed at a socket folder that does not exist: a real failure."""
    saved = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict["HOST"] = BROKEN_HOST
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


def test_health_shows_no_path_to_the_public(database_unreachable):
    response = Client().get("/health/")
    assert response.status_code == 503
    body = response.content.decode()
    assert json.loads(body)["status"] == "error"
    assert json.loads(body)["database"] == "unavailable"
    assert "socket-marker" not in body and "/nonexistent" not in body and ".s.PGSQL" not in body
