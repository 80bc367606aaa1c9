"""The map page's contents: layers by role, base maps, no large GeoJSON, initial extent."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gis_app.accounts.roles import Capability
from layers.tiles import registry
from layers.tiles.registry import TileLayer
from map_ui.basemaps import BASE_MAPS, BaseMap, default_base_map
from tests.db import test_map_data

pytestmark = pytest.mark.django_db
town = test_map_data.town  # the shared fixture


def page(user=None) -> str:
    c = Client(headers={"accept-language": "en"})
    if user is not None:
        c.force_login(user)
    resp = c.get("/")
    assert resp.status_code == 200
    return resp.content.decode()


@pytest.fixture
def tax_layer():
    layer = TileLayer("tax_status_probe", "tiles_parcels", public=False,
                      detail_capability=Capability.VIEW_TAX, tables=("layers_parcel",),
                      min_zoom=14, label="Tax status probe")
    registry.register_tile_layer(layer)
    yield layer
    registry._LAYERS.pop(layer.name, None)


def test_layer_control_lists_only_layers_the_viewer_may_see(town, tax_layer, make_user):
    from gis_app.accounts.roles import Role

    public = page()
    for name in ("parcels", "buildings", "land_uses", "parking_zones", "landscape_areas"):
        assert f"/tiles/{name}/{{tz}}/{{x}}/{{y}}.pbf" in public  # 512-pixel tiles
    assert "tax_status_probe" not in public
    assert "tax_status_probe" not in page(town.planner)
    tax = make_user("tax_officer_a", town.a, (Role.TAX_OFFICER,))
    assert "/tiles/tax_status_probe/{tz}/{x}/{y}.pbf" in page(tax)


def test_vector_layers_use_the_canvas_renderer_and_no_geojson_layer(town):
    html = page()
    assert html.count("L.vectorGrid.protobuf(") >= 5
    assert html.count("rendererFactory: L.canvas.tile") == html.count("L.vectorGrid.protobuf(")
    assert "L.geoJson(" not in html and "L.geoJSON(" not in html.split("map_ui/map.js")[0]
    assert "L.control.scale" in html  # the layer tree is map.js's own (groups, opacity)


def test_map_opens_on_the_visible_plots(town):
    html = page(town.planner_b)
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.]+),\s*([\d.]+)\],\s*\[([\d.]+),\s*([\d.]+)\]",
                       html)
    assert bounds, "the map fits the plots"
    south, west, north, east = map(float, bounds.groups())
    assert 49 < south <= north < 50 and 21 < west <= east < 22


def test_base_maps_default_to_one_that_needs_no_internet():
    assert not default_base_map(BASE_MAPS).online
    extra = [*BASE_MAPS, BaseMap("ortho", "Ortho", "/rasters/ortho/{z}/{x}/{y}.png",
                                 default=True)]
    assert default_base_map(extra).key == "plain"  # the first default wins
    only_online = [BaseMap("osm", "OSM", "https://x/{z}/{x}/{y}.png", online=True),
                   BaseMap("ortho", "Ortho", "/rasters/o/{z}/{x}/{y}.png")]
    assert default_base_map(only_online).key == "ortho"


def test_card_link_from_the_map_url(town):
    html = page()
    assert '"card": "/parcels/{id}/card"' in html
    assert '"at": "/api/parcels/at"' in html


def test_a_style_by_attribute_becomes_a_function_and_a_legend(town):
    layer = TileLayer("status_probe", "tiles_parcels", public=True, detail_capability=None,
                      tables=("layers_parcel",), min_zoom=14, label="Status probe",
                      style=(("weight", 1), ("by", "status"),
                             ("palette", (("assessed", "#2e7d32"), ("exempt", "#1565c0")))))
    registry.register_tile_layer(layer)
    try:
        html = page()
    finally:
        registry._LAYERS.pop(layer.name, None)
    assert '"status_probe": function (p) { var c = {"assessed": "#2e7d32"' in html
    # a pair's class is named by its value; a triple names it in words (CONTRACTS.md)
    assert '"palette": [["assessed", "#2e7d32", "assessed"], ["exempt", "#1565c0", "exempt"]]' \
        in html


def test_map_opens_on_the_municipality_boundary_when_known(town):
    from tests.conftest import square

    town.b.geom = square(700_000, 300_000, 1000)
    town.b.save()
    html = page(town.planner_b)
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.]+),\s*([\d.]+)\]", html)
    south = float(bounds.group(1))
    assert south > 50.4  # the boundary lies ~90 km north of the plots
