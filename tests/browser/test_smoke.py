"""The map page in a real browser: loads with no console errors and no request off 127.0.0.1."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_map_page_loads_offline(live_server, new_page, page_log, make_parcel):
    make_parcel("1", 677_000, 211_000, size=40)
    page = new_page()
    page.goto(live_server.url + "/")
    page.wait_for_selector(".leaflet-container")
    page.wait_for_selector(".leaflet-overlay-pane canvas")
    screenshot(page, "smoke-map")
    assert page_log.console_errors == []
    assert page_log.external_requests == []
