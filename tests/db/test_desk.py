"""The public front desk for businesses on a real PostGIS: a board at a point (the landscape
rules' verdict with its paragraph and the yearly fee), the property tax of a planned use of a
plot at this year's rates, the parking tariff at a point, the offer and the PPP projects open
for partners; each answer links the resolution it applies, bad input is a 400 naming the
field, and no taxpayer, tax amount or PPP partner data of anyone is shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layers.models import LandscapeArea, ParkingZone
from registers.landscape import demo as landscape_demo
from registers.leases.models import PropertyOverride
from registers.parking import demo as parking_demo
from registers.ppp import services as ppp
from registers.taxes.models import Rate, RateResolution, TaxObject, Taxpayer
from tests.conftest import square

pytestmark = pytest.mark.django_db
X, Y = 677_000, 211_000  # easting, northing of the test plot's corner (EPSG:2180)


@pytest.fixture
def town(make_municipality, make_parcel):
    town = make_municipality("146301_1", "Radom")
    plot = make_parcel("12", X, Y, municipality=town)  # 20 m × 20 m = 400 m²
    LandscapeArea.objects.create(municipality=town, kind=LandscapeArea.Kind.RESOLUTION_ZONE,
                                 code="A", name="Strefa A", geom=square(X - 100, Y - 100, 400),
                                 source_namespace="test", local_id="t-A")
    landscape_demo.load_demo(town)
    ParkingZone.objects.create(municipality=town, code="A", name="Strefa A",
                               kind=ParkingZone.Kind.ORDINARY, geom=square(X - 100, Y - 100, 500),
                               source_namespace="test", local_id="t-pA")
    parking_demo.load_demo(town)
    year = timezone.localdate().year
    resolution = RateResolution.objects.create(municipality=town, year=year,
                                               number=f"XII/99/{year - 1}",
                                               adopted_on=date(year - 1, 11, 20))
    for category, rate in (("G1", "1.00"), ("G3", "0.50"), ("B1", "1.10"), ("B2", "30.00"),
                           ("B5", "10.00")):
        Rate.objects.create(resolution=resolution, category=category, rate=D(rate))
    # someone's tax data on the very plot: the desk must never show it
    payer = Taxpayer.objects.create(municipality=town, name="Podatnik Tajny",
                                    tax_id="1234567890")
    TaxObject.objects.create(municipality=town, taxpayer=payer, kind="land", category="G1",
                             cadastral_id=plot.cadastral_id, area_m2=D("400"))
    PropertyOverride.objects.create(municipality=town, cadastral_id=plot.cadastral_id,
                                    status="include")
    ppp.project_save(None, dict(municipality_id=town.id, title="Hala targowa",
                                cadastral_ids=[plot.cadastral_id], open_for_partners=True,
                                contact="ppp@radom.example", partner_name="Partner Tajny"))
    return town, plot


def _get(**q):
    return Client(headers={"accept-language": "en"}).get(reverse("map_ui:desk"), q)


# the form speaks the map's convention: X the northing, Y the easting
POINT = {"x": str(Y + 10), "y": str(X + 10), "srid": "2180"}


def test_board_at_a_point_with_its_paragraph_and_yearly_fee(town):
    r = _get(ask="board", type="board", area_m2="12", height_m="5", lit="0", **POINT)
    assert r.status_code == 200
    page = r.content.decode()
    assert 'id="board-verdict"' in page and "§ 5 ust. 1 uchwała Nr DEMO/146301_1/2024" in page
    # 2026 rates of the demo: (3.89 + 0.36 × 12) × 365 days = 8.21 × 365 = 2 996.65 zł
    if timezone.localdate().year == 2026:
        assert "2996.65 zł" in page
    assert reverse("map_ui:desk_resolutions", args=[town[0].id]) + "#landscape-" in page
    small = _get(ask="board", type="board", area_m2="1.5", height_m="2", lit="0",
                 mounting="building", **POINT).content.decode()
    assert "§ 5 ust. 1" in small and 'class="verdict verdict-fail"' not in small


def test_plot_cost_at_this_years_rates_without_anyones_tax_data(town):
    _, plot = town
    r = _get(ask="plot", plot=plot.cadastral_id, land="G1", building="B2", usable_m2="100")
    assert r.status_code == 200
    page = r.content.decode()
    # land 400 m² × 1.00 + building 100 m² × 30.00 = 3 400 zł
    assert 'id="plot-total">3400 zł' in page
    assert f"XII/99/{timezone.localdate().year - 1}" in page and "#tax-" in page
    # the same by a point on the plot
    assert 'id="plot-total">3400 zł' in _get(ask="plot", land="G1", building="B2",
                                              usable_m2="100", **POINT).content.decode()
    for secret in ("Podatnik Tajny", "1234567890", "Partner Tajny"):
        assert secret not in page
    bad = _get(ask="plot", plot="146301_1.0001.999")
    assert bad.status_code == 400 and "No such plot: 146301_1.0001.999" in bad.content.decode()
    bad = _get(ask="plot", plot=plot.cadastral_id, usable_m2="many")
    assert bad.status_code == 400 and 'data-field="usable_m2"' in bad.content.decode()


def test_parking_offer_projects_and_the_resolutions_page(town):
    r = _get(ask="parking", **POINT)
    page = r.content.decode()
    assert r.status_code == 200 and 'id="parking-rates"' in page and "#parking-" in page
    assert "Hala targowa" in page and "ppp@radom.example" in page
    assert "Partner Tajny" not in page
    outside = _get(ask="parking", x=str(Y + 5000), y=str(X + 5000), srid="2180")
    assert 'id="parking-none"' in outside.content.decode()
    bad = _get(ask="board", x="north", y="east", area_m2="2")
    assert bad.status_code == 400 and "must be a number" in bad.content.decode()
    res = Client().get(reverse("map_ui:desk_resolutions", args=[town[0].id]))
    body = res.content.decode()
    assert res.status_code == 200 and "DEMO/146301_1/2024" in body
    assert f'id="tax-{timezone.localdate().year}"' in body and 'id="parking-' in body


def test_the_plots_card_shows_open_projects_and_the_partner_only_to_readers(town, make_user):
    muni, plot = town
    url = reverse("map_ui:card", args=[plot.id])
    inspector, planner = Client(), Client()
    inspector.force_login(make_user("li", muni, ("landscape_inspector",)))
    planner.force_login(make_user("pl", muni, ("planner",)))
    seen = inspector.get(url).content.decode()
    assert "Hala targowa" in seen and "ppp@radom.example" in seen
    assert "Partner Tajny" not in seen and f"/desk/?plot={plot.cadastral_id}" in seen
    assert "Partner Tajny" in planner.get(url).content.decode()
    # the public card shows no register section at all (ids only)
    assert "Hala targowa" not in Client().get(url).content.decode()
