"""What the map's tools get from the server: identify at a point (every layer, by role), the
card's outputs by role, class labels of every palette, the page's data (no inline script of
ours), plot links from registers, the check form's X/Y convention."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from pyproj import Transformer

from gis_app.accounts.roles import Role
from layers.tiles.registry import tile_layers
from map_ui.views import palette_entries
from tests.conftest import square
from tests.db import test_map_data
from tests.db.test_map_data import X0, Y0

pytestmark = pytest.mark.django_db
town = test_map_data.town  # the shared fixture
TO_WGS84 = Transformer.from_crs(2180, 4326, always_xy=True)


def client(user=None) -> Client:
    c = Client(headers={"accept-language": "en"})
    if user is not None:
        c.force_login(user)
    return c


def identify(user, x: float, y: float) -> dict:
    lon, lat = TO_WGS84.transform(x, y)
    r = client(user).get("/api/identify", {"lon": lon, "lat": lat})
    assert r.status_code == 200
    return r.json()


def sections(data: dict) -> dict[str, list]:
    return {s["key"]: s["items"] for s in data["sections"]}


@pytest.fixture
def registers_at_plot(town):
    """A published offer and a lease over the detailed plot, rules for its landscape area."""
    from layers.models import LandscapeArea
    from registers.landscape.models import AreaRule
    from registers.leases.models import InvestmentOffer, Lease

    offer = InvestmentOffer.objects.create(
        municipality=town.a, title="Teren pod usługi", mode="sale",
        cadastral_ids=[town.plot.cadastral_id], geom=square(X0, Y0, 40), published=True,
        price=Decimal("420000"), contact="tel. 13 443 62 00")
    lease = Lease.objects.create(
        municipality=town.a, number="GN.6845.1.2026", lessee_name="Kwiaciarnia Róża",
        cadastral_ids=[town.plot.cadastral_id], geom=square(X0 + 10, Y0 + 10, 20),
        rent_amount=Decimal("150"), start_date="2026-01-01")
    area = LandscapeArea.objects.get(code="S1")
    AreaRule.objects.create(area=area, subject="advertising", kind="max_area_m2", value="2",
                            citation="§ 5 ust. 1")
    return offer, lease


def test_identify_lists_every_layer_at_the_point(town, registers_at_plot):
    _offer, lease = registers_at_plot
    data = identify(town.planner, X0 + 20, Y0 + 20)
    assert data["parcel"] == {"id": town.plot.id, "cadastral_id": town.plot.cadastral_id}
    # the point in EPSG:2180 with X the northing
    assert data["point"]["x_northing"] == pytest.approx(Y0 + 20, abs=0.01)
    assert data["point"]["y_easting"] == pytest.approx(X0 + 20, abs=0.01)
    got = sections(data)
    assert [i["title"] for i in got["parking"]] == ["A Strefa A"]
    assert [i["title"] for i in got["landscape"]] == ["S1 Strefa śródmiejska"]
    assert got["landscape"][0]["rules"] == [
        "advertising boards and devices: maximum area [m²] = 2 (§ 5 ust. 1)"]
    assert [i["title"] for i in got["leases"]] == ["GN.6845.1.2026"]
    assert got["leases"][0]["link"] == f"/leases/{lease.pk}/"
    assert [i["title"] for i in got["offers"]] == ["Teren pod usługi"]
    assert dict(got["offers"][0]["facts"])["Price"] == "420,000.00\xa0zł"  # layers.formats.money
    # a building is reported where one stands
    assert [i["title"] for i in got["buildings"]] == []
    on_building = sections(identify(town.planner, X0 + 7, Y0 + 7))
    assert [i["title"] for i in on_building["buildings"]] == ["180501_1.0001.101/7_BUD.0"]


def test_identify_by_role_and_scope(town, registers_at_plot):
    public = identify(None, X0 + 20, Y0 + 20)
    assert "leases" not in sections(public)  # the public never sees leases
    assert [i["title"] for i in sections(public)["offers"]] == ["Teren pod usługi"]
    assert public["parcel"]["id"] == town.plot.id
    # a planner of another town: no section of A's leases, no plot of A
    other = identify(town.planner_b, X0 + 20, Y0 + 20)
    assert sections(other)["leases"] == []
    assert other["parcel"] is None
    # nothing there: empty sections, no plot
    empty = identify(town.planner, X0 + 5000, Y0 + 5000)
    assert empty["parcel"] is None
    assert all(not items for items in sections(empty).values())


@pytest.mark.parametrize(("params", "word"), [
    ({"lon": "abc", "lat": "50"}, "lon"), ({"lon": "21", "lat": "91"}, "lat"),
    ({"lat": "50"}, "lon"),
])
def test_identify_names_bad_input(params, word):
    r = client().get("/api/identify", params)
    assert r.status_code == 400 and word in r.json()["error"]


def test_card_outputs_by_role(town):
    url = f"/parcels/{town.plot.id}/card"
    public = client().get(url).content.decode()
    assert "card-dossier" not in public and "card-data" not in public
    planner = client(town.planner).get(url).content.decode()
    assert f'href="/rasters/dossier/{town.plot.id}.pdf"' in planner
    for fmt in ("gpkg", "shp", "csv", "xlsx"):
        assert f'href="/ogc/exports/parcels.{fmt}?ids={town.plot.id}"' in planner
    csv = client(town.planner).get(f"/ogc/exports/parcels.csv?ids={town.plot.id}")
    assert csv.status_code == 200 and town.plot.cadastral_id in csv.content.decode()
    # another town's planner sees the plot's public card only (outside their scope: 404)
    assert client(town.planner_b).get(url).status_code == 404


def test_every_palette_names_its_classes_in_words():
    """Every class carries its own label (a triple), and in the Polish UI the label is not the
    raw code (in English a label may coincide with its code, e.g. "exempt")."""
    from django.utils import translation

    palettes = {layer.name: dict(layer.style)["palette"] for layer in tile_layers()
                if dict(layer.style).get("palette")}
    assert palettes, "some layer is coloured by class"
    with translation.override("pl"):
        for name, raw in palettes.items():
            assert all(len(entry) == 3 for entry in raw), f"{name}: a class without a label"
            for value, colour, label in palette_entries({"palette": raw}):
                assert re.fullmatch(r"#[0-9a-f]{6}", colour), (name, value)
                assert label and label != value, f"{name}: class {value!r} has no label"


def test_pairs_stay_valid_with_the_value_as_label():
    style = {"palette": (("a", "#000000"), ("b", "#ffffff", "Bee"))}
    assert palette_entries(style) == [("a", "#000000", "a"), ("b", "#ffffff", "Bee")]


def map_page(user=None, path: str = "/") -> tuple[str, dict]:
    r = client(user).get(path)
    assert r.status_code == 200
    html = r.content.decode()
    config = json.loads(re.search(r'<script id="map-config" type="application/json">(.*?)'
                                  r"</script>", html, re.S).group(1))
    return html, config


def test_map_page_has_no_inline_script_of_its_own(town):
    html, config = map_page(town.planner)
    inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
              if "application/json" not in s[0]]
    # folium's two (its settings and the map; t14web gives them the CSP nonce), none of ours
    assert len(inline) == 2
    assert "L_NO_TOUCH" in inline[0][1] and config["mapName"] in inline[1][1]
    assert not re.search(r"\son(click|change|submit|load|input)=",
                         re.split(r"<main\b[^>]*>", html)[1])
    assert config["mapName"].startswith("map_")
    groups = {layer["name"]: layer["group"] for layer in config["layers"]}
    assert groups["parcels"] == "cadastre" and groups["parking_zones"] == "planning"
    assert groups["leased_areas"] == "registers"
    assert all(re.fullmatch(r"vector_grid_protobuf_[0-9a-f]+", layer["var"])
               for layer in config["layers"])
    assert config["urls"]["identify"] == "/api/identify"
    assert config["urls"]["print"] == "/map/print.pdf"
    assert config["canExport"] is True
    assert config["layers"][0]["export"] == "/ogc/collections/parcels/export.FMT"
    assert config["scales"][0] == 500 and config["scales"][-1] == 25000


def test_map_page_for_the_public_offers_no_export(town):
    _, config = map_page()
    assert config["canExport"] is False
    assert all(layer["export"] is None for layer in config["layers"])


def test_parcel_in_the_url_takes_the_cadastral_id(town):
    _, config = map_page(path=f"/?parcel={town.plot.cadastral_id}")
    assert config["parcel"] == str(town.plot.id)
    _, config = map_page(path="/?parcel=180501_1.9999.999")
    assert config["parcel"] == ""
    _, config = map_page(path=f"/?parcel={town.plot.id}")
    assert config["parcel"] == str(town.plot.id)


def test_plot_links_and_export_links_in_templates(town, rf):
    t = Template("{% load geogmina_map %}{{ cid|parcel_map_url }}|{% parcel_links ids %}"
                 "|{% collection_export_links 'parking-zones' %}")
    request = rf.get("/")
    request.user = town.planner
    out = t.render(Context({"cid": "180501_1.0001.101/7", "ids": ["1.2", "3/4"],
                            "request": request}))
    url, links, exports = out.split("|")
    assert url == "/?parcel=180501_1.0001.101%2F7"
    assert links == ('<a href="/?parcel=1.2" class="plot-link">1.2</a>, '
                     '<a href="/?parcel=3%2F4" class="plot-link">3/4</a>')
    assert 'href="/ogc/collections/parking-zones/export.gpkg"' in exports
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert Template("{% load geogmina_map %}{% collection_export_links 'parking-zones' %}"
                    ).render(Context({"request": request})) == ""


def test_check_form_takes_x_as_the_northing_like_the_map(town, make_user):
    """The map shows "X 211 020 Y 677 020" (X northing); the check form takes those values."""
    inspector = make_user("insp", town.a, (Role.LANDSCAPE_INSPECTOR,))
    c = client(inspector)
    data = {"srid": 2180, "type": "board", "area_m2": "1", "action": "check"}
    r = c.post("/landscape/check/", {**data, "x": Y0 + 20, "y": X0 + 20})
    assert r.status_code == 200
    # copied from the map's readout as it shows them: "211 020,00" and "677 020,00"
    shown = {"x": f"{Y0 + 20:,.2f}".replace(",", "\u00a0").replace(".", ","),
             "y": f"{X0 + 20:,.2f}".replace(",", "\u00a0").replace(".", ",")}
    copied = c.post("/landscape/check/", {**data, **shown})
    assert copied.status_code == 200 and "S1 Strefa śródmiejska" in copied.content.decode()
    assert "S1 Strefa śródmiejska" in r.content.decode()
    assert f'href="/?parcel={town.plot.cadastral_id.replace("/", "%2F")}"' in (
        r.content.decode())
    # WGS 84 the same way: X the latitude, Y the longitude
    lon, lat = TO_WGS84.transform(X0 + 20, Y0 + 20)
    r = c.post("/landscape/check/", {**data, "srid": 4326, "x": lat, "y": lon})
    assert r.status_code == 200 and "S1 Strefa śródmiejska" in r.content.decode()
    r = c.post("/landscape/check/", {**data, "srid": 4326, "x": lon + 200, "y": lat})
    assert r.status_code == 400 and "X is the latitude" in r.content.decode()


def test_map_opens_on_the_plot_or_the_permalink_view(town):
    html, _ = map_page(path=f"/?parcel={town.plot.id}")
    south, west, north, east = map(float, re.search(
        r"fitBounds\(\s*\[\[([\d.]+),\s*([\d.]+)\],\s*\[([\d.]+),\s*([\d.]+)\]", html).groups())
    lon, lat = TO_WGS84.transform(X0 + 20, Y0 + 20)
    assert south < lat < north and west < lon < east
    assert north - south < 0.001  # the 40 m plot, not the town
    html, config = map_page(path="/?c=49.75,21.47&z=18.5&layers=parking_zones&base=plain")
    assert "fitBounds" not in html.split('id="map-config"')[0]
    assert re.search(r"center:\s*\[49\.75,\s*21\.47\]", html) and '"zoom": 18.5' in html
    shown = [layer["name"] for layer in config["layers"] if layer["shown"]]
    assert shown == ["parking_zones"]
    assert [b["key"] for b in config["baseMaps"] if b["shown"]] == ["plain"]
