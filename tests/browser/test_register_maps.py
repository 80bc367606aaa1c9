"""Context on every map, in headless Chromium against the demo town: the registers' maps show the
app's base map and "zoom to plot"; the investment offer and the landscape areas get a map of
their plots; plot ids link to the main map (reconciliation cases too); register lists offer
their exports; the boards list fits a phone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_map_browser import wait_for_card

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def staff(demo_town, django_db_blocker):
    """A landscape inspector and a tax officer of the demo town."""
    from django.contrib.auth import get_user_model

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role

    users = {}
    with django_db_blocker.unblock():
        for role in (Role.LANDSCAPE_INSPECTOR, Role.TAX_OFFICER):
            user, _ = get_user_model().objects.get_or_create(username=f"browser_{role}")
            grant(user, demo_town.parcel.municipality, [role])
            users[str(role)] = user
    return users


def open_page(new_page, server, path, user=None, login=None, viewport=None):
    page = new_page(viewport=viewport) if viewport else new_page()
    if user is not None:
        login(page.context, user, server.url)
    page.goto(server.url + path)
    return page


def plot_in_view(page, map_expr: str, parcel) -> bool:
    c = parcel.geom.point_on_surface.transform(4326, clone=True)
    return page.evaluate(f"([lat, lng]) => {map_expr}.getBounds().contains([lat, lng])",
                         [c.y, c.x])


def base_tiles_requested(page) -> bool:
    return page.evaluate("""() => performance.getEntriesByType('resource')
        .some(e => e.name.includes('/rasters/'))""")


def test_offer_list_has_a_public_map_of_its_plots_linking_to_the_map(demo_town, demo_server,
                                                                     new_page, page_log):
    from registers.leases.models import InvestmentOffer

    offers = list(InvestmentOffer.objects.filter(published=True))
    plots = {cid for o in offers for cid in o.cadastral_ids}
    page = open_page(new_page, demo_server, "/leases/offers/")
    page.wait_for_selector("#offers-map[data-count]")
    assert int(page.get_attribute("#offers-map", "data-count")) == len(plots)
    page.wait_for_load_state("networkidle")
    assert base_tiles_requested(page)  # the app's orthophoto under the plots
    screenshot(page, "offer-map", docs=True)
    links = page.eval_on_selector_all("table.offers a.plot-link", "as => as.map(a => a.href)")
    assert {parse_qs(urlparse(u).query)["parcel"][0] for u in links} == plots
    # the register list's existing exports are on the page
    assert page.locator('a[href*="export=csv"]').count() == 1
    first = sorted(plots)[0]
    page.click(f'table.offers a.plot-link[href$="parcel={first}"]')
    wait_for_card(page, first)
    assert page_log.console_errors == [] and page_log.external_requests == []


def test_lease_form_zooms_to_the_plot_in_the_plot_field(demo_town, demo_server, new_page,
                                                        page_log, login):
    town = demo_town
    page = open_page(new_page, demo_server, "/leases/new/", town.users["property_officer"],
                     login)
    page.wait_for_function("() => window.leaseMap && window.leaseMap.map")
    page.fill("#id_cadastral_ids", town.parcel.cadastral_id)
    page.click("button.zoom-to-plot")
    page.wait_for_function("() => window.leaseMap.map.getZoom() >= 17")
    assert plot_in_view(page, "window.leaseMap.map", town.parcel)
    page.wait_for_load_state("networkidle")
    assert base_tiles_requested(page)
    assert page_log.console_errors == [] and page_log.external_requests == []


@pytest.mark.parametrize(("path", "map_expr", "role"), [
    ("/parking/calculator/", "window.feeMap", None),
    ("/landscape/check/", "window.checkMap", "landscape_inspector"),
    ("/landscape/inspections/", "window.inspectionsMap", "landscape_inspector"),
])
def test_register_maps_have_base_map_and_zoom_to_plot(demo_town, demo_server, new_page,
                                                      page_log, login, staff, path, map_expr,
                                                      role):
    town = demo_town
    page = open_page(new_page, demo_server, path, staff.get(role), login)
    page.wait_for_function(f"() => {map_expr} !== undefined")
    assert page.locator(".leaflet-control.plot-search").count() == 1
    assert page.locator(".geo-locate button").count() == 1
    page.fill(".plot-search-q", town.parcel.cadastral_id)
    page.press(".plot-search-q", "Enter")
    page.wait_for_selector(f'.plot-search[data-found="{town.parcel.id}"]')
    assert plot_in_view(page, map_expr, town.parcel)
    assert page.evaluate(f"{map_expr}.getZoom()") >= 17
    if path == "/parking/calculator/":  # a click picks the point with X the northing (#17)
        box = page.locator("#fee-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        lat, lng = page.evaluate("() => [window.feeMap.getCenter().lat, "
                                 "window.feeMap.getCenter().lng]")
        assert abs(float(page.input_value("#id_x")) - lat) < 1e-4  # X: the latitude
        assert abs(float(page.input_value("#id_y")) - lng) < 1e-4
    page.wait_for_load_state("networkidle")
    assert base_tiles_requested(page)
    assert page_log.console_errors == [] and page_log.external_requests == []


def test_landscape_areas_map_and_exports(demo_town, demo_server, new_page, page_log, login):
    from layers.models import LandscapeArea

    page = open_page(new_page, demo_server, "/landscape/", demo_town.users["planner"], login)
    page.wait_for_selector("#areas-map[data-count]")
    areas = LandscapeArea.objects.filter(retired_at__isnull=True,
                                         municipality=demo_town.parcel.municipality).count()
    assert int(page.get_attribute("#areas-map", "data-count")) == areas
    href = page.get_attribute('.layer-exports a[href$="export.csv"]', "href")
    r = page.request.get(demo_server.url + href)
    assert r.status == 200 and r.text().count("\n") - 1 == areas
    assert page_log.console_errors == [] and page_log.external_requests == []


def test_reconciliation_cases_link_to_the_plot_on_the_map(demo_town, demo_server, new_page,
                                                          page_log, login, staff,
                                                          django_db_blocker):
    from decimal import Decimal

    from registers.taxes.models import ReconciliationCase

    town = demo_town.parcel.municipality
    with django_db_blocker.unblock():  # a case as the reconciliation records one
        case, _ = ReconciliationCase.objects.get_or_create(
            municipality=town, fingerprint=f"browser:{demo_town.parcel.cadastral_id}",
            defaults={"kind": ReconciliationCase.Kind.values[0],
                      "cadastral_id": demo_town.parcel.cadastral_id,
                      "estimated_loss": Decimal("123.45")})
    page = open_page(new_page, demo_server, f"/taxes/{town.id}/reconciliation/",
                     staff["tax_officer"], login)
    link = page.locator(f'a.plot-link[href$="parcel={case.cadastral_id}"]').first
    link.click()
    wait_for_card(page, case.cadastral_id)
    assert page_log.console_errors == [] and page_log.external_requests == []


def test_board_list_fits_a_phone(demo_town, demo_server, new_page, page_log, login, staff):
    page = open_page(new_page, demo_server, "/landscape/devices/",
                     staff["landscape_inspector"], login, viewport=PHONE)
    assert page.locator("table.devices tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "devices-phone")
    assert page_log.console_errors == [] and page_log.external_requests == []
