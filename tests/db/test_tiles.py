"""Vector tiles: the SQL functions and the /tiles/ endpoint (attributes by role, errors, ETag)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from gis_app.accounts.roles import Capability, Role
from layers.tiles import registry
from layers.tiles.registry import TileLayer, tile_layers, visible_tile_layers
from tests.db import test_map_data
from tests.db.test_map_data import X0, Y0
from tests.mvt import decode_mvt, tile_of

pytestmark = pytest.mark.django_db
town = test_map_data.town  # the shared fixture


def client_for(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def get_tile(client: Client, layer: str, z: int, x: int, y: int, **headers):
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=headers)


def test_every_registered_layer_has_its_function_with_parallelism_off():
    names = {layer.function for layer in tile_layers()}
    assert {"tiles_parcels", "tiles_buildings", "tiles_land_uses", "tiles_parking_zones",
            "tiles_landscape_areas"} <= names
    with connection.cursor() as cur:
        cur.execute(
            "SELECT proname, pg_get_function_identity_arguments(oid), prorettype::regtype::text,"
            " proconfig FROM pg_proc WHERE proname = ANY(%s)", [sorted(names)])
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    for name in names:
        args, returns, config = rows[name]
        assert args == "z integer, x integer, y integer, allowed bigint[]", name
        assert returns == "bytea"
        assert "max_parallel_workers_per_gather=0" in (config or []), name


def test_public_parcel_tile_carries_ids_only(town):
    resp = get_tile(client_for(), "parcels", *tile_of(X0 + 20, Y0 + 20, 16))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/vnd.mapbox-vector-tile"
    features = decode_mvt(resp.content)["parcels"]
    by_id = {f["cadastral_id"]: f for f in features}
    assert town.plot.cadastral_id in by_id and town.other.cadastral_id in by_id
    plot = by_id[town.plot.cadastral_id]
    assert plot["number"] == "101/7" and plot["_id"] == town.plot.id
    assert all(set(f) == {"_id", "cadastral_id", "number"} for f in features)


def test_planner_gets_details_only_in_own_municipality(town):
    resp = get_tile(client_for(town.planner), "parcels", *tile_of(X0 + 20, Y0 + 20, 16))
    by_id = {f["cadastral_id"]: f for f in decode_mvt(resp.content)["parcels"]}
    assert by_id[town.plot.cadastral_id]["legal_area_m2"] == pytest.approx(1612.0)
    assert "legal_area_m2" not in by_id[town.other.cadastral_id]


def test_buildings_and_zones_tiles(town):
    c = client_for(town.planner)
    z, x, y = tile_of(X0 + 20, Y0 + 20, 16)
    buildings = decode_mvt(get_tile(c, "buildings", z, x, y).content)["buildings"]
    assert len(buildings) == 3 and all(b["kind"] == "m" for b in buildings)
    zones = decode_mvt(get_tile(c, "parking_zones", z, x, y).content)["parking_zones"]
    assert zones[0]["code"] == "A" and zones[0]["name"] == "Strefa A"
    public = decode_mvt(get_tile(client_for(), "parking_zones", z, x, y).content)
    assert "name" not in public["parking_zones"][0]
    areas = decode_mvt(get_tile(c, "landscape_areas", z, x, y).content)["landscape_areas"]
    assert areas[0]["code"] == "S1"
    uses = decode_mvt(get_tile(c, "land_uses", z, x, y).content)["land_uses"]
    assert uses[0]["ofu"] == "B"


def test_below_the_minimum_zoom_the_tile_is_empty(town):
    resp = get_tile(client_for(), "parcels", *tile_of(X0, Y0, 12))
    assert resp.status_code == 200 and resp.content == b""
    resp = get_tile(client_for(), "buildings", *tile_of(X0, Y0, 14))
    assert resp.status_code == 200 and resp.content == b""


@pytest.mark.parametrize("path,needle", [
    ("parcels/a/1/1.pbf", "whole numbers"),
    ("parcels/23/1/1.pbf", "zoom 23"),
    ("parcels/-1/0/0.pbf", "zoom -1"),
    ("parcels/2/4/0.pbf", "does not exist at zoom 2"),
    ("parcels/2/0/-1.pbf", "does not exist at zoom 2"),
])
def test_bad_tile_address_is_400_with_a_message(path, needle):
    resp = Client().get(f"/tiles/{path}")
    assert resp.status_code == 400
    assert needle in resp.json()["error"]


def test_unknown_layer_is_404():
    resp = Client().get("/tiles/nonesuch/1/0/0.pbf")
    assert resp.status_code == 404 and "nonesuch" in resp.json()["error"]


@pytest.fixture
def secret_layer():
    layer = TileLayer("tax_status_test", "tiles_parcels", public=False,
                      detail_capability=Capability.VIEW_TAX, tables=("layers_parcel",),
                      min_zoom=14)
    registry.register_tile_layer(layer)
    yield layer
    registry._LAYERS.pop(layer.name, None)


def test_non_public_layer_needs_its_capability(town, secret_layer, make_user):
    z, x, y = tile_of(X0, Y0, 16)
    assert get_tile(client_for(), "tax_status_test", z, x, y).status_code == 401
    assert get_tile(client_for(town.planner), "tax_status_test", z, x, y).status_code == 403
    tax = make_user("tax_a", town.a, (Role.TAX_OFFICER,))
    assert get_tile(client_for(tax), "tax_status_test", z, x, y).status_code == 200
    assert secret_layer not in visible_tile_layers(town.planner)
    assert secret_layer in visible_tile_layers(tax)


def test_reads_of_an_audited_layer_are_recorded_once_per_session_and_day(town, make_user):
    from gis_app.audit.models import AuditEvent
    from layers.tiles.registry import tile_layer

    assert tile_layer("tax_status").audit_reads == "read_tax"  # tax secrecy: reads on record
    layer = TileLayer("tax_audit_test", "tiles_parcels", public=False,
                      detail_capability=Capability.VIEW_TAX, tables=("layers_parcel",),
                      min_zoom=14, audit_reads="read_tax")
    registry.register_tile_layer(layer)
    try:
        events = AuditEvent.objects.filter(object_type="tile_layer", object_id="tax_audit_test")
        z, x, y = tile_of(X0, Y0, 16)
        assert get_tile(client_for(town.planner), "tax_audit_test", z, x, y).status_code == 403
        assert get_tile(client_for(), "tax_audit_test", z, x, y).status_code == 401
        assert not events.exists()  # refused requests read nothing
        tax = make_user("tax_audit", town.a, (Role.TAX_OFFICER,))
        officer = client_for(tax)
        first = get_tile(officer, "tax_audit_test", z, x, y)
        assert first.status_code == 200
        assert get_tile(officer, "tax_audit_test", z, x + 1, y).status_code == 200
        assert get_tile(officer, "tax_audit_test", z, x, y,
                        **{"if-none-match": first["ETag"]}).status_code == 304
        (event,) = events.all()
        assert (event.username, event.action, event.municipality_id) == (
            "tax_audit", "read_tax", town.a.pk)
        assert f"{z}/{x}/{y}" in event.detail
        # a new session (another browser, a new login) is on record again
        assert get_tile(client_for(tax), "tax_audit_test", z, x, y).status_code == 200
        assert events.all().count() == 2
        # an unaudited layer leaves no event
        get_tile(officer, "parcels", z, x, y)
        assert not AuditEvent.objects.filter(object_type="tile_layer",
                                             object_id="parcels").exists()
    finally:
        registry._LAYERS.pop(layer.name, None)


def test_etag_revalidates_and_changes_with_the_data(town):
    c = client_for()
    z, x, y = tile_of(X0 + 20, Y0 + 20, 16)
    first = get_tile(c, "parcels", z, x, y)
    etag = first["ETag"]
    assert etag and "no-cache" in first["Cache-Control"]
    again = get_tile(c, "parcels", z, x, y, if_none_match=etag)
    assert again.status_code == 304 and again.content == b""
    town.plain.number = "102/1"
    town.plain.save()
    changed = get_tile(c, "parcels", z, x, y, if_none_match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # other layers' tables did not change: their tag stays
    b1 = get_tile(c, "buildings", z, x, y)["ETag"]
    town.plain.save()
    assert get_tile(c, "buildings", z, x, y)["ETag"] == b1


def test_etag_differs_by_what_the_viewer_may_see(town):
    z, x, y = tile_of(X0 + 20, Y0 + 20, 16)
    public = get_tile(client_for(), "parcels", z, x, y)
    planner = get_tile(client_for(town.planner), "parcels", z, x, y)
    assert public["ETag"] != planner["ETag"]
    assert planner["Cache-Control"].startswith("private")
    # the public's copy does not validate for the planner
    resp = get_tile(client_for(town.planner), "parcels", z, x, y,
                    if_none_match=public["ETag"])
    assert resp.status_code == 200


def test_tile_query_uses_the_spatial_index(town):
    z, x, y = tile_of(X0 + 20, Y0 + 20, 16)
    with connection.cursor() as cur:
        cur.execute("DISCARD PLANS")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
                    "WHERE relname = 'layers_parcel'")
        seq0, idx0 = cur.fetchone()
        cur.execute("SELECT tiles_parcels(%s, %s, %s, ARRAY[]::bigint[])", [z, x, y])
        assert cur.fetchone()[0]
        cur.execute("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
                    "WHERE relname = 'layers_parcel'")
        seq1, idx1 = cur.fetchone()
    assert idx1 > idx0 and seq1 == seq0


def test_below_z16_tiles_carry_the_feature_id_only(town):
    resp = get_tile(client_for(town.planner), "parcels", *tile_of(X0 + 20, Y0 + 20, 14))
    features = decode_mvt(resp.content)["parcels"]
    assert town.plot.id in {f["_id"] for f in features}
    assert all(set(f) == {"_id"} for f in features)


def test_untracked_table_means_no_etag(town):
    layer = TileLayer("untracked_probe", "tiles_parcels", public=True, detail_capability=None,
                      tables=("layers_parcel", "no_such_table"), min_zoom=14)
    registry.register_tile_layer(layer)
    try:
        resp = get_tile(client_for(), "untracked_probe", *tile_of(X0 + 20, Y0 + 20, 16))
    finally:
        registry._LAYERS.pop(layer.name, None)
    assert resp.status_code == 200 and resp.content
    assert "ETag" not in resp and resp["Cache-Control"] == "no-store"
