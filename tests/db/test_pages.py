"""Foundation pages: the map page, the health check, the admin map widget, all offline."""

import pytest
from django.test import Client

from map_ui.offline import external_assets

pytestmark = pytest.mark.django_db


def test_map_page_loads_only_local_assets(make_parcel):
    make_parcel("1", 677_000, 211_000)
    resp = Client().get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert external_assets(html) == []
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "180501_1.0001.1" in html


def test_health_reports_postgis():
    resp = Client().get("/health/")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


def test_admin_map_widget_is_offline(admin_client, make_parcel):
    p = make_parcel("1", 677_000, 211_000)
    resp = admin_client.get(f"/admin/layers/parcel/{p.id}/change/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "vendor/ol/dist/ol.js" in html
    assert "cdn.jsdelivr" not in html and external_assets(html) == []


def test_admin_needs_staff(make_user):
    c = Client()
    c.force_login(make_user("planner"))
    assert c.get("/admin/").status_code == 302


def test_polish_is_the_default_and_english_available():
    pl = Client().get("/")
    assert 'lang="pl"' in pl.content.decode()
    en = Client(headers={"accept-language": "en"}).get("/")
    assert 'lang="en"' in en.content.decode()
