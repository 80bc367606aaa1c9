"""Stored XSS (issue #14): data that holds HTML is shown as text on every page that shows it, no
script of it runs, every page carries the Content-Security-Policy, and the pages still work
under it (no policy violation at all, no console error).

The hostile texts are written straight into the database (the importer now refuses such
parcel ids; other fields take free text): a parcel id, an owner, a street, a lessee, a parking
zone and a landscape area each hold ``<img src=x onerror=…>``. Leaflet inserts a string tooltip
as HTML, so the tooltips are hovered for real.
"""

from __future__ import annotations

import pytest
from pyproj import Transformer

from gis_app.accounts.roles import Role
from tests.browser.conftest import screenshot
from tests.conftest import square

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

X, Y = 677_000.0, 211_000.0
TO_WGS84 = Transformer.from_crs(2180, 4326, always_xy=True)
PAYLOAD = "<img src=x onerror=__xss=1>"
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile));
"""


@pytest.fixture
def town(make_municipality, make_parcel):
    """The 60-plot fixture town with the registers' demo data and hostile texts in it."""
    from layers.domain.text import normalize_text
    from layers.models import Address, LandscapeArea, ParkingZone, RegistrationUnit, Share, Subject
    from registers.leases import demo as lease_demo
    from registers.leases.models import Lease

    town = make_municipality()
    plots = [make_parcel(str(i + 1), X + (i % 10) * 25, Y + (i // 10) * 25, size=25,
                         municipality=town) for i in range(60)]
    lease_demo.load_demo(town)
    hostile = plots[22]
    hostile.cadastral_id = f"{hostile.precinct.teryt}.{PAYLOAD}"
    unit = RegistrationUnit.objects.create(
        municipality=town, unit_id=f"{hostile.precinct.teryt}.G1", kind="G", group=1,
        source_namespace="test", local_id="ru-x")
    owner = Subject.objects.create(municipality=town, kind="person", name=f"Nowak {PAYLOAD}",
                                   search_text=normalize_text(f"Nowak {PAYLOAD}"),
                                   source_namespace="test", local_id="subj-x")
    Share.objects.create(municipality=town, kind="ownership", numerator=1, denominator=1,
                         subject=owner, registration_unit=unit, source_namespace="test",
                         local_id="share-x")
    street = Address.objects.create(
        municipality=town, locality="Jasło", street=f"Długa {PAYLOAD}", house_number="1",
        search_text=normalize_text(f"Długa {PAYLOAD} 1 Jasło"), source_namespace="test",
        local_id="addr-x")
    hostile.registration_unit = unit
    hostile.save()
    hostile.addresses.add(street)
    ParkingZone.objects.create(municipality=town, code="A", name=f"Strefa {PAYLOAD}",
                               kind=ParkingZone.Kind.ORDINARY, geom=square(X, Y, 250),
                               source_namespace="test", local_id="zone-x")
    LandscapeArea.objects.create(municipality=town, code="K1", name=f"Park {PAYLOAD}",
                                 kind="cultural_park", geom=square(X, Y, 250),
                                 source_namespace="test", local_id="area-x")
    assert Lease.objects.filter(municipality=town).update(lessee_name=f"Firma {PAYLOAD}")
    # a raster's label and attribution are typed in: the map's layer control shows the label
    # (an elevation model: its hillshade is offered, not shown, so no tile is fetched)
    from layers.rasters.models import Raster

    Raster.objects.create(name="dem-x", label=f"NMT {PAYLOAD}", attribution=f"GUGiK {PAYLOAD}",
                          kind=Raster.Kind.ELEVATION, municipality=town, file_path="none.tif",
                          footprint=square(X, Y, 500), resolution_m=1.0, width=500, height=500,
                          band_count=1, dtype="float32", source_crs="EPSG:2180")
    return town, hostile


def _open(page, url: str):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split(
        "script-src")[1].split(";")[0], (url, policy)
    return response


def _assert_nothing_ran(page, page_log, where: str) -> None:
    page.wait_for_timeout(300)  # an <img src=x> would fail and fire its handler by now
    assert page.evaluate("typeof window.__xss") == "undefined", f"{where}: a script ran"
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0, \
        f"{where}: data became an element"
    assert page.evaluate("window.__csp") == [], f"{where}: {page.evaluate('window.__csp')}"
    assert page_log.console_errors == [], f"{where}: {page_log.console_errors}"
    assert page_log.external_requests == []


def _hover(page, map_name: str, x: float, y: float) -> str:
    """Hover the point (PL-1992) on the Leaflet map ``window[map_name]``; the tooltip's text."""
    lon, lat = TO_WGS84.transform(x, y)
    px, py = page.evaluate(
        """([name, lat, lon]) => {
            const m = name === "leaseMap" ? window.leaseMap.map : window[name];
            const p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""", [map_name, lat, lon])
    page.mouse.move(px - 3, py - 3)
    page.mouse.move(px, py)
    tip = page.wait_for_selector(".leaflet-tooltip")
    return tip.text_content()


def test_hostile_texts_are_shown_as_text_and_run_nothing(live_server, new_page, page_log, login,
                                                        make_user, town):
    town, hostile = town
    officer = make_user("officer", town, (Role.PROPERTY_OFFICER, Role.LANDSCAPE_INSPECTOR))
    page = new_page(locale="en-GB")
    page.add_init_script(WATCH)
    login(page.context, officer, live_server.url)
    base = live_server.url

    # the map page: folium's nonced scripts run (the map works), the card shows the texts
    _open(page, f"{base}/?parcel={hostile.id}")
    page.wait_for_function("() => window.geogmina && window.geogmina.state.map")
    card = page.wait_for_selector("#card .parcel-card")
    text = card.inner_text()
    assert PAYLOAD in text and f"Nowak {PAYLOAD}" in text and f"Długa {PAYLOAD}" in text
    layers = page.inner_text(".layer-tree")  # map.js's layer tree: base maps by name, as text
    assert f"NMT {PAYLOAD} (hillshade)" in layers, layers
    page.wait_for_function("() => document.querySelectorAll('canvas.leaflet-tile').length > 0")
    screenshot(page, "hostile-map-card")
    _assert_nothing_ran(page, page_log, "map card")

    # search results list the street and the owner as text
    page.fill("#search-q", "Długa")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results li, #card .parcel-card")
    _assert_nothing_ran(page, page_log, "map search")

    _open(page, f"{base}/search/?q=Nowak")
    assert f"Nowak {PAYLOAD}" in page.inner_text("main") or PAYLOAD in page.inner_text("main")
    _assert_nothing_ran(page, page_log, "search page")

    _open(page, f"{base}/parcels/{hostile.id}/print")
    assert f"Nowak {PAYLOAD}" in page.inner_text("main")
    _assert_nothing_ran(page, page_log, "printable card")

    # the lease list and the lease map's tooltip on the hostile plot
    _open(page, f"{base}/leases/")
    assert f"Firma {PAYLOAD}" in page.inner_text("main")
    _assert_nothing_ran(page, page_log, "lease list")
    _open(page, f"{base}/leases/new/?parcel={hostile.id}")
    page.wait_for_function("() => window.leaseMap && window.leaseMap.plots.getLayers().length > 0")
    hx, hy = X + (22 % 10) * 25 + 12.5, Y + (22 // 10) * 25 + 12.5
    assert _hover(page, "leaseMap", hx, hy) == hostile.cadastral_id
    screenshot(page, "hostile-lease-tooltip")
    _assert_nothing_ran(page, page_log, "lease map tooltip")

    # the parking calculator's and the inspector's map tooltips
    _open(page, f"{base}/parking/calculator/")
    page.wait_for_function("() => window.feeMap")
    assert PAYLOAD in _hover(page, "feeMap", X + 240, Y + 240)
    _assert_nothing_ran(page, page_log, "parking zone tooltip")
    _open(page, f"{base}/landscape/check/")
    page.wait_for_function("() => window.checkMap")
    assert PAYLOAD in _hover(page, "checkMap", X + 240, Y + 240)
    _assert_nothing_ran(page, page_log, "landscape area tooltip")
