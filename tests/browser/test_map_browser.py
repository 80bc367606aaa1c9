"""The map in headless Chromium against a live server holding the demo town.

The town is loaded once for this module (``demo_town``); every test opens its own browser
context. Asserted: no console error and no request leaving 127.0.0.1; parcel tiles arrive and
paint the canvas; a click opens the right card; search by id, by address typed without
diacritics and by KW number zooms to the plot; owners are shown by role.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
# issue #17 asks for the first tiles of the map in under 1 s p95 (the tile requests the first
# view makes, request start to last byte, as the browser's performance entries time them). With
# 256-pixel tiles the first view asked for 40 and they queued behind each other (987 ms – 2.8 s
# at load 10–22, ~1 s of it outside the view); 512-pixel tiles ask for 12: 650 ms at load 10.6.
# The test asserts a floor with room for a heavier load (1.5 s) and prints the figure and where
# the time goes (Server-Timing); docs/benchmarks.md keeps the measurements.
FIRST_TILES_GOAL_MS = 1000
FIRST_TILES_P95_MS = 1500


def open_map(new_page, server, path: str = "/", user=None, login=None):
    page = new_page()
    if user is not None:
        login(page.context, user, server.url)
    page.goto(server.url + path)
    page.wait_for_selector(".leaflet-container")
    page.wait_for_function("() => window.geogmina && window.geogmina.state.map")
    return page


def map_view(page) -> dict:
    return page.evaluate("""() => { const m = window.geogmina.state.map, c = m.getCenter();
        return {lat: c.lat, lng: c.lng, zoom: m.getZoom()}; }""")


def assert_clean(page_log) -> None:
    assert page_log.console_errors == []
    assert page_log.external_requests == []


def wait_for_card(page, cadastral_id: str):
    return page.wait_for_selector(f'#card .parcel-card[data-cadastral-id="{cadastral_id}"]')


def assert_zoomed_to(page, town) -> None:
    page.wait_for_function("() => window.geogmina.state.map.getZoom() >= 17")
    view = map_view(page)
    bbox = page.get_attribute("#card .parcel-card", "data-bbox").split(",")
    west, south, east, north = map(float, bbox)
    assert west <= view["lng"] <= east and south <= view["lat"] <= north


def test_map_loads_offline_and_paints_parcel_tiles(demo_town, demo_server, new_page, page_log,
                                                   settings):
    settings.GEOGMINA_SERVER_TIMING = True  # the tiles say how long the server worked on them
    page = new_page()
    tiles = []
    page.on("response", lambda r: "/tiles/parcels/" in r.url and tiles.append(r))
    page.goto(demo_server.url + f"/?parcel={demo_town.parcel.id}")
    page.wait_for_selector(".leaflet-container")
    wait_for_card(page, demo_town.parcel.cadastral_id)
    page.wait_for_load_state("networkidle")
    assert tiles and all(r.status == 200 for r in tiles)
    assert all(r.headers["content-type"] == "application/vnd.mapbox-vector-tile" for r in tiles)
    # the first tiles of the map, as the browser timed them (issue #17: p95 under 1 s)
    timing = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/tiles/') || e.name.includes('/rasters/tiles/'))
        .map(e => ({url: e.name, start: e.startTime, end: e.responseEnd,
                    took: e.responseEnd - e.startTime,
                    server: Object.fromEntries((e.serverTiming || [])
                        .map(t => [t.name, t.duration]))}))""")
    took = sorted(t["took"] for t in timing)

    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, round(p * (len(values) - 1)))]

    p95 = pct(took, 0.95)
    view = [t["server"].get("view", 0) for t in timing]
    work = [t["server"].get("db", t["server"].get("render", 0)) for t in timing]
    outside = [t["took"] - t["server"].get("view", 0) for t in timing]
    print(f"first tiles: {len(took)} requests, p50 {pct(took, 0.5):.0f} ms, "
          f"p95 {p95:.0f} ms, last arrived {max(t['end'] for t in timing):.0f} ms "
          f"after navigation; load average {os.getloadavg()}")
    # where the time goes: the view (its SQL or raster rendering) against the rest (the
    # request waiting for the live server's thread, a new database connection, the network)
    print(f"first tiles: in the view p50/p95 {pct(view, 0.5):.0f}/{pct(view, 0.95):.0f} ms "
          f"(SQL or rendering {pct(work, 0.5):.0f}/{pct(work, 0.95):.0f} ms), outside it "
          f"p50/p95 {pct(outside, 0.5):.0f}/{pct(outside, 0.95):.0f} ms; "
          f"layers: {sorted({t['url'].split('/tiles/')[1].split('/')[0] for t in timing})}")
    print("first tiles: goal " + ("met" if p95 < FIRST_TILES_GOAL_MS else "NOT met")
          + f" ({FIRST_TILES_GOAL_MS} ms)")
    assert len(took) >= 4 and p95 < FIRST_TILES_P95_MS, (p95, timing)
    # the vector tiles (canvas tiles of VectorGrid, not the highlight) are painted
    page.wait_for_function("""() => [...document.querySelectorAll('canvas.leaflet-tile')]
        .some(c => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
          return false; })""")
    assert page.locator(".leaflet-control.layer-tree").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control.legend").count() == 1
    page.mouse.move(500, 400)
    assert page.input_value(".leaflet-control.coords select") == "EPSG:2180"
    coords = page.text_content(".leaflet-control.coords .coords-readout").replace("\u00a0", " ")
    assert coords.startswith("X ") and "  Y " in coords
    # the picture for the README: the plot among its neighbours
    page.evaluate("window.geogmina.state.map.setZoom(17, {animate: false})")
    page.wait_for_load_state("networkidle")
    # the orthophoto's tiles render on demand: the picture waits for all of them (a picture
    # with a missing tile is still a picture; the test is about the map)
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function("""() => [...document.querySelectorAll('img.leaflet-tile')]
            .every(i => i.complete && i.classList.contains('leaflet-tile-loaded'))""",
                               timeout=15_000)
    page.wait_for_timeout(500)
    screenshot(page, "map", docs=True)
    assert_clean(page_log)


def test_clicking_a_plot_opens_its_card(demo_town, demo_server, new_page, page_log, login):
    town = demo_town
    page = open_map(new_page, demo_server, f"/?parcel={town.parcel.id}",
                    user=town.users["planner"], login=login)
    wait_for_card(page, town.parcel.cadastral_id)
    page.evaluate("document.getElementById('card').innerHTML = ''")
    point = page.evaluate(
        "([lat, lng]) => window.geogmina.state.map.latLngToContainerPoint([lat, lng])",
        [town.centroid.y, town.centroid.x])
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    card = wait_for_card(page, town.parcel.cadastral_id)
    assert town.parcel.cadastral_id in card.text_content()
    legal = page.text_content("#card .legal-area").replace("\u00a0", "").replace(" ", "")
    expected = f"{town.parcel.legal_area_m2:.2f}"
    assert expected in legal or expected.replace(".", ",") in legal
    page.wait_for_timeout(400)
    screenshot(page, "card", docs=True)
    assert_clean(page_log)


@pytest.mark.parametrize("how", ["id", "address", "kw"])
def test_search_zooms_to_the_plot(demo_town, demo_server, new_page, page_log, login, how):
    from layers.domain.text import normalize_text

    town = demo_town
    query = {
        "id": town.parcel.cadastral_id,
        # typed without Polish letters and in another case
        "address": normalize_text(f"{town.address.street} {town.address.house_number}").upper(),
        "kw": town.parcel.kw_numbers[0].lower(),
    }[how]
    page = open_map(new_page, demo_server, user=town.users["planner"], login=login)
    page.fill("#search-q", query)
    page.press("#search-q", "Enter")
    page.wait_for_selector("#search-results li")
    links = page.locator(f'#search-results a[data-id="{town.parcel.id}"]')
    assert links.count() == 1
    if page.locator("#search-results li").count() > 1:
        links.click()
    wait_for_card(page, town.parcel.cadastral_id)
    assert_zoomed_to(page, town)
    assert_clean(page_log)


def test_owner_names_by_role(demo_town, demo_server, new_page, page_log, login):
    town = demo_town
    path = f"/?parcel={town.parcel.id}"
    planner = open_map(new_page, demo_server, path, user=town.users["planner"], login=login)
    wait_for_card(planner, town.parcel.cadastral_id)
    assert planner.locator("#card .owners-hidden").count() == 1
    assert town.owner.name not in planner.text_content("#card")

    officer = open_map(new_page, demo_server, path, user=town.users["property_officer"],
                       login=login)
    wait_for_card(officer, town.parcel.cadastral_id)
    names = officer.locator("#card .owner-name").all_text_contents()
    assert town.owner.name in names
    screenshot(officer, "card-property-officer")
    assert_clean(page_log)
