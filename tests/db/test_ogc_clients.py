"""Real clients nobody here wrote read geogmina's OGC API: GDAL's OAPIF driver and OWSLib.

Both list every public collection and page through all features (small pages force several
requests) with the same count and geometries as the database; a protected collection is
refused without credentials and read with HTTP Basic.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import shapely
from owslib.ogcapi.features import Features
from owslib.util import Authentication

from gis_app.accounts.roles import Role
from layers.models import Building, LandscapeArea, LandUse, Parcel, ParkingZone
from tests.db.test_ogc import PUBLIC, populate

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


MODELS = {"parcels": Parcel, "buildings": Building, "land-uses": LandUse,
          "parking-zones": ParkingZone, "landscape-areas": LandscapeArea}


def db_geometries(collection: str) -> dict[int, shapely.Geometry]:
    """Current rows of a collection, geometries in CRS84 (lon, lat) as shapely objects."""
    model = MODELS[collection]
    rows = model.objects.filter(retired_at__isnull=True).values_list("pk", "geom")
    return {pk: shapely.from_wkt(g.transform(4326, clone=True).wkt) for pk, g in rows}


def same_geometry(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return shapely.hausdorff_distance(a, b) < 1e-6  # degrees: ≈ 10 cm at most, in practice 1 cm


@pytest.fixture
def data(make_municipality, make_parcel):
    return populate(make_municipality, make_parcel)


GDAL_ENV = {"GDAL_HTTP_TIMEOUT": "20", "CPL_DEBUG": "OFF", "GDAL_HTTP_MAX_RETRY": "0",
            "OGR_OAPIF_PAGE_SIZE": "7"}


def gdal(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **GDAL_ENV})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_gdal_oapif_lists_and_pages_every_public_collection(live_server, data):
    url = f"OAPIF:{live_server.url}/ogc/"
    listing = gdal("ogrinfo", "-ro", "-q", url)
    names = {line.split(":", 1)[1].split("(")[0].strip() for line in listing.splitlines()
             if ":" in line}
    assert names == PUBLIC
    # the pages really are followed: GDAL's own log shows each next link it fetched
    debug = subprocess.run(["ogrinfo", "-ro", "-al", "-q", url, "parcels", "-oo", "PAGE_SIZE=7"],
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, **GDAL_ENV, "CPL_DEBUG": "ON"})
    fetched = set(re.findall(r"items\?limit=7&offset=(\d+)", debug.stderr))
    assert {"7", "14", "21"} <= fetched, debug.stderr[-2000:]
    for collection in sorted(PUBLIC):
        out = gdal("ogr2ogr", "-f", "GeoJSON", "/vsistdout/", url, collection,
                   "-oo", "PAGE_SIZE=7", "-preserve_fid")
        features = json.loads(out)["features"]
        expected = db_geometries(collection)
        assert len(features) == len(expected), collection
        got = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in features}
        assert set(got) == set(expected), collection
        assert all(same_geometry(got[k], expected[k]) for k in expected), collection


def test_gdal_is_refused_a_protected_collection_without_credentials(live_server, data,
                                                                    make_user):
    url = f"OAPIF:{live_server.url}/ogc/collections/parcel-owners"
    result = subprocess.run(["ogrinfo", "-ro", "-so", url], capture_output=True, text=True,
                            timeout=60, env={**os.environ, **GDAL_ENV})
    assert result.returncode != 0 and "401" in result.stderr
    town = data[0]
    make_user("officer", town, (Role.PROPERTY_OFFICER,))
    out = gdal("ogr2ogr", "-f", "GeoJSON", "/vsistdout/", url, "--config", "GDAL_HTTP_AUTH",
               "BASIC", "--config", "GDAL_HTTP_USERPWD", "officer:pw-officer")
    features = json.loads(out)["features"]
    assert len(features) == Parcel.objects.filter(municipality=town).count()


def test_owslib_lists_and_pages_every_public_collection(live_server, data, make_user):
    api = Features(f"{live_server.url}/ogc/", timeout=20)
    assert {c["id"] for c in api.collections()["collections"]} == PUBLIC
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in \
        api.conformance()["conformsTo"]
    for collection in sorted(PUBLIC):
        expected = db_geometries(collection)
        got: dict[int, shapely.Geometry] = {}
        offset = 0
        while True:
            page = api.collection_items(collection, limit=4, offset=offset)
            for f in page["features"]:
                got[f["id"]] = shapely.geometry.shape(f["geometry"])
            assert page["numberMatched"] == len(expected)
            if not any(link["rel"] == "next" for link in page["links"]):
                break
            offset += 4
        assert set(got) == set(expected), collection
        assert all(same_geometry(got[k], expected[k]) for k in expected), collection

    with pytest.raises(RuntimeError, match="needs a login"):
        api.collection_items("parcel-owners")
    make_user("tax", data[0], (Role.TAX_OFFICER,))
    auth = Features(f"{live_server.url}/ogc/", timeout=20,
                    auth=Authentication(username="tax", password="pw-tax"))
    assert auth.collection_items("parcel-owners", limit=100)["numberMatched"] == 23


def test_modern_gdal_reads_epsg_2180_with_the_right_axis_order(live_server, data):
    """GDAL ≥ 3.7 speaks Part 2 (CRS): asked for EPSG:2180 it requests crs=…/2180, reads the
    [northing, easting] coordinates by the CRS's axis order and must land on the database's
    own coordinates. pyogrio's GDAL (3.12) runs in a child process: it must not share this
    process with rasterio's GDAL."""
    code = (
        "import json, pyogrio\n"
        f"df = pyogrio.read_dataframe('OAPIF:{live_server.url}/ogc/', layer='parcels',"
        " CRS='EPSG:2180', fid_as_index=True)\n"
        "print(json.dumps({'epsg': df.crs.to_epsg(),"
        " 'wkt': {int(i): g.wkt for i, g in df.geometry.items()}}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["epsg"] == 2180
    expected = dict(Parcel.objects.values_list("pk", "geom"))
    assert set(map(int, body["wkt"])) == set(expected)
    for pk, wkt in body["wkt"].items():
        got = shapely.from_wkt(wkt)
        assert shapely.hausdorff_distance(got, shapely.from_wkt(expected[int(pk)].wkt)) < 0.01
