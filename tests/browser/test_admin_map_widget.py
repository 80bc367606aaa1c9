"""The admin's geometry widget runs under the Content-Security-Policy: its options come from a
JSON block and layers/offline_map_widget.js starts Django's MapWidget (no inline script)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_geometry_widget_starts_without_inline_script(live_server, new_page, page_log,
                                                            login, admin_user, make_parcel):
    plot = make_parcel("1", 677_000, 211_000, size=40)
    page = new_page(locale="en-GB")
    page.add_init_script("""window.__csp = [];
        document.addEventListener("securitypolicyviolation",
            (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));""")
    missing = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    login(page.context, admin_user, live_server.url)
    response = page.goto(f"{live_server.url}/admin/layers/parcel/{plot.id}/change/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".dj_map .ol-viewport")
    module = page.evaluate(
        "document.querySelector('script.geogmina-map-widget').dataset.module")
    # the widget read the stored geometry into its map
    assert page.evaluate(f"window['{module}'].featureCollection.getLength()") == 1
    assert page.evaluate("window.__csp") == []
    # the admin has no favicon link: Chromium's own /favicon.ico request (not a page request)
    # is the only 404 allowed
    assert missing == []
    assert [e for e in page_log.console_errors if "404" not in e] == []
    assert page_log.external_requests == []
