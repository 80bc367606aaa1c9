"""What GIS clients still hit (issue 17), driven by the clients themselves where they exist.

GDAL (ogrinfo: the OAPIF driver and /vsicurl/) and OWSLib against a live server: a CRS84 bbox
reaching the poles and the antimeridian, exports read with HTTP Basic, JSON 404s. The rest with
Django's client: a valid OpenAPI document (openapi-spec-validator), gzip for tiles and JSON
only, CORS for /tiles/ and /ogc/ from the configured origins, TileJSON for every tile layer.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess

import mapbox_vector_tile
import pytest
from django.test import Client
from openapi_spec_validator import validate
from owslib.ogcapi.features import Features
from owslib.util import Authentication

from gis_app.accounts.roles import Role
from layers.models import Parcel
from layers.tiles.registry import tile_layers
from tests.db.test_ogc import X0, Y0, populate
from tests.mvt import tile_of

GDAL_ENV = {"GDAL_HTTP_TIMEOUT": "20", "CPL_DEBUG": "OFF", "GDAL_HTTP_MAX_RETRY": "0"}
WORLD = "-180,-90,180,90"


@pytest.fixture
def data(make_municipality, make_parcel):
    return populate(make_municipality, make_parcel)


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **GDAL_ENV, **env})


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- CRS84 bbox at the edges of the world -----------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("bbox", [WORLD, "-180,-90,0,180,90,100", "0,0,180,90", "14,49,180,90",
                                  "-180,-90,22,51"])
def test_a_crs84_bbox_touching_the_poles_or_the_antimeridian_finds_the_features(data, bbox):
    response = Client().get("/ogc/collections/parcels/items", {"bbox": bbox, "limit": 100})
    assert response.status_code == 200, response.content
    assert response.json()["numberMatched"] == Parcel.objects.count() == 25
    # far away from Poland: nothing, and no error
    away = Client().get("/ogc/collections/parcels/items", {"bbox": "-180,-90,-170,-80"})
    assert away.status_code == 200 and away.json()["numberMatched"] == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gdal_and_owslib_filter_by_the_whole_world(live_server, data):
    url = f"OAPIF:{live_server.url}/ogc/"
    out = run("ogrinfo", "-ro", "-so", "-spat", "-180", "-90", "180", "90", url, "parcels",
              "-oo", "PAGE_SIZE=10")
    assert out.returncode == 0, out.stderr
    assert "Feature Count: 25" in out.stdout
    api = Features(f"{live_server.url}/ogc/", timeout=20)
    page = api.collection_items("parcels", bbox=[-180, -90, 180, 90], limit=100)
    assert page["numberMatched"] == 25 and len(page["features"]) == 25


# --- HTTP Basic on every machine-readable URL -------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ogrinfo_reads_an_export_over_vsicurl_with_http_basic(live_server, data, make_user):
    make_user("planner", data[0], (Role.PLANNER,))
    url = f"/vsicurl/{live_server.url}/ogc/collections/parcels/export.gpkg"
    refused = run("ogrinfo", "-ro", "-so", "-al", url)
    assert refused.returncode != 0
    out = run("ogrinfo", "-ro", "-so", "-al", url, GDAL_HTTP_AUTH="BASIC",
              GDAL_HTTP_USERPWD="planner:pw-planner")
    assert out.returncode == 0, out.stderr
    assert "Feature Count: 23" in out.stdout and "cadastral_id:" in out.stdout
    search = run("ogrinfo", "-ro", "-so", "-al",
                 f"/vsicurl/{live_server.url}/ogc/exports/parcels.gpkg?q=0001%201",
                 GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD="planner:pw-planner")
    assert search.returncode == 0, search.stderr
    assert "Feature Count: 1" in search.stdout


@pytest.mark.django_db
def test_http_basic_is_accepted_by_exports_tiles_and_the_search_api(data, make_user):
    from tests.db.test_map_data import KW

    town = data[0]
    make_user("officer", town, (Role.PROPERTY_OFFICER,))
    Parcel.objects.filter(pk=data[2][0].pk).update(kw_numbers=[KW])
    good, bad = basic("officer", "pw-officer"), basic("officer", "wrong")
    c = Client()
    export = c.get("/ogc/exports/parcels.csv", {"q": "0001 1"}, HTTP_AUTHORIZATION=good)
    assert export.status_code == 200 and b"180501_1.0001.1" in export.content
    found = c.get("/api/search", {"q": KW}, HTTP_AUTHORIZATION=good).json()
    assert [r["cadastral_id"] for r in found["results"]] == ["180501_1.0001.1"]
    assert c.get("/api/search", {"q": KW}).json()["results"] == []  # the public: no KW search
    z, x, y = tile_of(X0 + 10, Y0 + 10, 16)
    tile = c.get(f"/tiles/parcels/{z}/{x}/{y}.pbf", HTTP_AUTHORIZATION=good)
    props = [f["properties"] for f in
             mapbox_vector_tile.decode(tile.content)["parcels"]["features"]]
    assert any("legal_area_m2" in p for p in props)  # the detail attributes: authenticated
    for url in ("/ogc/exports/parcels.csv?q=1", "/api/search?q=1",
                f"/tiles/parcels/{z}/{x}/{y}.pbf", "/ogc/collections"):
        refused = c.get(url, HTTP_AUTHORIZATION=bad)
        assert refused.status_code == 401, url
        assert refused["WWW-Authenticate"].startswith("Basic"), url
        assert "wrong user name or password" in refused.json()["description"], url
    # HTML pages are not machine-readable URLs: a Basic header does not log anyone in there
    assert c.get("/taxes/", HTTP_AUTHORIZATION=good).status_code == 302


# --- OpenAPI, JSON 404 --------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_openapi_document_is_valid(data, make_user):
    c = Client()
    doc = c.get("/ogc/api").json()
    validate(doc)
    c.force_login(make_user("tax", data[0], (Role.TAX_OFFICER,)))
    doc = c.get("/ogc/api").json()
    assert "/collections/parcel-owners/items/{featureId}" in doc["paths"]
    validate(doc)
    [param] = [p for p in doc["paths"]["/collections/parcels/items/{featureId}"]["get"]
               ["parameters"] if p.get("in") == "path"]
    assert param["name"] == "featureId" and "style" not in param


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/ogc/nope", "/ogc/collections/nope", "/ogc/collections/nope/items",
    "/ogc/collections/parcels/items/abc", "/ogc/collections/",
    "/ogc/collections/parcels/items/999999999"])
def test_json_404_under_ogc(data, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "NotFound" and body["description"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_owslib_gets_the_ogc_404_message(live_server, data):
    api = Features(f"{live_server.url}/ogc/", timeout=20)
    with pytest.raises(RuntimeError, match="no collection 'nope'"):
        api.collection_items("nope")
    auth = Features(f"{live_server.url}/ogc/", timeout=20,
                    auth=Authentication(username="nobody", password="x"))
    with pytest.raises(RuntimeError, match="wrong user name or password"):
        auth.collections()


# --- compression, CORS --------------------------------------------------------------------------

@pytest.mark.django_db
def test_tiles_and_json_are_gzipped_and_pages_are_not(data, make_parcel):
    for i in range(300):  # enough features for a page worth compressing
        make_parcel(f"g{i}", X0 + (i % 20) * 12, Y0 + 400 + (i // 20) * 12, size=10,
                    local_id=f"g{i}")
    c = Client()
    z, x, y = tile_of(X0 + 100, Y0 + 450, 15)
    plain = c.get(f"/tiles/parcels/{z}/{x}/{y}.pbf")
    packed = c.get(f"/tiles/parcels/{z}/{x}/{y}.pbf", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < 0.7 * len(plain.content), (len(packed.content),
                                                              len(plain.content))
    page = c.get("/ogc/collections/parcels/items", {"limit": 1000})
    page_gz = c.get("/ogc/collections/parcels/items", {"limit": 1000},
                    HTTP_ACCEPT_ENCODING="gzip")
    assert page_gz["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(page_gz.content))["numberReturned"] == 325
    assert len(page_gz.content) < 0.3 * len(page.content), (len(page_gz.content),
                                                             len(page.content))
    search = c.get("/api/search", {"q": "0001 g1"}, HTTP_ACCEPT_ENCODING="gzip")
    assert search["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(search.content))["count"] == 1
    # pages with a CSRF token stay uncompressed (BREACH)
    login = c.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert login.status_code == 200 and "Content-Encoding" not in login


@pytest.mark.django_db
def test_cors_for_tiles_and_ogc_from_configured_origins(data, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://maps.example.pl"]
    c = Client()
    z, x, y = tile_of(X0 + 10, Y0 + 10, 16)
    for url in (f"/tiles/parcels/{z}/{x}/{y}.pbf", "/ogc/collections", "/tiles/parcels.json"):
        ok = c.get(url, HTTP_ORIGIN="https://maps.example.pl")
        assert ok["Access-Control-Allow-Origin"] == "https://maps.example.pl", url
        other = c.get(url, HTTP_ORIGIN="https://evil.example.com")
        assert "Access-Control-Allow-Origin" not in other, url
    preflight = c.options("/ogc/collections/parcels/items", HTTP_ORIGIN="https://maps.example.pl",
                          HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    # not the rest of the site
    page = c.get("/api/search?q=1", HTTP_ORIGIN="https://maps.example.pl")
    assert "Access-Control-Allow-Origin" not in page


# --- TileJSON -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_tilejson_for_every_tile_layer(data, make_user):
    c = Client()
    c.force_login(make_user("all_roles", data[0], tuple(Role.values)))
    index = c.get("/tiles/index.json").json()["layers"]
    names = {layer.name for layer in tile_layers()}
    assert {item["id"] for item in index} <= names and "parcels" in {i["id"] for i in index}
    for item in index:
        doc = c.get(item["tilejson"].split("testserver", 1)[1]).json()
        assert doc["tilejson"] == "3.0.0" and doc["vector_layers"][0]["id"] == item["id"]
        assert doc["minzoom"] == item["minzoom"] and doc["maxzoom"] == item["maxzoom"]
        west, south, east, north = doc["bounds"]
        assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90
        assert doc["tiles"][0].endswith(f"/tiles/{item['id']}/{{z}}/{{x}}/{{y}}.pbf")
    parcels = c.get("/tiles/parcels.json").json()
    west, south, east, north = parcels["bounds"]
    assert 21.0 < west < east < 22.0 and 49.0 < south < north < 50.5  # Jasło
    assert {"cadastral_id", "number", "legal_area_m2"} <= set(
        parcels["vector_layers"][0]["fields"])
    public = Client().get("/tiles/parcels.json").json()["vector_layers"][0]["fields"]
    assert "cadastral_id" in public and "legal_area_m2" not in public  # what the public gets
    z = parcels["minzoom"]
    x, y = tile_of(X0 + 10, Y0 + 10, 16)[1:]
    template = parcels["tiles"][0].split("testserver", 1)[1]
    assert Client().get(template.format(z=16, x=x, y=y)).status_code == 200
    assert z == 14
    assert Client().get("/tiles/nope.json").status_code == 404
