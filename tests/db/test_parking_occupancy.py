"""Revenue and estimated occupancy per zone, day and hour, worked by hand on four sessions
(one crossing an hour boundary, one crossing midnight), the tariff change's before/after, the
charts' JSON, the hourly XLSX, the map's occupancy layer and who may see any of it."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from registers.parking import demo, operators
from registers.parking.models import ParkingSession, Tariff, ZoneCapacity, ZoneOccupancy
from registers.parking.occupancy import hourly_rows, refresh_zone_occupancy
from registers.parking.services import tariff_save
from tests.db.test_parking_enforcement import world  # noqa: F401
from tests.db.test_permission_matrix import tile_xyz

pytestmark = pytest.mark.django_db
WAW = ZoneInfo("Europe/Warsaw")
MON, TUE = date(2026, 3, 2), date(2026, 3, 3)  # a Monday and a Tuesday, paid 8:00–18:00


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=WAW)


@pytest.fixture
def sessions(world, make_user):  # noqa: F811
    """Zone A of Radom with 2 bays and four sessions (local time):
    app   Mon 23:30 – Tue 00:30  1.00 zł  (crosses midnight: 30 min in each hour)
    app   Tue 10:30 – 11:15      3.00 zł  (crosses 11:00: 30 min + 15 min)
    meter Tue 10:00 – 11:00      3.60 zł  (the whole hour 10)
    app   Tue 12:00 – 12:20      1.20 zł
    and a new tariff in force from Tuesday (the before/after)."""
    za = world["za"]
    ZoneCapacity.objects.filter(zone=za).update(bays=2)
    meter, _token = operators.operator_create("Parkomaty", [world["radom"]], channel="meter")
    old = za.tariffs.get()
    Tariff.objects.filter(pk=old.pk).update(valid_to=MON)
    new = tariff_save(None, Tariff(zone=za, **{**demo.RADOM, "valid_from": TUE,
                                               "resolution_number": "NEW/2026"}), [])
    for i, (op, start, end, amount) in enumerate([
            (world["op"], at(MON, 23, 30), at(TUE, 0, 30), "1.00"),
            (world["op"], at(TUE, 10, 30), at(TUE, 11, 15), "3.00"),
            (meter, at(TUE, 10), at(TUE, 11), "3.60"),
            (world["op"], at(TUE, 12), at(TUE, 12, 20), "1.20")]):
        ParkingSession.objects.create(
            operator=op, external_id=f"occ-{i}", municipality=world["radom"], zone=za,
            tariff=old if start.date() == MON else new, plate=f"RZ{i}", start_time=start,
            end_time=end, amount=D(amount), fee=D(amount), start_digest="-")
    return {**world, "manager": make_user("mgr", world["radom"], ("parking_manager",))}


def _hour(rows, day, hour):
    (row,) = [r for r in rows if r["day"] == day and r["hour"] == hour]
    return row


def test_hourly_revenue_and_occupancy_worked_by_hand(sessions):
    rows = hourly_rows({sessions["radom"].pk}, MON, TUE, zone_id=sessions["za"].pk)
    assert len(rows) == 48 and all(r["bays"] == 2 for r in rows)
    h = _hour(rows, TUE, 10)  # started: 10:00 meter, 10:30 app; occupied 60 + 30 minutes
    assert (h["sessions"], h["app"], h["meter"], h["avg_minutes"]) == (2, D("3.00"),
                                                                       D("3.60"), 53)
    assert (h["occupied_minutes"], h["occupancy"], h["paid"]) == (90, D("75.0"), True)
    h = _hour(rows, TUE, 11)  # the 10:30 session's last 15 minutes, nothing started
    assert (h["sessions"], h["occupied_minutes"], h["occupancy"]) == (0, 15, D("12.5"))
    h = _hour(rows, MON, 23)  # crosses midnight: started here, 30 minutes each side
    assert (h["sessions"], h["app"], h["occupied_minutes"], h["paid"]) == (
        1, D("1.00"), 30, False)
    h = _hour(rows, TUE, 0)
    assert (h["sessions"], h["occupied_minutes"], h["occupancy"], h["paid"]) == (
        0, 30, D("25.0"), False)
    assert _hour(rows, TUE, 12)["occupancy"] == D("16.7")  # 20 / 120
    assert [r["hour"] for r in rows if r["day"] == TUE and r["paid"]] == list(range(8, 18))
    assert sum(r["occupied_minutes"] for r in rows) == 30 + 30 + 30 + 15 + 60 + 20


def test_the_charts_json_has_days_hours_and_the_tariff_change(client, sessions):
    client.force_login(sessions["manager"])
    q = {"zone": sessions["za"].pk, "from": "2026-03-02", "to": "2026-03-03"}
    r = client.get("/parking/revenue/data.json", q)
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["zone"]["code"] == "A" and d["zone"]["bays"] == 2 and len(d["hours"]) == 48
    mon, tue = d["days"]
    assert (mon["total"], mon["paid_hours"], mon["occupancy"]) == ("1.00", 10, "0.0")
    # Tuesday's paid hours 8–17: 60 + 30 + 15 + 20 = 125 occupied minutes of 2 × 600
    assert (tue["app"], tue["meter"], tue["total"], tue["occupancy"]) == (
        "4.20", "3.60", "7.80", "10.4")
    (change,) = d["tariff_changes"]
    assert change["date"] == "2026-03-03" and change["resolution"] == "NEW/2026"
    assert change["before"] == {"from": "2026-03-02", "to": "2026-03-02", "days": 1,
                                "revenue": "1.00", "occupancy": "0.0"}
    assert change["after"] == {"from": "2026-03-03", "to": "2026-03-03", "days": 1,
                               "revenue": "7.80", "occupancy": "10.4"}
    # the other town's zone, a zone that is no number, a backward period
    assert client.get("/parking/revenue/data.json", {**q, "zone": sessions["zb"].pk}
                      ).status_code == 404
    r = client.get("/parking/revenue/data.json", {**q, "zone": "A"})
    assert r.status_code == 400 and "zone" in r.json()["error"]
    r = client.get("/parking/revenue/data.json", {**q, "from": "2026-03-04"})
    assert r.status_code == 400 and "92" in r.json()["error"]
    for bad in ("3.03.2026", "2026-02-30"):
        r = client.get("/parking/revenue/data.json", {**q, "from": bad})
        assert r.status_code == 400 and "-MM-DD" in r.json()["error"]
    assert client.get("/parking/revenue/data.json", {**q, "zone": "9" * 30}).status_code == 400
    r = client.get("/parking/revenue/data.json", {**q, "from": "3.03.2026"})
    assert r.status_code == 400 and "-MM-DD" in r.json()["error"]


def test_the_hourly_table_and_xlsx(client, sessions):
    import openpyxl

    client.force_login(sessions["manager"])
    q = {"zone": sessions["za"].pk, "from": "2026-03-03", "to": "2026-03-03", "by": "hour"}
    html = client.get("/parking/revenue/", q).content.decode()
    assert 'id="chart-daily"' in html and "/static/vendor/chart.js/chart.umd.min.js" in html
    assert "<td>10:00</td>" in html and "75,0" in html
    r = client.get("/parking/revenue/", {**q, "format": "xlsx"})
    assert r.status_code == 200 and "hourly" in r["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 25
    header, ten = rows[0], rows[11]
    assert header[3] in ("godzina", "hour") and ten[3] == 10 and ten[4] is True
    assert (ten[5], float(ten[7]), float(ten[8]), ten[10], ten[11], float(ten[12])) == (
        2, 3.0, 3.6, 90, 2, 75.0)
    assert client.get("/parking/revenue/", {**q, "zone": "x"}).status_code == 400


@pytest.mark.parametrize("who,status", [("planner", 403), ("controller", 403), ("admin", 200),
                                        (None, 302)])
def test_only_the_zone_manager_and_the_administrator_see_revenue(client, sessions, who,
                                                                 status):
    if who:
        client.force_login(sessions[who])
    q = {"zone": sessions["za"].pk, "from": "2026-03-03", "to": "2026-03-03"}
    assert client.get("/parking/revenue/", q).status_code == status
    assert client.get("/parking/revenue/data.json", q).status_code == (status if who else 401)


def test_the_occupancy_layer_shows_the_managers_zones_only(client, sessions):
    za = sessions["za"]
    assert refresh_zone_occupancy({sessions["radom"].pk}, today=date(2026, 3, 4), days=2) >= 1
    occ = ZoneOccupancy.objects.get(zone=za)
    # 125 occupied paid minutes over 20 paid hours of 2 bays; sessions' revenue 8.80 zł
    assert (occ.paid_hours, occ.occupancy, occ.revenue) == (20, D("5.2"), D("8.80"))
    c = za.geom.centroid.transform(4326, clone=True)
    z, x, y = tile_xyz(c.x, c.y, 14)
    url = f"/tiles/parking_occupancy/{z}/{x}/{y}.pbf"
    assert client.get(url).status_code == 401
    client.force_login(sessions["planner"])
    assert client.get(url).status_code == 403
    client.force_login(sessions["manager"])
    r = client.get(url)
    assert r.status_code == 200 and b"parking_occupancy" in r.content and b"low" in r.content
    html = client.get("/").content.decode()
    assert "parking_occupancy" in html
    assert any(t in html for t in ("poniżej 50 %", "poni\\u017cej 50 %", "below 50 %"))
