"""The paid-parking fee API follows the Polish calendar: no charge on public holidays."""

import pytest

from registers.parking import demo
from tests.db.test_parking_register import zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def radom(make_municipality):
    return make_municipality("146301_1", "Radom")


@pytest.mark.parametrize("day", ["2026-01-06", "2026-04-06", "2026-11-11"])
def test_no_fee_on_epiphany_easter_monday_independence_day(client, radom, day):
    z = zone(radom)
    demo.load_demo(radom)
    r = client.get("/parking/api/fee", {"zone": z.id, "start": f"{day}T09:00",
                                        "end": f"{day}T11:00"})
    assert r.status_code == 200
    assert r.json()["total"] == "0.00" and r.json()["paid_minutes"] == 0


def test_the_next_working_day_is_charged(client, radom):
    z = zone(radom)
    demo.load_demo(radom)
    r = client.get("/parking/api/fee", {"zone": z.id, "start": "2026-01-07T09:00",
                                        "end": "2026-01-07T11:00"})
    assert r.json()["total"] == "7.80" and r.json()["paid_minutes"] == 120
