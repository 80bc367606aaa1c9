"""A property officer draws a leased area on the map with leaflet-draw (mouse clicks), saves
the lease and finds it on the plot's card; a planner reads it but cannot edit it."""

from __future__ import annotations

import re

import pytest
from pyproj import Transformer

from gis_app.accounts.roles import Role
from registers.leases.models import Lease
from tests.browser.conftest import screenshot

# serialized_rollback: the flush after a transactional test would drop rows seeded by
# migrations (housing standard, tax caps) for the tests that run after this one.
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DRAWN_KEPT = "() => window.leaseMap && window.leaseMap.drawn.getLayers().length === 1"
X, Y = 677_000.0, 211_000.0  # a 40 m plot of the fixture town (Jasło, PL-1992)
TO_WGS84 = Transformer.from_crs(2180, 4326, always_xy=True)


def screen_point(page, x: float, y: float) -> tuple[float, float]:
    """Where a PL-1992 point is on the screen (page pixels)."""
    lon, lat = TO_WGS84.transform(x, y)
    return page.evaluate(
        """([lat, lon]) => {
            const m = window.leaseMap.map, p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""", [lat, lon])


def test_officer_draws_saves_and_sees_it_on_the_card(live_server, new_page, page_log, login,
                                                     make_parcel, make_user):
    plot = make_parcel("1", X, Y, size=40)
    town = plot.municipality
    officer = make_user("officer", town, (Role.PROPERTY_OFFICER,))
    planner = make_user("planner", town, (Role.PLANNER,))

    page = new_page(locale="en-GB")
    login(page.context, officer, live_server.url)
    page.goto(f"{live_server.url}/leases/new/?parcel={plot.id}")
    page.wait_for_function("() => window.leaseMap && window.leaseMap.plots.getLayers().length > 0")
    page.click(".leaflet-draw-draw-polygon")
    corners = [(X + 10, Y + 10), (X + 30, Y + 10), (X + 30, Y + 30), (X + 10, Y + 30)]
    for x, y in corners:
        px, py = screen_point(page, x, y)
        page.mouse.move(px, py)
        page.mouse.click(px, py)
        # leaflet-draw ignores a click within 50 ms of the previous vertex; people are slower
        page.wait_for_timeout(150)
    px, py = screen_point(page, *corners[0])  # close the ring on the first vertex
    page.mouse.move(px, py)
    page.mouse.click(px, py)
    page.wait_for_function("() => document.getElementById('id_area_geojson').value.length > 0")
    assert page.input_value("#id_cadastral_ids") == plot.cadastral_id
    page.fill("#id_number", "GN.6845.12.2025")
    page.fill("#id_lessee_name", "Kwiaciarnia Róża")
    page.fill("#id_rent_amount", "150")
    page.fill("#id_start_date", "2025-05-01")
    # an end before the start is refused on its field, and the drawn area stays on the map
    # (issue #18: it vanished from the map after a refused save, though it was submitted)
    page.fill("#id_end_date", "2024-04-30")
    page.click("#save-lease")
    page.wait_for_selector("#id_end_date + ul.errorlist, .errorlist")
    page.wait_for_function(DRAWN_KEPT)
    assert "The end date cannot be before the start date." in page.inner_text("#lease-form")
    assert "leases_lease_end_after_start" not in page.content()
    assert page.input_value("#id_area_geojson")
    refused = [e for e in page_log.console_errors if "status of 400" in e]
    page_log.console_errors[:] = [e for e in page_log.console_errors if e not in refused]
    page.fill("#id_end_date", "2027-04-30")
    # the fixture's plot is not municipal: the save warns and asks for the reason
    page.click("#save-lease")
    page.wait_for_function(DRAWN_KEPT)
    assert "does not own" in page.inner_text("#lease-form")
    page_log.console_errors[:] = [e for e in page_log.console_errors if "status of 400" not in e]
    page.fill("#id_ownership_reason", "Umowa użyczenia z Nadleśnictwem, § 3")
    screenshot(page, "leases-drawn")
    page.click("#save-lease")
    page.wait_for_url(re.compile(r"/leases/\d+/$"))

    lease = Lease.objects.get(number="GN.6845.12.2025")
    assert lease.cadastral_ids == [plot.cadastral_id]
    assert lease.ownership_reason == "Umowa użyczenia z Nadleśnictwem, § 3"
    assert lease.area_m2 == pytest.approx(400, rel=0.05)  # 20 × 20 m, clicked to the pixel
    assert "Kwiaciarnia Róża" in page.inner_text(".leases-card")
    screenshot(page, "leases-detail")

    # the plot's card (the map's card fragment) carries the lease section
    # (fetched as the map does and shown in the page: the bare fragment has no favicon link)
    page.evaluate("""async (url) => {
        const html = await (await fetch(url)).text();
        document.body.insertAdjacentHTML("beforeend", `<div id="card">${html}</div>`);
    }""", f"/parcels/{plot.id}/card")
    assert "GN.6845.12.2025" in page.inner_text("#card .register-leases")

    # a planner reads the lease but may not edit it
    other = new_page(locale="en-GB")
    login(other.context, planner, live_server.url)
    other.goto(f"{live_server.url}/leases/{lease.pk}/")
    assert "Kwiaciarnia Róża" in other.inner_text(".lessee")
    assert other.locator("#edit-lease").count() == 0
    assert page_log.console_errors == []
    assert page_log.external_requests == []
    # (the 403 page below logs its own status, and the browser's favicon probe, as errors)
    response = other.goto(f"{live_server.url}/leases/{lease.pk}/edit/")
    assert response.status == 403
