"""The landscape register's lifecycle on PostGIS: each board's status, photos, the inspector's
steps with the penalty decision priced over its own period, advertising-fee declarations and
decisions, and who may do what."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from gis_app.accounts.access import grant
from gis_app.accounts.roles import CAPABILITIES, Capability, Role
from gis_app.audit.models import AuditEvent
from registers.landscape import services
from registers.landscape.models import (
    AdvertisingDevice,
    AdvertisingFeeRate,
    EnforcementStep,
    FeeDecision,
    LandscapeResolution,
)
from tests.db.test_landscape_register import PNG, _board, other, town, zones  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def login(_make_user, town, role, name=None):  # noqa: F811
    """A client logged in as a new user holding ``role`` in ``town`` (no password hashing:
    these tests log in with force_login)."""
    user = get_user_model().objects.create(username=name or f"u_{role}")
    grant(user, town, [role])
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


def test_status_to_adjust_then_non_compliant(zones):  # noqa: F811
    town_ = zones[0].municipality
    LandscapeResolution.objects.all().delete()
    LandscapeResolution.objects.create(municipality=town_, number="XX/1/2026",
                                       in_force_on=date(2026, 3, 1), adjustment_months=12)
    old = _board(town_, zones[0], date(2020, 1, 1))
    new = _board(town_, zones[0], date(2026, 5, 1))
    during = services.device_assessment(old, 2026, today=date(2026, 6, 1))
    assert (during["status"], during["adjust_by"]) == ("to_adjust", date(2027, 3, 1))
    assert services.device_assessment(old, 2027, today=date(2027, 3, 2))["status"] \
        == "non_compliant"
    assert services.device_assessment(new, 2026, today=date(2026, 6, 1))["status"] \
        == "non_compliant"


def test_inspector_steps_and_the_penalty_decision_priced_over_its_period(
        make_user, zones, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    town_ = zones[0].municipality
    AdvertisingFeeRate.objects.filter(municipality=town_).delete()  # the statutory caps
    board = _board(town_, zones[0], date(2025, 6, 1))
    inspector = login(make_user, town_, Role.LANDSCAPE_INSPECTOR)
    url = f"/landscape/devices/{board.pk}/steps/"
    # a call before any notice is refused
    r = inspector.post(url, {"version": 1, "kind": "call_to_adjust", "number": "K/1",
                             "issued_on": "2025-12-29", "adjust_by": "2026-01-31"})
    assert r.status_code == 400 and "give the notice first" in r.content.decode()
    r = inspector.post(url, {"version": 1, "kind": "notice", "number": "ZN.6.2025",
                             "issued_on": "2025-12-30"})
    assert r.status_code == 302
    board.refresh_from_db()
    assert board.proceedings_started == date(2025, 12, 30) and board.version == 2
    # the page was read at version 1: stale, nothing written
    r = inspector.post(url, {"version": 1, "kind": "call_to_adjust", "number": "K/1",
                             "issued_on": "2025-12-31", "adjust_by": "2026-01-31"})
    assert r.status_code == 409 and EnforcementStep.objects.filter(device=board).count() == 1
    assert inspector.post(url, {"version": 2, "kind": "call_to_adjust", "number": "K/1",
                                "issued_on": "2025-12-31", "adjust_by": "2026-01-31"}
                          ).status_code == 302
    # the decision of 2 Jan 2026 for 30 Dec 2025 – 2 Jan 2026: 2 days at 2025's caps
    # (40 × (3.72 + 0.34 × 12) = 312.00) and 2 at 2026's (328.40): 1 280.80 zł
    r = inspector.post(url, {"version": 2, "kind": "penalty_decision", "number": "D/1",
                             "issued_on": "2026-01-02"})
    assert r.status_code == 302, r.content.decode()[:2000]
    decision = EnforcementStep.objects.get(kind="penalty_decision")
    assert decision.amount == D("1280.80")
    assert [(ln["year"], ln["days"], ln["per_day"]) for ln in decision.lines] == [
        (2025, 2, "312.00"), (2026, 2, "328.40")]
    page = inspector.get(f"/landscape/devices/{board.pk}/").content.decode()
    assert "1280.80 zł" in page and "call to adjust" in page, page[page.find("Proceedings"):][:1500]
    # a photo of the board, served after the role check
    r = inspector.post(f"/landscape/devices/{board.pk}/photos/",
                       {"photo": SimpleUploadedFile("b.png", PNG), "taken_on": "2026-01-02"})
    assert r.status_code == 302
    photo = board.photos.get()
    assert inspector.get(f"/landscape/device-photos/{photo.pk}").status_code == 200
    r = inspector.post(f"/landscape/devices/{board.pk}/photos/",
                       {"photo": SimpleUploadedFile("b.txt", b"hello"), "taken_on": "2026-01-02"})
    assert r.status_code == 400 and "not a JPEG, PNG or WebP" in r.content.decode()
    assert AuditEvent.objects.filter(object_type="landscape.enforcement_step").count() == 3


def test_no_penalty_inside_the_adjustment_period(make_user, zones):  # noqa: F811
    town_ = zones[0].municipality
    LandscapeResolution.objects.all().delete()
    LandscapeResolution.objects.create(municipality=town_, number="XX/1/2026",
                                       in_force_on=date(2026, 3, 1), adjustment_months=12)
    board = _board(town_, zones[0], date(2020, 1, 1), proceedings=date(2026, 3, 3))
    user = get_user_model().objects.create(username="insp")
    grant(user, town_, [Role.LANDSCAPE_INSPECTOR])
    from django.core.exceptions import ValidationError
    with pytest.raises(ValidationError, match="within its adjustment period"):
        services.step_add(user, board.pk, {"kind": "penalty_decision", "number": "D/2",
                                           "issued_on": date(2026, 6, 1)},
                          expected_version=board.version)


def test_board_page_and_steps_by_role(zones):  # noqa: F811
    board = AdvertisingDevice.objects.first()
    for role in [r.value for r in Role]:
        c = login(None, zones[0].municipality, role)
        view = c.get(f"/landscape/devices/{board.pk}/")
        assert view.status_code == (200 if role in CAPABILITIES[Capability.VIEW_LANDSCAPE]
                                    else 403), role
        board.refresh_from_db()
        step = c.post(f"/landscape/devices/{board.pk}/steps/",
                      {"version": board.version, "kind": "notice", "number": f"Z/{role}",
                       "issued_on": "2026-03-01"})
        assert step.status_code == (302 if role == Role.LANDSCAPE_INSPECTOR else 403), role
        fees = c.get("/landscape/fee-declarations/")
        assert fees.status_code == (200 if role in (Role.LANDSCAPE_INSPECTOR, Role.TAX_OFFICER)
                                    else 403), role
    assert list(EnforcementStep.objects.values_list("number", flat=True)) == [
        "Z/landscape_inspector"]


def test_fee_declaration_and_decision(make_user, make_parcel, zones):  # noqa: F811
    town_ = zones[0].municipality
    plot = make_parcel("77", 0, 0, geom=zones[0].geom, municipality=town_)
    AdvertisingDevice.objects.filter(municipality=town_).update(
        parcel_cadastral_id="")
    board = _board(town_, zones[0], date(2025, 1, 1), area_m2=D("1.50"))
    AdvertisingDevice.objects.filter(pk=board.pk).update(parcel_cadastral_id=plot.cadastral_id)
    due = services.parcel_fee(town_.id, plot.cadastral_id, 2026)["total"]
    assert due > 0
    c = login(make_user, town_, Role.TAX_OFFICER)
    base = {"municipality": town_.id, "year": 2026, "parcel_cadastral_id": plot.cadastral_id,
            "payer": "Reklama sp. z o.o."}
    # no declaration: a decision for the whole fee, reason "none"
    r = c.post("/landscape/fee-declarations/?year=2026",
               dict(base, action="decision", number="FN.1", issued_on="2026-04-01"))
    assert r.status_code == 302
    d = FeeDecision.objects.get(number="FN.1")
    assert (d.reason, d.amount) == ("none", due)
    # a correct declaration needs no decision; an incorrect one gets one
    r = c.post("/landscape/fee-declarations/?year=2026",
               dict(base, action="declaration", filed_on="2026-01-20", declared_amount=str(due)))
    assert r.status_code == 302
    r = c.post("/landscape/fee-declarations/?year=2026",
               dict(base, action="decision", number="FN.2", issued_on="2026-04-02"))
    assert r.status_code == 400 and "is correct: no decision is needed" in r.content.decode()
    page = c.get("/landscape/fee-declarations/?year=2026").content.decode()
    assert "Reklama sp. z o.o." in page and f"{due} zł" in page
