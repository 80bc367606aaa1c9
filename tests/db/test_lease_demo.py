"""The demo on a fixture town (any town the importer loads): municipal plots from the cadastre
or the override, leases with expiring ones, a refused overlapping proposal on record, an
investment offer, protected flats with one flagged; loading twice changes nothing."""

from datetime import date

import pytest
from django.utils import translation

from gis_app.audit.models import AuditEvent
from registers.housing import demo as housing_demo
from registers.housing.selectors import flat_check
from registers.leases import demo
from registers.leases.models import InvestmentOffer, Lease
from registers.leases.selectors import leases_expiring, leases_for_tax_reconciliation

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the UI default is Polish)."""
    with translation.override("en"):
        yield



@pytest.fixture
def demo_town(make_municipality, make_parcel):
    town = make_municipality()
    for i in range(60):  # a 6 × 10 grid of 25 m plots, none municipal in the cadastre
        make_parcel(str(i + 1), 677_000 + (i % 10) * 25, 211_000 + (i // 10) * 25, size=25,
                    municipality=town)
    return town


def test_demo_loads_on_any_town_and_is_idempotent(demo_town):
    loaded = demo.load_demo(demo_town)
    assert len(loaded.municipal) >= demo.MIN_MUNICIPAL  # marked by hand: the town had none
    active = Lease.objects.filter(municipality=demo_town, status="active")
    assert active.count() == 6
    expiring = leases_expiring(active, 90, date.today())
    assert sorted(lease.number for lease in expiring) == ["DEMO/1/2024", "DEMO/2/2024"]
    refused = loaded.refused
    assert refused.status == "refused" and "overlaps active lease DEMO/2/2024" in \
        refused.refusal_reason
    assert AuditEvent.objects.filter(object_type="lease", object_id=str(refused.pk),
                                     detail__startswith="refused:").exists()
    assert InvestmentOffer.objects.filter(municipality=demo_town, published=True).count() == 2
    assert len(leases_for_tax_reconciliation(demo_town.id, date.today())) == 6
    flats = housing_demo.load_demo(demo_town)
    assert [bool(flat_check(f)) for f in flats] == [False, False, True]
    counts = (Lease.objects.count(), InvestmentOffer.objects.count())
    demo.load_demo(demo_town)
    housing_demo.load_demo(demo_town)
    assert (Lease.objects.count(), InvestmentOffer.objects.count()) == counts
    assert len(housing_demo.load_demo(demo_town)) == 3
