"""The debug 500 page (GEOGMINA_DEBUG=1) shows settings and request data: never a secret."""

from __future__ import annotations

import sys

from django.conf import settings
from django.test import RequestFactory, override_settings
from django.views.debug import technical_500_response

from gis_app.settings import Env


def _fail() -> None:
    raise RuntimeError("boom")  # a frame whose local variables hold nothing secret


def _debug_page(request) -> str:
    try:
        _fail()
    except RuntimeError:
        with override_settings(DEBUG=True):
            response = technical_500_response(request, *sys.exc_info())
    assert response.status_code == 500
    return response.content.decode()


def test_the_debug_500_page_prints_no_key():
    assert len(settings.SECRET_KEY) > 20 and len(settings.GEOGMINA_PII_KEY) > 20
    page = _debug_page(RequestFactory().get(
        "/boom/",
        # runserver copies the process environment into request.META
        SECRET_KEY=settings.SECRET_KEY, GEOGMINA_PII_KEY=settings.GEOGMINA_PII_KEY,
        DATABASE_URL="postgis://geogmina:db-password-marker@db:5432/geogmina"))
    assert "Settings" in page and "RuntimeError" in page  # it is the full technical page
    assert settings.SECRET_KEY not in page
    assert settings.GEOGMINA_PII_KEY not in page
    assert "db-password-marker" not in page
    assert "GEOGMINA_PII_KEY" in page  # the setting is listed, its value hidden


def test_the_environment_object_hides_its_secrets(tmp_path):
    env = Env.from_environ({"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path),
                            "SECRET_KEY": "secret-marker-1234567890",
                            "GEOGMINA_PII_KEY": "pii-marker-1234567890",
                            "DATABASE_URL": "postgis://u:pw-marker@db.example:5432/town"})
    text = repr(env)
    assert "secret-marker" not in text and "pii-marker" not in text and "pw-marker" not in text
    # and it is no setting: Django takes upper-case module names only
    assert not any(isinstance(getattr(settings, name, None), Env) for name in dir(settings))
