"""403, 404 and 500 in the site's layout for people, JSON for machine clients (issue #18:
a bare "403 Forbidden" before)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from gis_app.accounts.access import access
from gis_app.accounts.roles import Role
from gis_app.urls import urlpatterns as site_patterns

pytestmark = pytest.mark.django_db


@access(public=True, description="test only: fails")
def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [*site_patterns, path("boom/", _boom), path("api/boom/", _boom)]
handler403 = "gis_app.error_views.permission_denied"
handler404 = "gis_app.error_views.page_not_found"
handler500 = "gis_app.error_views.server_error"


def _layout(html: str) -> None:
    assert 'class="topbar"' in html and 'class="skip-link"' in html, "the site's header"
    assert "/static/vendor/pico/" in html, "the design system"


def test_403_is_a_page_in_the_layout_and_json_for_api_clients(make_municipality, make_user):
    town = make_municipality()
    client = Client(headers={"accept-language": "pl"})
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    page = client.get("/taxes/")
    assert page.status_code == 403
    html = page.content.decode()
    _layout(html)
    assert "Brak dostępu" in html and "<h1>" in html and "planner" in html
    api = client.get("/taxes/", headers={"accept": "application/json"})
    assert api.status_code == 403 and api["Content-Type"] == "application/json"
    assert api.json()["status"] == 403


def test_404_page_and_json():
    client = Client(headers={"accept-language": "pl"})
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    _layout(page.content.decode())
    assert "Pod tym adresem nie ma strony." in page.content.decode()
    api = client.get("/api/no-such-thing/")
    assert api.status_code == 404 and api.json()["status"] == 404
    ogc = client.get("/ogc/no-such-thing")  # the OGC API keeps its own exception document
    assert ogc.status_code == 404 and "code" in ogc.json()


@pytest.mark.urls("tests.db.test_error_pages")
def test_500_page_and_json():
    client = Client(raise_request_exception=False, headers={"accept-language": "pl"})
    page = client.get("/boom/")
    assert page.status_code == 500
    html = page.content.decode()
    assert "Błąd serwera" in html and 'class="topbar"' in html and "boom" not in html
    api = client.get("/api/boom/")
    assert api.status_code == 500 and api.json()["status"] == 500
