"""The zone manager's walk: the revenue page draws its charts (Chart.js served by the app) with
the new tariff's marker and the before/after table, then the map's occupancy layer is switched
on and its tiles and legend appear. Nothing is fetched from outside."""

from datetime import datetime, time, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from gis_app.accounts.roles import Role
from registers.parking import demo, operators
from registers.parking.models import ParkingSession, Tariff, ZoneCapacity
from registers.parking.occupancy import refresh_zone_occupancy
from registers.parking.services import tariff_save
from tests.browser.conftest import screenshot
from tests.db.test_parking_register import zone
from tests.db.test_permission_matrix import tile_xyz

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MARKER = (216, 27, 96)  # revenue.js COLOURS.marker (#d81b60)


def _world(make_municipality, make_user):
    town = make_municipality("146301_1", "Radom")
    z = zone(town)
    today = timezone.localdate()
    change = today - timedelta(days=10)
    old = tariff_save(None, Tariff(zone=z, **{**demo.RADOM, "paid_weekdays": "0-6",
                                              "valid_from": today - timedelta(days=60),
                                              "valid_to": change - timedelta(days=1)}), [])
    new = tariff_save(None, Tariff(zone=z, **{**demo.RADOM, "paid_weekdays": "0-6",
                                              "valid_from": change,
                                              "resolution_number": "NOWA/2026"}), [])
    ZoneCapacity.objects.create(zone=z, bays=4)
    op, _token = operators.operator_create("moBILET", [town])
    tz = timezone.get_current_timezone()
    for back in range(0, 31):
        day = today - timedelta(days=back)
        for i, hour in enumerate((9, 12, 15)):
            start = timezone.make_aware(datetime.combine(day, time(hour)), tz)
            ParkingSession.objects.create(
                operator=op, external_id=f"R-{back}-{i}", municipality=town, zone=z,
                tariff=new if day >= change else old, plate=f"RZ{back}{i}", start_time=start,
                end_time=start + timedelta(minutes=90 if day >= change else 45),
                amount=D("5.40") if day >= change else D("2.70"), fee=D("0"),
                start_digest="-")
    refresh_zone_occupancy({town.pk})
    make_user("zarzad", town, (Role.PARKING_MANAGER,))
    return z, change


def test_manager_sees_charts_with_the_tariff_marker_and_the_occupancy_layer(
        live_server, browser, page_log, make_municipality, make_user):
    z, change = _world(make_municipality, make_user)
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="pl-PL")
    page = ctx.new_page()
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda e: page_log.console_errors.append(str(e)))
    page.on("request", lambda r: r.url.startswith("http") and "127.0.0.1" not in r.url
            and "localhost" not in r.url and page_log.external_requests.append(r.url))
    page.set_default_timeout(20_000)
    try:
        page.goto(live_server.url + "/accounts/login/?next=/parking/revenue/")
        page.fill("input[name=username]", "zarzad")
        page.fill("input[name=password]", "pw-zarzad")
        page.click("form button[type=submit]")
        page.wait_for_selector("#rev-charts[data-drawn='1']")
        drawn = page.evaluate("""() => ['chart-daily', 'chart-hourly'].map(id => {
            const c = document.getElementById(id), ctx = c.getContext('2d');
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            let ink = 0;
            for (let i = 3; i < px.length; i += 16) if (px[i] > 0) ink++;
            return {w: c.width, h: c.height, ink: ink};
        })""")
        assert all(d["w"] > 300 and d["h"] > 100 and d["ink"] > 500 for d in drawn), drawn
        # the marker: a vertical line of the marker's colour at the new tariff's day
        found = page.evaluate("""(day) => {
            const chart = Chart.getChart('chart-daily');
            const note = chart.options.plugins.annotation.annotations.tariff0;
            const x = Math.round(chart.scales.x.getPixelForValue(chart.data.labels.indexOf(day))
                                 * chart.currentDevicePixelRatio);
            const ctx = chart.canvas.getContext('2d'), a = chart.chartArea;
            let hits = 0;
            for (let y = Math.round(a.top * chart.currentDevicePixelRatio);
                 y < a.bottom * chart.currentDevicePixelRatio; y += 2) {
                for (let dx = -1; dx <= 1; dx++) {
                    const p = ctx.getImageData(x + dx, y, 1, 1).data;
                    if (Math.abs(p[0] - 216) < 40 && Math.abs(p[1] - 27) < 40
                        && Math.abs(p[2] - 96) < 40) { hits++; break; }
                }
            }
            return {value: note.value, hits: hits};
        }""", change.isoformat())
        assert found["value"] == change.isoformat() and found["hits"] > 10, found
        rows = page.locator("#rev-tariff-changes tbody tr")
        assert rows.count() == 2
        before, after = rows.nth(0).inner_text(), rows.nth(1).inner_text()
        assert "NOWA/2026" in before and "przed" in before and "po" in after
        # three sessions a day: 8.10 zł before, 16.20 zł after (paid every day)
        assert "8,10" in before and "16,20" in after
        screenshot(page, "parking_revenue_charts")

        c = z.geom.centroid.transform(4326, clone=True)
        page.goto(f"{live_server.url}/?c={c.y},{c.x}&z=15")
        box = page.locator(".layer-tree input[type=checkbox][data-layer='parking_occupancy']")
        # 512-pixel tiles: at map zoom 15 the grid asks for the zoom-14 tile (map_ui/views.py)
        _z, x, y = tile_xyz(c.x, c.y, 14)
        with page.expect_response(lambda r: f"/tiles/parking_occupancy/14/{x}/{y}.pbf" in r.url
                                  ) as tile:
            box.check()
        assert tile.value.status == 200
        # the tile the map asked for holds the zone with its occupancy class (read again
        # through the page: Playwright does not keep the bodies of the grid's array buffers)
        text = page.evaluate("""(u) => fetch(u).then(r => r.arrayBuffer())
            .then(b => new TextDecoder('latin1').decode(b))""", tile.value.url)
        assert "parking_occupancy" in text and "low" in text and "Strefa A" in text
        legend = page.locator(".legend-layer[data-layer='parking_occupancy']")
        legend.wait_for()
        assert legend.locator(".legend-sub").count() == 5
        assert "poniżej 50 %" in legend.inner_text()
        screenshot(page, "parking_occupancy_layer")
        assert not page_log.external_requests, page_log.external_requests
        assert not page_log.console_errors, page_log.console_errors
    finally:
        ctx.close()
