"""The parking controller on a phone (390×844) with the browser's GPS: a car with a paid session
may stand; a car without one gets a surcharge notice with a photo, stored with the controller."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from gis_app.accounts.roles import Role
from layers.domain.calendar import is_public_holiday
from registers.parking import demo, operators
from registers.parking.models import ParkingSession, SurchargeNotice, Tariff
from registers.parking.services import tariff_save
from tests.browser.conftest import screenshot
from tests.db.test_parking_register import zone

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 60, 200)).save(out, "JPEG")
    return out.getvalue()


def test_controller_checks_a_plate_and_issues_a_notice(live_server, browser, page_log,
                                                        make_municipality, make_user):
    today = timezone.localdate()
    if is_public_holiday(today):
        pytest.skip("a public holiday: nothing is charged today, so no notice can be issued")
    town = make_municipality("146301_1", "Radom")
    z = zone(town)
    # charged every day, all day: the check runs at the real time of the test
    tariff_save(None, Tariff(zone=z, **{**demo.RADOM, "paid_weekdays": "0-6",
                                        "paid_from": "00:00", "paid_to": "23:59"}), [])
    op, _token = operators.operator_create("moBILET", [town])
    now = timezone.now()
    ParkingSession.objects.create(
        operator=op, external_id="S-1", municipality=town, zone=z, tariff=z.tariffs.get(),
        plate="RZ12345", start_time=now - timedelta(minutes=20),
        end_time=now + timedelta(hours=1), amount="3.60", fee="3.60", start_digest="-")
    make_user("kontroler", town, (Role.PARKING_CONTROLLER,))
    here = z.geom.centroid.transform(4326, clone=True)

    ctx = browser.new_context(viewport=PHONE, locale="pl-PL", permissions=["geolocation"],
                              geolocation={"latitude": here.y, "longitude": here.x,
                                           "accuracy": 8})
    page = ctx.new_page()
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda e: page_log.console_errors.append(str(e)))
    page.on("request", lambda r: r.url.startswith("http") and "127.0.0.1" not in r.url
            and "localhost" not in r.url and page_log.external_requests.append(r.url))
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/accounts/login/?next=/parking/control/")
        page.fill("input[name=username]", "kontroler")
        page.fill("input[name=password]", "pw-kontroler")
        page.click("form button[type=submit]")
        page.wait_for_function("() => document.getElementById('ctl-lat').value !== ''")
        assert "Pozycja:" in page.inner_text("#ctl-position")

        page.fill("#ctl-plate", "rz 12345")
        page.click("#ctl-check-btn")
        page.wait_for_selector("#ctl-result.ok")
        assert "może tu stać" in page.inner_text("#ctl-result")
        assert "moBILET" in page.inner_text("#ctl-result")
        assert page.locator("#ctl-notice").is_hidden()

        # photograph-and-type: the camera's photo is shown while the plate is typed
        page.set_input_files("#ctl-snap", files=[
            {"name": "plate.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
        page.wait_for_selector("#ctl-snap-preview:not([hidden])")
        page.fill("#ctl-plate", "KR 1ABC")
        page.click("#ctl-check-btn")
        page.wait_for_selector("#ctl-result.bad")
        assert "BRAK ważnej opłaty" in page.inner_text("#ctl-result")
        # the road act's exemptions a controller may see on site are offered
        assert page.locator("#ctl-exempt button").count() >= 2
        assert "100.00 zł" in page.inner_text("#ctl-amount")
        page.set_input_files("#ctl-photos", files=[
            {"name": "car.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "parking-control-phone")
        page.click("#ctl-issue")
        page.wait_for_selector("#ctl-issued.ok")
        notice = SurchargeNotice.objects.get()
        assert notice.number in page.inner_text("#ctl-issued")
        assert notice.plate == "KR1ABC" and notice.controller.username == "kontroler"
        assert [p.content_type for p in notice.photos.all()] == ["image/jpeg"] * 2
        assert notice.geom.distance(z.geom.centroid) < 2
        screenshot(page, "parking-notice-issued-phone")
        assert page_log.console_errors == []
        assert page_log.external_requests == []
    finally:
        ctx.close()
