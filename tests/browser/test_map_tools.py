"""The map's tools in headless Chromium against the demo town, on a desktop and on a phone:
the layer tree and legend, coordinates and "go to X/Y", the scale chooser, measuring, the
print dialog, the permalink, "my position", identify as card tabs, the outputs on the card, in
the layer tree and on search results, the search box's autocomplete.

Numbers are checked against independent computations (pyproj's transformations and
geodesics), never against the page's own code."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qs, urlparse

import pytest
from pyproj import Geod, Transformer

from tests.browser.conftest import screenshot
from tests.browser.test_map_browser import assert_clean, map_view, open_map, wait_for_card

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TO_2180 = Transformer.from_crs(4326, 2180, always_xy=True)
TO_WGS84 = Transformer.from_crs(2180, 4326, always_xy=True)
NBSP = "\u00a0"
LAYERS_JS = "ls => ls.map(l => l.dataset.layer)"
POLISH_NUMBER = re.compile(r"^-?\d{1,3}(\u00a0\d{3})*,\d{2}$")


def set_view(page, lat: float, lng: float, zoom: float) -> None:
    page.evaluate("([lat, lng, z]) => window.geogmina.state.map.setView([lat, lng], z, "
                  "{animate: false})", [lat, lng, zoom])


def fire_click(page, lat: float, lng: float) -> None:
    """A click on the map at an exact point (a mouse click lands on a whole pixel)."""
    page.evaluate("([lat, lng]) => window.geogmina.state.map.fire('click', "
                  "{latlng: L.latLng(lat, lng)})", [lat, lng])


def click_at(page, lat: float, lng: float) -> None:
    """A real mouse click where the point is on the screen."""
    p = page.evaluate("([lat, lng]) => { const m = window.geogmina.state.map, "
                      "p = m.latLngToContainerPoint([lat, lng]), "
                      "r = m.getContainer().getBoundingClientRect(); "
                      "return [r.left + p.x, r.top + p.y]; }", [lat, lng])
    page.mouse.click(p[0], p[1])


def plot_point(town):
    """The demo plot's point on surface: WGS 84 (lat, lng) and EPSG:2180 (easting, northing)."""
    c = town.centroid
    e, n = TO_2180.transform(c.x, c.y)
    return (c.y, c.x), (e, n)


# --- layer tree and legend ------------------------------------------------------------------

def test_layer_tree_groups_opacity_and_legend_of_visible_layers(demo_town, demo_server,
                                                                new_page, page_log, login):
    town = demo_town
    page = open_map(new_page, demo_server, f"/?parcel={town.parcel.id}",
                    user=town.users["property_officer"], login=login)
    wait_for_card(page, town.parcel.cadastral_id)
    groups = page.eval_on_selector_all(".layer-tree details.layer-group",
                                       "ds => ds.map(d => d.dataset.group)")
    assert groups == ["cadastre", "registers", "planning", "base"]
    # the legend lists only the layers on the map
    legend = page.eval_on_selector_all(".legend .legend-layer", LAYERS_JS)
    assert legend == ["parcels", "buildings"]
    page.check('.layer-tree input[type=checkbox][data-layer="parking_zones"]')
    page.uncheck('.layer-tree input[type=checkbox][data-layer="buildings"]')
    legend = page.eval_on_selector_all(".legend .legend-layer", LAYERS_JS)
    assert legend == ["parcels", "parking_zones"]
    assert page.evaluate("window.geogmina.state.map.hasLayer(window.geogmina.state.layers"
                         ".parking_zones)")
    # a register's layer coloured by class: each class named in words, not by its code
    page.check('.layer-tree input[type=checkbox][data-layer="leased_areas"]')
    classes = page.eval_on_selector_all(
        '.legend .legend-layer[data-layer="leased_areas"] .legend-sub',
        "rs => rs.map(r => [r.dataset.value, r.textContent.trim()])")
    assert {v for v, _ in classes} == {"proposed", "expiring", "running", "open", "expired"}
    assert all(text and text != value for value, text in classes), classes
    # opacity per layer
    page.fill('.layer-tree input.opacity[data-layer="parcels"]', "40")
    page.dispatch_event('.layer-tree input.opacity[data-layer="parcels"]', "input")
    opacity = page.evaluate("getComputedStyle(window.geogmina.state.layers.parcels"
                            ".getContainer()).opacity")
    assert float(opacity) == pytest.approx(0.4)
    # groups fold
    page.click('.layer-tree details[data-group="cadastre"] summary')
    assert not page.locator('.layer-tree input[type=checkbox][data-layer="parcels"]').is_visible()
    # base maps are radio buttons; switching changes the base layer on the map
    bases = page.eval_on_selector_all('.layer-tree input[name="basemap"]',
                                      "rs => rs.map(r => r.value)")
    assert "plain" in bases
    page.check('.layer-tree input[name="basemap"][value="plain"]')
    assert page.evaluate("window.geogmina.state.baseKey") == "plain"
    screenshot(page, "map-layers")
    assert_clean(page_log)


# --- coordinates, go to X/Y, scale ----------------------------------------------------------

def test_coordinates_readout_and_go_to_xy_in_every_system(demo_town, demo_server, new_page,
                                                          page_log):
    (lat, lng), (e, n) = plot_point(demo_town)
    page = open_map(new_page, demo_server)
    set_view(page, lat, lng, 17)
    # the readout follows the cursor: X is the northing, Y the easting (Polish convention)
    page.mouse.move(600, 400)
    readout = page.text_content(".coords .coords-readout")
    x_text = re.search(r"X\u00a0(-?[\d\u00a0]+,\d+)", readout).group(1)
    x_shown = float(x_text.replace(NBSP, "").replace(",", "."))
    assert 100_000 < x_shown < 800_000
    under = page.evaluate("""() => { const m = window.geogmina.state.map,
        r = m.getContainer().getBoundingClientRect();
        return m.containerPointToLatLng([600 - r.left, 400 - r.top]); }""")
    _, north = TO_2180.transform(under["lng"], under["lat"])
    assert x_shown == pytest.approx(north, abs=0.02)

    # go to the plot's point given in each system, with X the northing
    systems = {2180: (n, e)}
    for srid in (2176, 2177, 2178, 2179):
        east, north = Transformer.from_crs(4326, srid, always_xy=True).transform(lng, lat)
        systems[srid] = (north, east)
    systems[4326] = (lat, lng)
    for srid, (x, y) in systems.items():
        set_view(page, 50.5, 20.0, 8)
        page.select_option(".coords select", f"EPSG:{srid}")
        decimals = 7 if srid == 4326 else 2
        page.fill(".goto-x", f"{x:.{decimals}f}".replace(".", ","))
        page.fill(".goto-y", f"{y:.{decimals}f}")
        page.click(".goto-form button")
        view = map_view(page)
        got_e, got_n = TO_2180.transform(view["lng"], view["lat"])
        assert (got_e, got_n) == (pytest.approx(e, abs=0.05), pytest.approx(n, abs=0.05)), srid
        assert view["zoom"] >= 17
    # the readout in WGS 84 and a PL-2000 zone
    page.select_option(".coords select", "EPSG:4326")
    assert "φ" in page.text_content(".coords .coords-readout")
    # swapped values (easting as X) land outside Poland in PL-2000: refused with a message
    page.select_option(".coords select", "EPSG:2178")
    before = map_view(page)
    x2178, y2178 = systems[2178]
    page.fill(".goto-x", f"{y2178:.2f}")
    page.fill(".goto-y", f"{x2178:.2f}")
    page.click(".goto-form button")
    assert "X" in page.text_content(".goto-message")
    assert map_view(page) == before
    page.fill(".goto-x", "abc")
    page.click(".goto-form button")
    assert page.text_content(".goto-message")
    assert_clean(page_log)


def test_numeric_scale_and_scale_chooser(demo_town, demo_server, new_page, page_log):
    (lat, lng), _ = plot_point(demo_town)
    page = open_map(new_page, demo_server)
    set_view(page, lat, lng, 17)
    for denominator in (500, 1000, 2500, 10000, 25000):
        page.select_option(".scale-chooser", str(denominator))
        text = page.text_content(".numeric-scale .scale-text")
        assert text == f"1{NBSP}:{NBSP}" + f"{denominator:,}".replace(",", NBSP)
        # independently: metres per CSS pixel from two screen points 100 px apart
        metres = page.evaluate("""() => { const m = window.geogmina.state.map,
            a = m.containerPointToLatLng([100, 300]), b = m.containerPointToLatLng([200, 300]);
            return [a.lat, a.lng, b.lat, b.lng]; }""")
        _, _, dist = Geod(ellps="WGS84").inv(metres[1], metres[0], metres[3], metres[2])
        assert dist / 100 * 96 / 0.0254 == pytest.approx(denominator, rel=0.01)
    assert_clean(page_log)


# --- measuring ------------------------------------------------------------------------------

def test_measure_distance_and_area_geodesic_and_in_2180(demo_town, demo_server, new_page,
                                                        page_log):
    (lat, lng), (e, n) = plot_point(demo_town)
    page = open_map(new_page, demo_server)
    set_view(page, lat, lng, 18)
    corners_2180 = [(e, n), (e + 40, n), (e + 40, n + 30), (e, n + 30)]
    corners = [TO_WGS84.transform(x, y) for x, y in corners_2180]  # (lng, lat)

    page.click(".tool-measure-length")
    for lo, la in corners[:2]:
        fire_click(page, la, lo)
    plane = float(page.get_attribute(".measure-result .plane-length", "data-value"))
    assert plane == pytest.approx(40.0, abs=1e-3)
    geodesic = float(page.get_attribute(".measure-result .geodesic-length", "data-value"))
    _, _, expected = Geod(ellps="GRS80").inv(corners[0][0], corners[0][1], corners[1][0],
                                             corners[1][1])
    assert geodesic == pytest.approx(expected, abs=1e-3)
    # the national format: "40,00 m"
    text = page.text_content(".measure-result .plane-length")
    assert POLISH_NUMBER.match(text.split(NBSP + "m")[0]) and text.endswith(NBSP + "m")
    # no card opens while measuring
    assert page.locator("#card .parcel-card").count() == 0

    page.click(".tool-measure-area")
    for lo, la in corners:
        fire_click(page, la, lo)
    plane_area = float(page.get_attribute(".measure-result .plane-area", "data-value"))
    assert plane_area == pytest.approx(1200.0, abs=1e-3)
    geo_area = float(page.get_attribute(".measure-result .geodesic-area", "data-value"))
    expected_area, _ = Geod(ellps="GRS80").polygon_area_perimeter(
        [c[0] for c in corners], [c[1] for c in corners])
    assert geo_area == pytest.approx(abs(expected_area), rel=1e-6)
    assert geo_area != pytest.approx(plane_area, abs=0.1)  # the plane's scale error shows
    area_text = page.text_content(".measure-result .plane-area")
    assert area_text == f"1{NBSP}200,00{NBSP}m²"
    page.click(".measure-finish")
    screenshot(page, "map-measure")

    # with the mouse: three clicks and a double-click finish a line
    page.click(".measure-clear")
    page.click(".tool-measure-length")
    box = page.locator(".leaflet-container").bounding_box()
    for dx in (300, 500, 700):
        page.mouse.click(box["x"] + dx, box["y"] + 450)
        page.wait_for_timeout(350)  # not a double-click
    page.mouse.dblclick(box["x"] + 700, box["y"] + 450)
    assert page.get_attribute(".measure-panel", "data-finished") == "true"
    length = float(page.get_attribute(".measure-result .plane-length", "data-value"))
    assert length > 0
    assert_clean(page_log)


# --- print dialog ---------------------------------------------------------------------------

def test_print_dialog_builds_the_print_url(demo_town, demo_server, new_page, page_log):
    (lat, lng), _ = plot_point(demo_town)
    page = open_map(new_page, demo_server)
    set_view(page, lat, lng, 18)
    page.click(".tool-print")
    assert page.locator("#print-dialog").is_visible()
    page.select_option("#print-dialog select[name=paper]", "A3")
    page.select_option("#print-dialog select[name=orientation]", "landscape")
    page.select_option("#print-dialog select[name=scale]", "1000")
    page.fill("#print-dialog input[name=title]", "Plan sytuacyjny & okolice")
    page.fill("#print-dialog input[name=author]", "Jan Kowalski")
    href = page.get_attribute("#print-go", "href")
    url = urlparse(href)
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/map/print.pdf"
    assert q["paper"] == "A3" and q["orientation"] == "landscape" and q["scale"] == "1000"
    assert q["title"] == "Plan sytuacyjny & okolice" and q["author"] == "Jan Kowalski"
    assert q["layers"] == "parcels,buildings"
    assert q["base"] == page.evaluate("window.geogmina.state.baseKey")
    centre = map_view(page)
    e, n = TO_2180.transform(centre["lng"], centre["lat"])
    ce, cn = map(float, q["center"].split(","))  # easting, northing (CONTRACTS.md)
    assert (ce, cn) == (pytest.approx(e, abs=0.01), pytest.approx(n, abs=0.01))
    screenshot(page, "map-print-dialog")
    page.click("#print-dialog .dialog-close")
    assert not page.locator("#print-dialog").is_visible()
    assert_clean(page_log)


# --- permalink ------------------------------------------------------------------------------

def test_permalink_restores_view_layers_base_and_plot(demo_town, demo_server, new_page,
                                                      page_log):
    town = demo_town
    (lat, lng), _ = plot_point(town)
    page = open_map(new_page, demo_server)
    set_view(page, lat, lng, 18)
    page.check('.layer-tree input[type=checkbox][data-layer="parking_zones"]')
    page.check('.layer-tree input[name="basemap"][value="plain"]')
    click_at(page, lat, lng)
    wait_for_card(page, town.parcel.cadastral_id)
    view = map_view(page)
    link = page.url
    q = parse_qs(urlparse(link).query)
    assert q["parcel"] == [str(town.parcel.id)] and q["base"] == ["plain"]
    page.click(".tool-link")
    assert page.input_value("#permalink") == link

    other = new_page()
    other.goto(link)
    other.wait_for_function("() => window.geogmina && window.geogmina.state.map")
    wait_for_card(other, town.parcel.cadastral_id)
    restored = map_view(other)
    assert restored["zoom"] == view["zoom"]
    assert restored["lat"] == pytest.approx(view["lat"], abs=1e-5)
    assert restored["lng"] == pytest.approx(view["lng"], abs=1e-5)
    assert other.evaluate("window.geogmina.state.baseKey") == "plain"
    shown = other.eval_on_selector_all(".legend .legend-layer", LAYERS_JS)
    assert shown == ["parcels", "buildings", "parking_zones"]
    assert other.is_checked('.layer-tree input[type=checkbox][data-layer="parking_zones"]')
    # ?parcel= also takes the cadastral id, as register pages link it
    third = new_page()
    third.goto(demo_server.url + "/?parcel=" + town.parcel.cadastral_id)
    wait_for_card(third, town.parcel.cadastral_id)
    assert_clean(page_log)


# --- my position ----------------------------------------------------------------------------

def test_my_position_shows_the_browser_position(demo_town, demo_server, new_page, page_log):
    (lat, lng), _ = plot_point(demo_town)
    page = new_page(geolocation={"latitude": lat, "longitude": lng, "accuracy": 12})
    page.goto(demo_server.url + "/")
    page.wait_for_function("() => window.geogmina && window.geogmina.state.map")
    page.click(".geo-locate button")
    page.wait_for_selector(".geo-locate button[data-located]")
    located = page.get_attribute(".geo-locate button", "data-located").split(",")
    assert [float(v) for v in located] == [pytest.approx(lat, abs=1e-7),
                                           pytest.approx(lng, abs=1e-7)]
    view = map_view(page)
    assert view["lat"] == pytest.approx(lat, abs=1e-6)
    assert view["lng"] == pytest.approx(lng, abs=1e-6)
    assert view["zoom"] >= 17
    assert_clean(page_log)


# --- identify and the card's outputs --------------------------------------------------------

def test_identify_shows_every_layer_at_the_click_as_tabs(demo_town, demo_server, new_page,
                                                         page_log, login):
    from django.contrib.gis.geos import Point

    from layers.models import Building, LandscapeArea, ParkingZone
    from registers.leases.models import InvestmentOffer

    offer = InvestmentOffer.objects.filter(published=True).order_by("id").first()
    assert offer is not None, "the demo town publishes an investment offer"
    pt = offer.geom.point_on_surface
    wgs = pt.transform(4326, clone=True)
    page = open_map(new_page, demo_server, user=demo_town.users["planner"], login=login)
    set_view(page, wgs.y, wgs.x, 18)
    click_at(page, wgs.y, wgs.x)
    page.wait_for_selector("#card [role=tab][data-tab=offers]")
    tabs = page.eval_on_selector_all("#card [role=tab]", "ts => ts.map(t => t.dataset.tab)")
    assert tabs[0] == "plot"
    expected = {"offers"}
    probe = Point(pt.x, pt.y, srid=2180)
    if Building.objects.filter(geom__intersects=probe, retired_at__isnull=True).exists():
        expected.add("buildings")
    if ParkingZone.objects.filter(geom__intersects=probe, retired_at__isnull=True).exists():
        expected.add("parking")
    if LandscapeArea.objects.filter(geom__intersects=probe, retired_at__isnull=True).exists():
        expected.add("landscape")
    assert set(tabs[1:]) == expected
    page.click("#card [role=tab][data-tab=offers]")
    assert offer.title in page.inner_text("#tab-offers")
    assert not page.locator("#tab-plot").is_visible()
    # keyboard: arrows move between tabs
    page.focus("#card [role=tab][data-tab=offers]")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.getAttribute('aria-selected')") == "true"
    screenshot(page, "card-identify")

    # a landscape area shows its rules
    area = LandscapeArea.objects.filter(retired_at__isnull=True, rules__isnull=False).first()
    if area is not None:
        a = area.geom.point_on_surface.transform(4326, clone=True)
        set_view(page, a.y, a.x, 17)
        page.evaluate("document.getElementById('card').innerHTML = ''")
        click_at(page, a.y, a.x)
        page.wait_for_selector("#card [role=tab][data-tab=landscape]")
        page.click("#card [role=tab][data-tab=landscape]")
        here = LandscapeArea.objects.filter(retired_at__isnull=True,
                                            geom__intersects=area.geom.point_on_surface)
        assert page.locator("#tab-landscape .identify-item").count() == here.count()
        assert page.locator("#tab-landscape ul.rules li").count() == sum(
            a.rules.count() for a in here)
    assert_clean(page_log)


def test_card_offers_dossier_and_the_plots_data_by_role(demo_town, demo_server, new_page,
                                                        page_log, login):
    town = demo_town
    officer = open_map(new_page, demo_server, f"/?parcel={town.parcel.id}",
                       user=town.users["property_officer"], login=login)
    wait_for_card(officer, town.parcel.cadastral_id)
    dossier = officer.get_attribute("#card .card-dossier", "href")
    r = officer.request.get(demo_server.url + dossier)
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    assert r.body()[:5] == b"%PDF-"
    links = officer.eval_on_selector_all("#card .card-data a", "as => as.map(a => a.href)")
    assert len(links) == 4
    csv_link = next(u for u in links if "parcels.csv" in u)
    r = officer.request.get(csv_link)
    assert r.status == 200 and town.parcel.cadastral_id in r.text()
    assert r.text().count(town.parcel.cadastral_id) == 1
    screenshot(officer, "card-outputs", docs=True)

    public = open_map(new_page, demo_server, f"/?parcel={town.parcel.id}")
    wait_for_card(public, town.parcel.cadastral_id)
    assert public.locator("#card .card-dossier").count() == 0
    assert public.locator("#card .card-data").count() == 0
    assert public.locator(".layer-tree .layer-export").count() == 0
    assert_clean(page_log)


def test_visible_layer_within_the_view_as_a_file(demo_town, demo_server, new_page, page_log,
                                                 login):
    town = demo_town
    (lat, lng), _ = plot_point(town)
    page = open_map(new_page, demo_server, user=town.users["planner"], login=login)
    set_view(page, lat, lng, 18)
    assert page.locator('.layer-tree .layer-export[data-layer="parcels"]').is_visible()
    page.select_option('.layer-tree .layer-export[data-layer="parcels"] select', "csv")
    href = page.get_attribute('.layer-tree .layer-export[data-layer="parcels"] a', "href")
    url = urlparse(href)
    assert url.path == "/ogc/collections/parcels/export.csv"
    west, south, east, north = map(float, parse_qs(url.query)["bbox"][0].split(","))
    assert west < lng < east and south < lat < north
    r = page.request.get(demo_server.url + href)
    assert r.status == 200
    body = r.text()
    assert town.parcel.cadastral_id in body
    # only the view: far fewer plots than the town
    from layers.models import Parcel

    assert 1 <= body.count("\n") - 1 < Parcel.objects.filter(retired_at__isnull=True).count()
    assert_clean(page_log)


# --- search ---------------------------------------------------------------------------------

def test_search_autocompletes_while_typing(demo_town, demo_server, new_page, page_log, login):
    town = demo_town
    page = open_map(new_page, demo_server, user=town.users["planner"], login=login)
    responses = []
    page.on("response", lambda r: "/api/search" in r.url and responses.append(r.url))
    page.type("#search-q", town.parcel.cadastral_id, delay=15)  # fast typing: one request
    page.wait_for_selector(f'#search-results a[data-id="{town.parcel.id}"]')
    assert len(responses) <= 2, responses  # debounced: not one request per keystroke
    assert page.get_attribute("#search-q", "aria-expanded") == "true"
    message = page.text_content("#search-message")
    assert re.search(r"\d", message)  # the count
    # keyboard: arrow down to the option, Enter opens its card
    page.focus("#search-q")
    options = page.eval_on_selector_all("#search-results [role=option] a",
                                        "as => as.map(a => a.dataset.id)")
    for _ in range(options.index(str(town.parcel.id)) + 1):
        page.keyboard.press("ArrowDown")
    assert page.get_attribute("#search-q", "aria-activedescendant").startswith("search-option-")
    page.keyboard.press("Enter")
    wait_for_card(page, town.parcel.cadastral_id)
    # the list as a file
    files = page.eval_on_selector_all(".search-export a", "as => as.map(a => a.href)")
    csv_link = next(u for u in files if "parcels.csv" in u)
    r = page.request.get(csv_link)
    assert r.status == 200 and town.parcel.cadastral_id in r.text()
    screenshot(page, "search-autocomplete")

    # a slow answer is abandoned when the user types on: the stale request is aborted and only
    # the newest answer is shown
    held = []
    page.route(lambda url: "q=18&" in url, lambda route: held.append(route))
    page.fill("#search-q", "")
    page.type("#search-q", "18", delay=10)
    page.wait_for_function(
        "() => document.getElementById('search-form').hasAttribute('aria-busy')")
    assert page.text_content("#search-message")  # the loading state says so
    page.wait_for_timeout(100)
    assert held, "the request for '18' is held by the test"
    page.type("#search-q", "0501", delay=10)
    page.wait_for_function(
        "() => !document.getElementById('search-form').hasAttribute('aria-busy')")
    assert page.evaluate("window.geogmina.state.search.q") == "180501"
    assert any("q=18&" in u for u in page_log.failed_requests)  # aborted by the page
    shown = page.text_content("#search-message")
    for route in held:
        with contextlib.suppress(Exception):  # the browser already dropped the aborted request
            route.continue_()
    page.wait_for_timeout(200)
    assert page.text_content("#search-message") == shown
    assert_clean(page_log)


def contract_page(route) -> None:
    """Pass the search API's real answer; while the backend predates the paging contract
    (CONTRACTS.md: count, page, pages), cut its real results into the asked page."""
    import json as _json

    response = route.fetch()
    data = response.json()
    if "pages" not in data:
        q = parse_qs(urlparse(route.request.url).query)
        page, size = int(q.get("page", ["1"])[0]), int(q.get("page_size", ["20"])[0])
        results = data["results"]
        data.update(count=len(results), page=page, pages=max(1, -(-len(results) // size)),
                    results=results[(page - 1) * size:page * size])
    route.fulfill(response=response, body=_json.dumps(data),
                  headers={**response.headers, "content-type": "application/json"})


def test_search_results_come_with_count_and_pages(demo_town, demo_server, new_page, page_log,
                                                  login):
    town = demo_town
    page = open_map(new_page, demo_server, user=town.users["planner"], login=login)
    page.route("**/api/search?*", contract_page)
    page.evaluate("window.geogmina.state.config.searchPageSize = 5")
    asked = []
    page.on("request", lambda r: "/api/search" in r.url and asked.append(r.url))
    page.fill("#search-q", town.address.locality)  # every address of the town: many pages
    page.press("#search-q", "Enter")
    page.wait_for_selector("#search-pager .page-next")
    first = page.eval_on_selector_all("#search-results a", "as => as.map(a => a.dataset.id)")
    assert len(first) == 5
    message = page.text_content("#search-message")
    count, pages = (int(v) for v in re.search(r"(\d+)\D+1\D+(\d+)", message).groups())
    assert count > 5 and pages == -(-count // 5)
    assert page.is_disabled("#search-pager .page-prev")
    page.click("#search-pager .page-next")
    page.wait_for_function("() => window.geogmina.state.search.page === 2 && "
                           "!document.getElementById('search-form').hasAttribute('aria-busy')")
    second = page.eval_on_selector_all("#search-results a", "as => as.map(a => a.dataset.id)")
    assert second and not set(second) & set(first)
    assert "page=2" in asked[-1] and "page_size=5" in asked[-1]
    assert re.search(r"\b2\D+" + str(pages), page.text_content("#search-message"))
    assert_clean(page_log)


def test_search_page_offers_the_list_as_a_file(demo_town, demo_server, new_page, page_log,
                                               login):
    town = demo_town
    page = new_page()
    login(page.context, town.users["planner"], demo_server.url)
    page.goto(demo_server.url + "/search/?q=" + town.parcel.cadastral_id)
    href = page.get_attribute('.search-export a[href*="parcels.csv"]', "href")
    r = page.request.get(demo_server.url + href)
    assert r.status == 200 and town.parcel.cadastral_id in r.text()
    public = new_page()
    public.goto(demo_server.url + "/search/?q=" + town.parcel.cadastral_id)
    assert public.locator(".search-export").count() == 0
    assert_clean(page_log)


def test_a_permalink_asks_only_for_the_tiles_of_its_view(demo_town, demo_server, new_page,
                                                         page_log):
    """The server opens the map on the permalink's view, layers and base map: the first tiles
    asked for are the ones shown, none at the town's zoom first (speed is measured in
    docs/benchmarks.md, not asserted here)."""
    (lat, lng), _ = plot_point(demo_town)
    page = new_page()
    asked = []
    page.on("request", lambda r: "/tiles/" in r.url and asked.append(urlparse(r.url).path))
    page.goto(demo_server.url + f"/?c={lat:.6f},{lng:.6f}&z=18&layers=parcels&base=plain")
    page.wait_for_load_state("networkidle")
    # 512-pixel tiles: the MVT tiles one zoom out of the map's
    assert asked and all(p.startswith("/tiles/parcels/17/") for p in asked), asked
    assert map_view(page)["zoom"] == 18
    assert page.evaluate("window.geogmina.state.baseKey") == "plain"
    assert page_log.external_requests == [] and page_log.console_errors == []


# --- phone ----------------------------------------------------------------------------------

def map_share(page) -> float:
    """The part of the screen where the map is seen (its box less what covers it)."""
    return page.evaluate("""() => {
        const vw = innerWidth, vh = innerHeight;
        const m = document.getElementById('map-container').getBoundingClientRect();
        const s = document.getElementById('sidebar').getBoundingClientRect();
        const top = Math.max(0, m.top), bottom = Math.min(vh, m.bottom);
        const covered = Math.max(0, Math.min(bottom, s.bottom) - Math.max(top, s.top));
        return (Math.min(vw, m.right) - Math.max(0, m.left)) * (bottom - top - covered)
               / (vw * vh); }""")


def assert_no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # an element past the right edge counts unless a scrolling or clipping box holds it
    wide = page.evaluate("""(w) => [...document.querySelectorAll('body *')]
        .filter(e => e.offsetParent !== null && !e.closest('.leaflet-pane'))
        .filter(e => { const r = e.getBoundingClientRect(); return r.width && r.right > w + 1; })
        .filter(e => { for (let a = e.parentElement; a && a !== document.body;
                            a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible'
                && a.getBoundingClientRect().right <= w + 1) return false; }
            return true; })
        .map(e => e.tagName + '.' + e.className)""", width)
    assert wide == []


def test_phone_map_panels_collapsed_and_card_as_bottom_sheet(demo_town, demo_server, new_page,
                                                             page_log, login):
    town = demo_town
    page = new_page(viewport=PHONE)
    login(page.context, town.users["planner"], demo_server.url)
    page.goto(demo_server.url + "/")
    page.wait_for_function("() => window.geogmina && window.geogmina.state.map")
    # layer panel and legend are buttons until opened
    assert not page.locator(".layer-tree .panel-body").is_visible()
    assert not page.locator(".legend .panel-body").is_visible()
    assert page.locator(".layer-tree .panel-toggle").is_visible()
    assert map_share(page) >= 0.70
    assert_no_overflow(page, PHONE["width"])
    page.click(".layer-tree .panel-toggle")
    assert page.locator('.layer-tree input[type=checkbox][data-layer="parcels"]').is_visible()
    assert_no_overflow(page, PHONE["width"])
    screenshot(page, "phone-layers", docs=True)
    page.click(".layer-tree .panel-toggle")

    (lat, lng), _ = plot_point(town)
    set_view(page, lat, lng, 18)
    click_at(page, lat, lng)
    wait_for_card(page, town.parcel.cadastral_id)
    sheet = page.locator("#sidebar").bounding_box()
    assert page.evaluate("document.getElementById('sidebar').classList.contains('sheet-open')")
    assert sheet["y"] > PHONE["height"] * 0.4
    assert sheet["y"] + sheet["height"] <= PHONE["height"] + 1
    assert_no_overflow(page, PHONE["width"])
    screenshot(page, "phone-card", docs=True)
    page.click("#sheet-toggle")  # the sheet folds back and gives the map back
    page.wait_for_timeout(100)
    assert map_share(page) >= 0.70
    assert_clean(page_log)
