"""The inspector on a phone (390×844) at a board: its status in the register, a photo taken
on site, the notice that starts the proceedings and the penalty decision priced over its
period at each year's rates; the page never grows wider than the phone."""

from datetime import date

import pytest
from django.urls import get_resolver

from gis_app.accounts.roles import Role
from layers.models import LandscapeArea
from registers.landscape import demo
from registers.landscape.models import AdvertisingDevice, AdvertisingFeeRate, EnforcementStep
from tests.browser.conftest import screenshot
from tests.conftest import square

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

X, Y = 677_000, 211_000
PHONE = {"width": 390, "height": 844}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_inspector_takes_a_board_through_the_proceedings_on_a_phone(
        live_server, new_page, page_log, make_municipality, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    town = make_municipality("146301_1", "Radom")
    for code, x in (("A", X), ("B", X + 300)):
        LandscapeArea.objects.create(
            municipality=town, kind=LandscapeArea.Kind.RESOLUTION_ZONE, code=code,
            name=f"Strefa {code}", geom=square(x, Y, 300), source_namespace="test",
            local_id=f"browser-{code}")
    demo.load_demo(town)
    AdvertisingFeeRate.objects.filter(municipality=town).delete()  # the statutory caps apply
    board = AdvertisingDevice.objects.get(label=demo.BILLBOARD_A)
    AdvertisingDevice.objects.filter(pk=board.pk).update(placed_from=date(2025, 6, 1),
                                                         proceedings_started=None)
    make_user("inspektor", town, (Role.LANDSCAPE_INSPECTOR,))

    assert get_resolver().url_patterns  # the URL configuration loaded before the browser asks
    page = new_page(viewport=PHONE)
    page.goto(live_server.url + f"/accounts/login/?next=/landscape/devices/{board.pk}/")
    page.fill("input[name=username]", "inspektor")
    page.fill("input[name=password]", "pw-inspektor")
    page.click("form button[type=submit]")
    assert page.locator("#board-status").inner_text().strip() == "niezgodne"

    page.set_input_files("#photo-form input[name=photo]",
                         files=[{"name": "tablica.png", "mimeType": "image/png",
                                 "buffer": PNG}])
    page.fill("#photo-form input[name=taken_on]", "2025-12-30")
    page.click("#photo-form button[type=submit]")
    page.wait_for_selector("img[alt^='zdjęcie']")

    page.select_option("#step-form select[name=kind]", "notice")
    page.fill("#step-form input[name=number]", "ZN.6140.1.2025")
    page.fill("#step-form input[name=issued_on]", "2025-12-30")
    page.click("#step-form button[type=submit]")
    page.wait_for_selector("text=ZN.6140.1.2025")

    page.select_option("#step-form select[name=kind]", "penalty_decision")
    page.fill("#step-form input[name=number]", "D.6140.1.2026")
    page.fill("#step-form input[name=issued_on]", "2026-01-02")
    page.click("#step-form button[type=submit]")
    total = page.wait_for_selector(".penalty-total")
    # 2 days at 2025's caps (312.00 zł) + 2 days at 2026's (328.40 zł)
    assert total.inner_text().replace(",", ".") == "1280.80 zł"
    decision = EnforcementStep.objects.get(kind="penalty_decision")
    assert [ln["year"] for ln in decision.lines] == [2025, 2026]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "board-proceedings-phone")
    assert page_log.console_errors == []
    assert page_log.external_requests == []
