"""The inspector on a phone (390×844): picks a point in zone A on the map, checks a 12 m² board,
sees "niezgodne" with the paragraph, saves the inspection and finds it on the register map."""

import pytest

from gis_app.accounts.roles import Role
from layers.models import LandscapeArea
from registers.landscape import demo
from registers.landscape.models import Inspection
from tests.browser.conftest import screenshot
from tests.conftest import square

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

X, Y = 677_000, 211_000
PHONE = {"width": 390, "height": 844}


def test_inspector_checks_and_saves_on_a_phone(live_server, new_page, page_log,
                                               make_municipality, make_user):
    town = make_municipality("146301_1", "Radom")
    for code, x in (("A", X), ("B", X + 300)):
        LandscapeArea.objects.create(
            municipality=town, kind=LandscapeArea.Kind.RESOLUTION_ZONE, code=code,
            name=f"Strefa {code}", geom=square(x, Y, 300), source_namespace="test",
            local_id=f"browser-{code}")
    demo.load_demo(town)
    make_user("inspektor", town, (Role.LANDSCAPE_INSPECTOR,))
    zone_a = LandscapeArea.objects.get(code="A").geom.centroid.transform(4326, clone=True)

    here = zone_a.y + 0.0001, zone_a.x + 0.0001  # the inspector stands in zone A
    page = new_page(viewport=PHONE, geolocation={"latitude": here[0], "longitude": here[1],
                                                 "accuracy": 8})
    page.goto(live_server.url + "/accounts/login/?next=/landscape/check/")
    page.fill("input[name=username]", "inspektor")
    page.fill("input[name=password]", "pw-inspektor")
    page.click("form button[type=submit]")
    page.wait_for_selector("#check-map .leaflet-overlay-pane path")

    # the map has the app's base maps (a switcher: plain background, …) and "my position",
    # which puts the inspector's place into the form: X is the latitude, Y the longitude
    assert page.locator("#check-map .leaflet-control-layers").count() == 1
    page.click("#check-map .geo-locate button")
    page.wait_for_function("() => document.getElementById('id_x').value !== ''")
    assert page.input_value("#id_srid") == "4326"
    assert abs(float(page.input_value("#id_x")) - here[0]) < 1e-6
    assert abs(float(page.input_value("#id_y")) - here[1]) < 1e-6
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "inspector-check-position-phone", docs=True)

    # tap the map in the middle of zone A: the form gets the WGS 84 coordinates
    px = page.evaluate("([lat, lng]) => { const p = window.checkMap.latLngToContainerPoint("
                       "[lat, lng]); return [p.x, p.y]; }", [zone_a.y, zone_a.x])
    page.locator("#check-map").click(position={"x": px[0], "y": px[1]})
    assert page.input_value("#id_srid") == "4326"
    assert abs(float(page.input_value("#id_x")) - zone_a.y) < 1e-4  # X: the latitude
    assert abs(float(page.input_value("#id_y")) - zone_a.x) < 1e-4
    page.select_option("#id_type", "board")
    page.fill("#id_area_m2", "12")
    page.fill("#id_height_m", "5")
    page.select_option("#id_mounting", "free_standing")
    page.click("#btn-check")

    outcome = page.wait_for_selector("#outcome")
    assert outcome.inner_text() == "niezgodne"
    failed = page.locator(".finding[data-verdict=fail]").all_inner_texts()
    assert any("12" in t and "2 m²" in t and "§ 5 ust. 1 uchwała Nr DEMO/146301_1/2024" in t
               for t in failed), failed
    # the page fits the phone: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#result").scroll_into_view_if_needed()
    screenshot(page, "inspector-check-phone")

    page.click("#btn-save")
    page.wait_for_selector("#saved-note")
    inspection = Inspection.objects.get()
    assert inspection.outcome == "fail" and inspection.inspector.username == "inspektor"
    assert page.locator(f"#inspection-{inspection.id}").inner_text().count("niezgodne") == 1
    marker = page.wait_for_selector(f"#inspections-map path.inspection-{inspection.id}")
    assert marker.is_visible()
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert f"#{inspection.id}" in popup.inner_text() and "niezgodne" in popup.inner_text()
    screenshot(page, "inspector-saved-phone")
    assert page_log.console_errors == []
    assert page_log.external_requests == []
