"""The PPP register on a real PostGIS: projects on municipal plots, the stage rules, the
worksheet's comparison, the indexed payments and reminders, the pages by role (the property
officer edits, other roles read or are denied, the public is denied), 409 on a stale save and
the PDF annex."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gis_app.audit.models import AuditEvent
from registers.leases.models import PriceIndex, PropertyOverride
from registers.ppp import selectors, services
from registers.ppp.models import PppProject

pytestmark = pytest.mark.django_db

PARAMS = dict(discount_rate=D("0.05"), public_keeps_user_fees=False,
              construction_bearer="partner", availability_bearer="partner",
              demand_bearer="public", public_share=D("0.5"))
# the worked example of rules.compare: PSC 1 285 941.04, PPP 1 115 646.26, VfM 170 294.78
YEARS = [dict(capex=D("1000000"), risk_construction=D("100000")),
         dict(opex=D("100000"), availability_payment=D("600000")),
         dict(opex=D("100000"), availability_payment=D("600000"))]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the services' messages are asserted in English
        yield


@pytest.fixture
def town(make_municipality, make_parcel):
    town = make_municipality()
    for n, x in (("10", 0), ("11", 30), ("12", 60)):
        make_parcel(n, 600000 + x, 250000)
    for n in ("10", "11"):  # municipal by the property register; 12 is not
        PropertyOverride.objects.create(municipality=town, cadastral_id=f"{town.teryt}.0001.{n}",
                                        status="include")
    return town


@pytest.fixture
def users(town, make_user):
    return {role: make_user(role, town, (role,)) for role in
            ("property_officer", "planner", "tax_officer", "landscape_inspector",
             "parking_controller", "administrator")}


def _pid(town, n):
    return f"{town.teryt}.0001.{n}"


def _project(town, officer, **kw):
    data = dict(municipality_id=town.id, title="Hala sportowa",
                cadastral_ids=[_pid(town, "10"), _pid(town, "11")]) | kw
    return services.project_save(officer, data)


def test_project_on_municipal_plots_only_and_stage_rules(town, users):
    officer = users["property_officer"]
    with pytest.raises(ValidationError, match=r"Not municipal plots.*0001\.12"):
        _project(town, officer, cadastral_ids=[_pid(town, "10"), _pid(town, "12")])
    with pytest.raises(PermissionDenied):
        _project(town, users["planner"])
    p = _project(town, officer)
    assert round(p.geom.area) == 800 and p.version == 1
    assert AuditEvent.objects.filter(object_type="ppp_project", object_id=str(p.pk)).exists()
    # partner selection needs a route and the worksheet; the contract needs the partner
    with pytest.raises(ValidationError) as err:
        services.project_save(officer, dict(municipality_id=town.id, stage="selection"), p.pk,
                              expected_version=1)
    assert "selection route" in str(err.value) and "preliminary assessment" in str(err.value)
    p = services.worksheet_save(officer, p.pk, 1, PARAMS, YEARS)
    with pytest.raises(ValidationError, match="Name the partner"):
        services.project_save(officer, dict(municipality_id=town.id, stage="contract",
                                            route="concession"), p.pk, expected_version=2)
    p = services.project_save(officer, dict(municipality_id=town.id, stage="contract",
                                            route="concession", partner_name="Sport sp. z o.o."),
                              p.pk, expected_version=2)
    assert (p.stage, p.version) == ("contract", 3)
    with pytest.raises(services.StaleEditError):
        services.project_save(officer, dict(municipality_id=town.id, title="x"), p.pk,
                              expected_version=2)
    assert PppProject.objects.get(pk=p.pk).title == "Hala sportowa"


def test_worksheet_comparison_schedule_and_reminders(town, users):
    officer = users["property_officer"]
    p = _project(town, officer)
    p = services.worksheet_save(officer, p.pk, p.version, PARAMS, YEARS)
    result = selectors.assessment(p)
    c = result.comparison
    assert (c.psc, c.ppp, c.value_for_money) == (D("1285941.04"), D("1115646.26"),
                                                 D("170294.78"))
    assert result.classification.off_balance  # construction + availability to the partner
    # indexed like a lease: 2025 at the base, 2026 × CPI 2025
    PriceIndex.objects.update_or_create(year=2025, defaults={"cpi": D("104.00")})
    PppProject.objects.filter(pk=p.pk).update(
        stage="operation", operation_start=date(2025, 1, 1), operation_end=date(2026, 12, 31),
        payment_amount=D("1000.00"), payment_period="monthly", indexation="cpi")
    p.refresh_from_db()
    schedule = {r.year: r for r in selectors.payment_schedule(p)}
    assert schedule[2025].net == D("12000.00") and schedule[2026].rent_per_period == D("1040.00")
    services.milestone_add(officer, p, dict(stage="contract", title="Umowa", reference="",
                                            due_on=date(2026, 3, 1), done_on=None))
    services.obligation_add(officer, p, dict(party="partner", title="Raport", frequency="yearly",
                                             first_due=date(2025, 3, 20), last_due=None,
                                             notes=""))
    found = selectors.reminders([p], today=date(2026, 3, 10), days=30)
    assert [(r.kind, r.due_on, r.overdue) for r in found] == [
        ("deadline", date(2026, 3, 1), True), ("obligation", date(2026, 3, 20), False),
        ("payment", date(2026, 4, 1), False)]
    assert found[-1].amount == D("1040.00")


def _client(user=None):
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def test_pages_by_role_and_stale_edit(town, users):
    officer = users["property_officer"]
    p = _project(town, officer, partner_tax_id="6851234567")
    p = services.worksheet_save(officer, p.pk, p.version, PARAMS, YEARS)
    detail = reverse("ppp:project_detail", args=[p.pk])
    edit = reverse("ppp:project_edit", args=[p.pk])
    # the public is sent to log in; roles without the property register are refused
    assert _client().get(detail).status_code == 302
    for role in ("landscape_inspector", "parking_controller"):
        assert _client(users[role]).get(detail).status_code == 403
    for role in ("planner", "tax_officer", "administrator"):
        c = _client(users[role])
        assert c.get(detail).status_code == 200
        assert c.get(edit).status_code == 403
        assert c.post(reverse("ppp:milestone_add", args=[p.pk]),
                      {"stage": "idea", "title": "x"}).status_code == 403
    c = _client(officer)
    page = c.get(detail).content.decode()
    assert "1285941.04" in page and "170294.78" in page and "off the public balance" in page
    served = c.get(edit)
    assert served.status_code == 200
    form = {"title": "Hala sportowa i basen", "cadastral_ids": f"{_pid(town, '10')}",
            "stage": "assessment", "route": "", "payment_amount": "0",
            "payment_period": "monthly", "vat_rate": "23", "indexation": "cpi",
            "version": str(p.version)}
    PppProject.objects.filter(pk=p.pk).update(version=p.version + 1)  # a colleague's save
    assert c.post(edit, form).status_code == 409
    form["version"] = str(p.version + 1)
    assert c.post(edit, form).status_code == 302
    p.refresh_from_db()
    assert p.title == "Hala sportowa i basen" and p.cadastral_ids == [_pid(town, "10")]
    pdf = c.get(reverse("ppp:assessment_pdf", args=[p.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    export = c.get(reverse("ppp:project_list") + "?export=csv")
    assert export.status_code == 200 and "Hala sportowa i basen" in export.content.decode()


def test_worksheet_page_saves_and_refuses_a_stale_form(town, users):
    officer = users["property_officer"]
    p = _project(town, officer)
    c = _client(officer)
    url = reverse("ppp:worksheet", args=[p.pk])
    assert c.get(url).status_code == 200
    data = {"discount_rate": "0.05", "construction_bearer": "partner",
            "availability_bearer": "public", "demand_bearer": "public", "public_share": "0.5",
            "version": str(p.version), "years-TOTAL_FORMS": "2", "years-INITIAL_FORMS": "0",
            "years-MIN_NUM_FORMS": "1", "years-MAX_NUM_FORMS": "60",
            "years-0-capex": "1000", "years-1-opex": "100", "years-1-availability_payment": "900"}
    assert c.post(url, data | {"version": str(p.version - 1)}).status_code == 409
    assert c.post(url, data).status_code == 302
    p.refresh_from_db()
    assert p.cashflows.count() == 2 and not selectors.assessment(p).classification.off_balance
    assert _client(users["planner"]).post(url, data).status_code == 403


def test_tile_layer_public_sees_open_projects_without_the_partner(town, users):
    from tests.db.test_permission_matrix import tile_xyz

    officer = users["property_officer"]
    open_ = _project(town, officer, title="Targowisko", open_for_partners=True,
                     contact="ppp@jaslo.example", partner_name="Partner Ukryty",
                     cadastral_ids=[_pid(town, "10")])
    _project(town, officer, title="Projekt Wewnetrzny", cadastral_ids=[_pid(town, "11")])
    centre = open_.geom.centroid.transform(4326, clone=True)
    z, x, y = tile_xyz(centre.x, centre.y, 14)
    url = f"/tiles/ppp_projects/{z}/{x}/{y}.pbf"
    public = _client().get(url)
    assert public.status_code == 200
    assert b"Targowisko" in public.content and b"ppp@jaslo.example" in public.content
    assert b"Partner Ukryty" not in public.content and b"Projekt Wewnetrzny" not in public.content
    staff = _client(users["planner"]).get(url).content
    assert b"Partner Ukryty" in staff and b"Projekt Wewnetrzny" in staff


def test_project_from_the_investment_offer(town, users):
    from registers.leases.services import offer_save

    offer = offer_save(None, dict(municipality_id=town.id, title="Teren pod PPP", mode="ppp",
                                  cadastral_ids=[_pid(town, "12")], published=True))
    c = _client(users["property_officer"])
    page = c.get(reverse("ppp:project_new") + f"?offer={offer.pk}").content.decode()
    assert 'value="Teren pod PPP"' in page and f'<option value="{offer.pk}" selected' in page
    form = {"title": "Parking", "municipality": town.id, "offer": offer.pk, "cadastral_ids": "",
            "stage": "idea", "route": "", "payment_amount": "0", "payment_period": "monthly",
            "vat_rate": "23", "indexation": "cpi"}
    assert c.post(reverse("ppp:project_new"), form).status_code == 302
    # the offer's plot (not municipal by the register: the offer vouches for it)
    p = PppProject.objects.get(title="Parking")
    assert (p.cadastral_ids, p.source, p.offer_id) == ([_pid(town, "12")], "offer", offer.pk)
    r = c.post(reverse("ppp:project_new"), form | {"title": "Za dużo",
                                                     "cadastral_ids": _pid(town, "10")})
    assert r.status_code == 400 and "Not plots of the chosen investment offer" in r.content.decode()
