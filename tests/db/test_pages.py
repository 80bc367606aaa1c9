"""Foundation pages: the map page, the health check, the admin map widget, all offline."""

import re

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
    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in html
    assert "/static/vendor/proj4/proj4.js" in html
    assert "/tiles/parcels/{tz}/{x}/{y}.pbf" in html  # tz: 512-pixel tiles, one zoom out


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
    html = pl.content.decode()
    assert 'lang="pl"' in html
    assert "Szukaj" in html and "Kliknij działkę na mapie" in html
    en = Client(headers={"accept-language": "en"}).get("/")
    assert 'lang="en"' in en.content.decode()
    assert "Click a plot on the map" in en.content.decode()


def test_the_online_base_map_is_never_the_default():
    html = Client().get("/").content.decode()
    osm = re.search(r"var (tile_layer_\w+) = L\.tileLayer\(\s*\"https://tile\.openstreetmap", html)
    assert osm, "the OpenStreetMap base layer is offered"
    assert f"{osm.group(1)}.addTo(" not in html


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    (None, {"/", "/search/", "/leases/offers/", "/parking/"},
     {"/taxes/", "/payments/", "/leases/", "/audit/", "/landscape/check/", "/imports/"}),
    ("planner", {"/leases/", "/housing/", "/landscape/"},
     {"/taxes/", "/payments/", "/audit/", "/imports/"}),
    ("tax_officer", {"/taxes/", "/payments/", "/leases/"},
     {"/housing/", "/audit/", "/landscape/check/", "/imports/"}),
    ("landscape_inspector", {"/landscape/check/", "/landscape/"},
     {"/taxes/", "/leases/", "/imports/"}),
    ("administrator", {"/audit/", "/leases/", "/imports/"}, {"/taxes/", "/landscape/check/"}),
])
def test_main_menu_offers_what_the_role_may_open(make_municipality, make_user, role, shown,
                                                 hidden):
    import re

    c = Client()
    if role:
        c.force_login(make_user(f"menu-{role}", make_municipality(), (role,)))
    html = c.get("/").content.decode()
    menu = re.search(r'<nav class="main-menu".*?</nav>', html, re.S).group(0)
    links = set(re.findall(r'href="([^"]+)"', menu))
    assert shown <= links and not (hidden & links)


@pytest.mark.parametrize("model", ["lease", "usufruct", "propertyoverride", "investmentoffer"])
def test_admin_never_offers_the_optimistic_lock_for_typing(admin_client, model):
    # the version is bumped by every save (pages and admin alike), never typed in
    resp = admin_client.get(f"/admin/leases/{model}/add/")
    assert resp.status_code == 200
    assert 'name="version"' not in resp.content.decode()
