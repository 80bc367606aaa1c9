"""OGC API – Features through Django's test client: documents, paging, bbox, CRS, access."""

from __future__ import annotations

import base64
import json

import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, Point

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from layers.models import (
    Building,
    LandscapeArea,
    LandUse,
    Parcel,
    ParkingZone,
    RegistrationUnit,
    Share,
    Subject,
)
from tests.conftest import square

pytestmark = pytest.mark.django_db


X0, Y0 = 677_400.0, 211_000.0  # Jasło, EPSG:2180


def populate(make_municipality, make_parcel, parcels: int = 23):
    """Town A gets ``parcels`` parcels (with owners on the first), a building, land uses, a
    zone and an area; town B gets 2 parcels."""
    town = make_municipality()
    other = make_municipality("120101_1", "Elsewhere")
    made = [make_parcel(str(i + 1), X0 + (i % 5) * 30, Y0 + (i // 5) * 30, size=25,
                        legal_area_m2=600 + i) for i in range(parcels)]
    for i in range(2):
        make_parcel(f"b{i}", X0 + 5000 + i * 30, Y0, size=25, municipality=other,
                    local_id=f"other-{i}")
    unit = RegistrationUnit.objects.create(municipality=town, unit_id="G1", kind="G", group=1,
                                           source_namespace="test", local_id="G1")
    owner = Subject.objects.create(municipality=town, kind="person", name="Jan Kowalski",
                                   source_namespace="test", local_id="S1")
    Share.objects.create(municipality=town, kind="ownership", numerator=1, denominator=1,
                         subject=owner, registration_unit=unit, source_namespace="test",
                         local_id="U1")
    made[0].registration_unit = unit
    made[0].save(update_fields=["registration_unit"])
    Building.objects.create(municipality=town, building_id="B.1", kind="m", storeys_above=2,
                            built_up_area_m2=100, geom=square(X0 + 5, Y0 + 5, 10),
                            source_namespace="test", local_id="B1")
    for i, ofu in enumerate(["R", "Ls", "B"]):
        LandUse.objects.create(municipality=town, kind="use", ofu=ofu, ozk="IIIa" if ofu == "R"
                               else "", geom=square(X0 + i * 50, Y0 - 100, 50),
                               source_namespace="test", local_id=f"L{i}")
    ParkingZone.objects.create(municipality=town, code="A", name="Centrum",
                               geom=square(X0, Y0, 200), source_namespace="test",
                               local_id="Z1")
    LandscapeArea.objects.create(municipality=town, kind="protected_landscape", code="OChK",
                                 name="Obszar", geom=square(X0 - 100, Y0 - 100, 400),
                                 source_namespace="test", local_id="A1")
    return town, other, made


PUBLIC = {"parcels", "buildings", "land-uses", "parking-zones", "landscape-areas"}


@pytest.fixture
def data(make_municipality, make_parcel):
    return populate(make_municipality, make_parcel)


def test_landing_conformance_and_api(client, data):
    landing = client.get("/ogc/")
    assert landing["Content-Type"] == "application/json"
    rels = {link["rel"]: link["href"] for link in landing.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["data"].endswith("/ogc/collections")
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    api = client.get("/ogc/api")
    assert api["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/collections/parcels/items" in api.json()["paths"]
    assert "/collections/parcel-owners/items" not in api.json()["paths"]


def test_public_sees_public_collections_only(client, data):
    body = client.get("/ogc/collections").json()
    ids = {c["id"] for c in body["collections"]}
    assert ids == PUBLIC
    parcels = next(c for c in body["collections"] if c["id"] == "parcels")
    assert "http://www.opengis.net/def/crs/EPSG/0/2178" in parcels["crs"]
    west, south, east, north = parcels["extent"]["spatial"]["bbox"][0]
    assert 21 < west < east < 22 and 49 < south < north < 50


def test_paging_walks_every_feature_once(client, data):
    seen, url, pages = [], "/ogc/collections/parcels/items?limit=10", 0
    while url:
        response = client.get(url)
        assert response["Content-Type"] == "application/geo+json"
        body = response.json()
        assert body["numberMatched"] == Parcel.objects.count() == 25
        assert body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else None
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(Parcel.objects.values_list("pk", flat=True))
    feature = client.get("/ogc/collections/parcels/items?limit=1").json()["features"][0]
    assert set(feature["properties"]) == {"cadastral_id", "number", "area_m2"}


def test_geometries_match_the_database_in_each_crs(client, data):
    parcel = Parcel.objects.order_by("pk").first()
    crs84 = client.get(f"/ogc/collections/parcels/items/{parcel.pk}").json()
    g = GEOSGeometry(json.dumps(crs84["geometry"]), srid=4326)
    g.transform(2180)
    assert shapely.hausdorff_distance(shapely.from_wkt(g.wkt),
                                      shapely.from_wkt(parcel.geom.wkt)) < 0.01
    r = client.get(f"/ogc/collections/parcels/items/{parcel.pk}"
                   "?crs=http://www.opengis.net/def/crs/EPSG/0/2180")
    assert r["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/2180>"
    northing, easting = r.json()["geometry"]["coordinates"][0][0][0]
    assert (easting, northing) == pytest.approx(parcel.geom.coords[0][0][0], abs=0.01)
    # PL-2000 zone 7 (2178): also northing first, easting with the 7 500 000 false easting
    n, e = client.get(f"/ogc/collections/parcels/items/{parcel.pk}?crs=EPSG:2178").json()[
        "geometry"]["coordinates"][0][0][0]
    expected = Point(*parcel.geom.coords[0][0][0], srid=2180).transform(2178, clone=True)
    assert (e, n) == pytest.approx((expected.x, expected.y), abs=0.01)
    assert 7_400_000 < e < 7_600_000


def test_bbox_in_crs84_and_2180(client, data):
    inside = Parcel.objects.get(number="1")
    lon_lat = inside.geom.point_on_surface.transform(4326, clone=True)
    bbox = f"{lon_lat.x - 1e-5},{lon_lat.y - 1e-5},{lon_lat.x + 1e-5},{lon_lat.y + 1e-5}"
    body = client.get(f"/ogc/collections/parcels/items?bbox={bbox}").json()
    assert [f["id"] for f in body["features"]] == [inside.pk]
    # in EPSG:2180 the bbox is northing, easting order
    x, y = inside.geom.point_on_surface.coords
    bbox2180 = f"{y - 1},{x - 1},{y + 1},{x + 1}"
    body = client.get("/ogc/collections/parcels/items?bbox=" + bbox2180
                      + "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/2180").json()
    assert [f["id"] for f in body["features"]] == [inside.pk]


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "offset=-1", "bbox=1,2,3",
                                   "bbox=a,b,c,d", "crs=EPSG:3857", "bbox=10,10,0,0",
                                   "f=html", "color=red", "bbox-crs=EPSG:9999&bbox=1,1,2,2"])
def test_bad_parameters_are_400(client, data, query):
    response = client.get(f"/ogc/collections/parcels/items?{query}")
    assert response.status_code == 400 and response.json()["description"]


def test_unknown_collection_and_item_are_404(client, data):
    assert client.get("/ogc/collections/nope").status_code == 404
    assert client.get("/ogc/collections/nope/items").status_code == 404
    assert client.get("/ogc/collections/parcels/items/999999999").status_code == 404
    assert client.get("/ogc/collections/parcels/items/abc").status_code == 404


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_protected_collection_rules(client, data, make_user):
    town, other, _ = data
    url = "/ogc/collections/parcel-owners/items"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and "Basic" in anonymous["WWW-Authenticate"]
    assert client.get(url, **_basic("nobody", "wrong")).status_code == 401
    make_user("planner", town, (Role.PLANNER,))
    assert client.get(url, **_basic("planner", "pw-planner")).status_code == 403
    make_user("stranger", other, (Role.TAX_OFFICER,))
    body = client.get(url, **_basic("stranger", "pw-stranger")).json()
    assert body["numberMatched"] == 2  # only town B's parcels
    assert all(f["properties"]["municipality"] == other.teryt for f in body["features"])
    make_user("officer", town, (Role.PROPERTY_OFFICER,))
    before = AuditEvent.objects.filter(action="read_owners").count()
    body = client.get(url + "?limit=100", **_basic("officer", "pw-officer")).json()
    assert body["numberMatched"] == 23
    owners = {f["properties"]["number"]: f["properties"]["owners"] for f in body["features"]}
    assert owners["1"] == "Jan Kowalski" and owners["2"] == ""
    assert AuditEvent.objects.filter(action="read_owners").count() == before + 1
    # the session works as well, and the listing shows the collection to such a user
    client.force_login(make_user("tax", town, (Role.TAX_OFFICER,)))
    ids = {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert ids == PUBLIC | {"parcel-owners"}
    assert client.get(f"/ogc/collections/parcel-owners/items/{data[2][0].pk}").status_code == 200


def test_registry_refuses_a_protected_collection_without_capability():
    from layers.ogc.registry import Collection, register_collection

    with pytest.raises(ValueError, match="needs a capability"):
        register_collection(Collection(id="x", title="x", description="", queryset=list,
                                       properties=(), public=False))


def test_other_layers_are_served(client, data):
    for cid, count in [("buildings", 1), ("land-uses", 3), ("parking-zones", 1),
                       ("landscape-areas", 1)]:
        body = client.get(f"/ogc/collections/{cid}/items").json()
        assert body["numberMatched"] == count, cid
    building = client.get("/ogc/collections/buildings/items").json()["features"][0]
    assert building["properties"]["storeys_above"] == 2
    assert building["properties"]["built_up_area_m2"] == 100.0
