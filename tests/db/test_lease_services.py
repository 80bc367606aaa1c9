"""Lease rules on the real PostGIS: areas inside their plots, no overlapping active leases
unless shared, expiring lists, optimistic locking, the audit trail, the tax hand-off."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from layers.models import RegistrationUnit
from registers.leases import selectors, services
from registers.leases.models import Lease, PropertyOverride
from tests.conftest import square

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the UI default is Polish)."""
    with translation.override("en"):
        yield


X, Y = 677_000.0, 211_000.0


@pytest.fixture
def town(make_municipality):
    return make_municipality()


@pytest.fixture
def officer(make_user, town):
    return make_user("anna", town, (Role.PROPERTY_OFFICER,))


@pytest.fixture
def plots(make_parcel, town):
    """Two 20 m plots side by side: 1 at (X, Y), 2 at (X + 20, Y)."""
    return make_parcel("1", X, Y, municipality=town), make_parcel("2", X + 20, Y,
                                                                  municipality=town)


def lease_data(town, **kw):
    data = dict(municipality_id=town.id, number="GN.1/2025", lessee_name="Jan Kowalski",
                cadastral_ids=["180501_1.0001.1"], rent_amount=Decimal("1200"),
                start_date=date(2025, 1, 1), end_date=date(2026, 12, 31),
                contract_date=date(2024, 12, 20), notice_posted_on=date(2024, 11, 20),
                status=Lease.Status.ACTIVE)
    data.update(kw)
    return data


def test_area_inside_its_plot_is_accepted_and_audited(town, officer, plots):
    lease = services.lease_create(officer, lease_data(town), square(X + 2, Y + 2, 10))
    assert lease.area_m2 == pytest.approx(100.0)
    ev = AuditEvent.objects.get(object_type="lease", object_id=str(lease.pk))
    assert ev.action == "create" and ev.after["lessee_name"] == "Jan Kowalski"


def test_area_outside_its_plots_is_refused(town, officer, plots):
    # 10 m wide strip starting 15 m into plot 1: 5 m stick out into plot 2, not listed
    with pytest.raises(ValidationError, match="outside its plots"):
        services.lease_create(officer, lease_data(town), square(X + 15, Y + 2, 10))
    assert not Lease.objects.exists()
    # listing both plots makes it fine
    lease = services.lease_create(officer, lease_data(town, cadastral_ids=[
        "180501_1.0001.1", "180501_1.0001.2"]), square(X + 15, Y + 2, 10))
    assert lease.pk


def test_drawn_edges_within_one_centimetre_are_tolerated(town, officer, plots):
    # the drawn square overshoots the plot edge by 5 mm
    lease = services.lease_create(officer, lease_data(town), square(X - 0.005, Y, 10))
    assert lease.pk


def test_overlapping_active_lease_is_refused_but_shared_ones_coexist(town, officer, plots):
    services.lease_create(officer, lease_data(town), square(X, Y, 10))
    with pytest.raises(ValidationError, match=r"overlaps active lease GN\.1/2025"):
        services.lease_create(officer, lease_data(town, number="GN.2/2025"),
                              square(X + 5, Y + 5, 10))
    # a lease touching along the edge does not overlap
    assert services.lease_create(officer, lease_data(town, number="GN.3/2025"),
                                 square(X + 10, Y, 10)).pk
    # a later period on the same land is fine
    assert services.lease_create(officer, lease_data(
        town, number="GN.4/2027", start_date=date(2027, 1, 1), end_date=date(2027, 12, 31),
        contract_date=date(2026, 12, 1), notice_posted_on=date(2026, 11, 1)),
        square(X, Y, 10)).pk


def test_shared_use_needs_both_leases_marked(town, officer, plots):
    services.lease_create(officer, lease_data(town, shared=True, number="A"), square(X, Y, 10))
    with pytest.raises(ValidationError, match="overlaps"):
        services.lease_create(officer, lease_data(town, number="B"), square(X, Y, 10))
    shared = services.lease_create(officer, lease_data(town, number="C", shared=True),
                                   square(X, Y, 10))
    assert shared.pk


def test_refused_proposal_is_recorded(town, officer, plots):
    services.lease_create(officer, lease_data(town), square(X, Y, 10))
    with pytest.raises(services.LeaseRefusedError) as refused:
        services.lease_create(officer, lease_data(town, number="P/1", status="proposed"),
                              square(X + 5, Y, 10), record_refusal=True)
    lease = Lease.objects.get(number="P/1")
    assert lease.status == Lease.Status.REFUSED and refused.value.lease == lease
    assert "overlaps" in lease.refusal_reason
    ev = AuditEvent.objects.get(object_type="lease", object_id=str(lease.pk))
    assert ev.detail.startswith("refused:")


def test_notice_must_have_hung_21_days_before_the_contract(town, officer, plots):
    with pytest.raises(ValidationError, match="21"):
        services.lease_create(officer, lease_data(town, notice_posted_on=date(2024, 12, 1)),
                              square(X, Y, 10))
    # a proposal may be saved before the notice; the rule is shown as a warning
    lease = services.lease_create(officer, lease_data(town, status="proposed",
                                                      notice_posted_on=None), square(X, Y, 10))
    assert any("21" in w for w in services.lease_warnings(lease))


def test_long_lease_needs_tender_or_council_consent(town, officer, plots):
    long = dict(end_date=date(2030, 12, 31))
    with pytest.raises(ValidationError, match="tender"):
        services.lease_create(officer, lease_data(town, **long), square(X, Y, 10))
    assert services.lease_create(officer, lease_data(
        town, council_resolution="XII/104/2024", **long), square(X, Y, 10)).pk


def test_whole_plot_lease_takes_the_plot_geometry(town, officer, plots):
    lease = services.lease_create(officer, lease_data(town, whole_plot=True), None)
    assert lease.area_m2 == pytest.approx(400.0)


def test_plots_are_found_from_the_drawn_area_when_not_given(town, officer, plots):
    lease = services.lease_create(officer, lease_data(town, cadastral_ids=[]),
                                  square(X + 15, Y + 2, 10))
    assert lease.cadastral_ids == ["180501_1.0001.1", "180501_1.0001.2"]


def test_stale_save_is_refused_and_nothing_overwritten(town, officer, make_user, plots):
    lease = services.lease_create(officer, lease_data(town), square(X, Y, 10))
    colleague = make_user("basia", town, (Role.PROPERTY_OFFICER,))
    services.lease_update(colleague, lease.pk, 1, {"rent_amount": Decimal("1500")})
    with pytest.raises(services.StaleEditError, match="Someone else saved"):
        services.lease_update(officer, lease.pk, 1, {"rent_amount": Decimal("900")})
    lease.refresh_from_db()
    assert (lease.rent_amount, lease.version) == (Decimal("1500.00"), 2)
    ev = AuditEvent.objects.get(object_type="lease", action="update")
    assert ev.before == {"rent_amount": "1200.00", "version": 1}
    assert ev.after == {"rent_amount": "1500.00", "version": 2}


def test_planner_and_other_town_cannot_write(town, make_user, make_municipality, plots):
    planner = make_user("piotr", town, (Role.PLANNER,))
    with pytest.raises(PermissionDenied):
        services.lease_create(planner, lease_data(town), square(X, Y, 10))
    krosno = make_municipality("186101_1", "Krosno")
    stranger = make_user("obcy", krosno, (Role.PROPERTY_OFFICER,))
    with pytest.raises(PermissionDenied):
        services.lease_create(stranger, lease_data(town), square(X, Y, 10))


def test_expiring_leases(town, officer, plots, make_parcel):
    today = date(2025, 6, 1)
    p3 = make_parcel("3", X + 40, Y, municipality=town)
    base = dict(start_date=date(2024, 1, 1), contract_date=date(2023, 12, 20),
                notice_posted_on=date(2023, 11, 1))
    soon = services.lease_create(officer, lease_data(town, number="soon",
                                                     end_date=today + timedelta(days=30), **base),
                                 square(X, Y, 5))
    edge = services.lease_create(officer, lease_data(town, number="edge",
                                                     end_date=today + timedelta(days=60), **base),
                                 square(X + 10, Y, 5))
    services.lease_create(officer, lease_data(town, number="later",
                                              end_date=today + timedelta(days=61), **base),
                          square(X, Y + 10, 5))
    services.lease_create(officer, lease_data(town, number="ended",
                                              end_date=today - timedelta(days=1), **base),
                          square(X + 10, Y + 10, 5))
    services.lease_create(officer, lease_data(town, number="open", end_date=None,
                                              council_resolution="XI/1/2023",
                                              cadastral_ids=[p3.cadastral_id], **base),
                          square(X + 41, Y + 1, 5))
    got = selectors.lease_list(officer, expiring_within=60, on_date=today)
    assert [lease.number for lease in got] == [soon.number, edge.number]


def test_tax_reconciliation_lists_active_leases_of_municipal_land(town, officer, plots):
    unit = RegistrationUnit.objects.create(municipality=town, unit_id="G.1", kind="G", group=4,
                                           source_namespace="test", local_id="ru1")
    plots[0].registration_unit = unit
    plots[0].save()
    lease = services.lease_create(officer, lease_data(town), square(X, Y, 10))
    services.lease_create(officer, lease_data(town, number="private", lessee_name="Firma X",
                                              lessee_kind="company",
                                              cadastral_ids=["180501_1.0001.2"]),
                          square(X + 25, Y, 10))
    rows = selectors.leases_for_tax_reconciliation(town.id, date(2025, 6, 1))
    assert rows == [{"lease_id": lease.pk, "lessee_name": "Jan Kowalski",
                     "lessee_kind": "person", "cadastral_ids": ["180501_1.0001.1"],
                     "leased_area_m2": 100.0, "start": date(2025, 1, 1),
                     "end": date(2026, 12, 31)}]
    assert selectors.leases_for_tax_reconciliation(town.id, date(2027, 1, 1)) == []
    # plot 2 made municipal by hand: the second lease joins the list
    services.property_override_save(officer, town.id, "180501_1.0001.2", expected_version=None,
                                     status="include")
    assert len(selectors.leases_for_tax_reconciliation(town.id, date(2025, 6, 1))) == 2
    # and plot 1 removed by hand: only the second one stays
    services.property_override_save(officer, town.id, "180501_1.0001.1", expected_version=None,
                                     status="exclude")
    assert [r["lessee_name"] for r in
            selectors.leases_for_tax_reconciliation(town.id, date(2025, 6, 1))] == ["Firma X"]
    assert PropertyOverride.objects.count() == 2


def test_leases_are_flagged_when_the_cadastre_moves_under_them(town, officer, plots):
    from django.utils import timezone

    services.lease_create(officer, lease_data(town, number="moved"), square(X, Y, 10))
    services.lease_create(officer, lease_data(town, number="retired",
                                              cadastral_ids=["180501_1.0001.2"]),
                          square(X + 25, Y, 10))
    services.lease_create(officer, lease_data(town, number="steady"), square(X + 12, Y + 2, 5))
    assert list(selectors.lease_list(officer, review=True)) == []
    # a re-import redraws plot 1 (now x 10–20 m, y 0–10 m) and retires plot 2
    plots[0].geom = square(X + 10, Y, 10)
    plots[0].save()
    plots[1].retired_at = timezone.now()
    plots[1].save()
    flagged = [lease.number for lease in selectors.lease_list(officer, review=True)]
    assert sorted(flagged) == ["moved", "retired"]
