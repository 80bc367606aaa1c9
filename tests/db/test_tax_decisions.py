"""Issue #16 on the real PostGIS: the assessment fixes through the roll, decisions, amendments,
the PDF, the batch, the signal to the payments register, and who may do what."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client, override_settings

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from registers.taxes import decisions, services
from registers.taxes.models import (
    Decision,
    DecisionBatch,
    RuralLandObject,
    TaxObject,
    TaxOfficeSettings,
    Taxpayer,
)
from registers.taxes.pdf import render_decision
from registers.taxes.selectors import card_section
from registers.taxes.services import RateInput
from registers.taxes.signals import decision_issued

pytestmark = pytest.mark.django_db

DENIED_ROLES = [Role.PLANNER, Role.PROPERTY_OFFICER, Role.LANDSCAPE_INSPECTOR,
                Role.ADMINISTRATOR]


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the UI default is Polish)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def town(make_municipality):
    town = make_municipality("180501_1", "Jasło")
    services.resolution_save(None, town, 2025, "XIII/100/2024", date(2024, 11, 28), [
        RateInput("B1", D("1.00")), RateInput("B2", D("32.00")), RateInput("G1", D("1.25")),
        RateInput("G3", D("0.60")), RateInput("B5", D("8.00"))])
    services.resolution_save(None, town, 2026, "XX/200/2025", date(2025, 11, 27), [
        RateInput("B1", D("1.10")), RateInput("B2", D("33.00")), RateInput("G1", D("1.30")),
        RateInput("G3", D("0.65")), RateInput("B5", D("9.00"))])
    TaxOfficeSettings.objects.create(
        municipality=town, organ="Burmistrz Miasta Jasła", organ_address="ul. Rynek 12, Jasło",
        appeal_body="Samorządowe Kolegium Odwoławcze w Krośnie", district="II")
    return town


@pytest.fixture
def received():
    got = []

    def receiver(sender, **kw):
        got.append(kw)

    decision_issued.connect(receiver, weak=False)
    yield got
    decision_issued.disconnect(receiver)


def _person(town, name="Jan Kowalski", **kw):
    return Taxpayer.objects.create(municipality=town, name=name, address="ul. Długa 1, Jasło",
                                   **kw)


def _land(town, tp, m2="1000", **kw):
    return TaxObject.objects.create(municipality=town, taxpayer=tp, kind="land", category="G3",
                                    cadastral_id="180501_1.0001.7", area_m2=D(m2), **kw)


def _house(town, tp, m2="120", **kw):
    return TaxObject.objects.create(municipality=town, taxpayer=tp, kind="building",
                                    category="B1", building_id="180501_1.0001.7_BUD.1",
                                    cadastral_id="180501_1.0001.7", usable_full_m2=D(m2), **kw)


def _roll_amounts(town, year):
    return {r["taxpayer_id"]: r["subtotal"] for r in services.roll_rows(town.pk, year)}


# ---------------------------------------------------------------------------------------------
# First part of the issue, through the database


def test_t5_building_completed_20_may_2025_is_taxed_from_2026_in_roll_and_page(town):
    tp = _person(town)
    _house(town, tp, arose_event="completion", arose_on=date(2025, 5, 20))
    assert tp.pk not in _roll_amounts(town, 2025)  # not 7 months of 2025
    assert services.taxpayer_liability(None, tp, 2025).rows == []
    # 2026: 12 months × 120 m² × 1.10 = 132.00 in both the SQL roll and the pure rules
    assert _roll_amounts(town, 2026)[tp.pk] == D("132.00")
    assert services.taxpayer_liability(None, tp, 2026).result.subtotal == D("132.00")


def test_acquired_building_is_taxed_from_the_next_month(town):
    tp = _person(town)
    _house(town, tp, arose_event="acquisition", arose_on=date(2025, 5, 20))
    # June–December 2025: 120 × 1.00 × 7 / 12 = 70.00
    assert _roll_amounts(town, 2025)[tp.pk] == D("70.00")
    assert services.taxpayer_liability(None, tp, 2025).result.subtotal == D("70.00")


def test_completion_of_land_is_refused_with_the_field_named(town):
    problems = services.object_problems({"kind": "land", "category": "G3", "area_m2": D("1"),
                                         "cadastral_id": "x", "arose_event": "completion",
                                         "arose_on": date(2025, 1, 1)})
    assert any(p.startswith("arose_event:") for p in problems)


def test_company_ceasing_15_june_pays_january_to_june(town):
    firm = Taxpayer.objects.create(municipality=town, name="Spółka X", kind="company",
                                   business=True)
    # 100 m² business building, 33.00 zł (2026): 3300 a year, ceased 15 June → 1650 zł
    TaxObject.objects.create(municipality=town, taxpayer=firm, kind="building", category="B2",
                             building_id="b1", usable_full_m2=D("100"),
                             ceased_event="sale", ceased_on=date(2026, 6, 15))
    r = services.taxpayer_liability(None, firm, 2026)
    assert r.result.tax == D("1650")
    assert [d for d, _ in r.instalments] == [date(2026, 2, 2), date(2026, 2, 16),
                                            date(2026, 3, 16), date(2026, 4, 15),
                                            date(2026, 5, 15), date(2026, 6, 15)]
    assert [a for _, a in r.instalments] == [D("275.00")] * 6


def test_person_whose_obligation_arose_on_1_april_has_no_15_march(town):
    tp = _person(town)
    _land(town, tp, m2="2000", arose_event="acquisition", arose_on=date(2026, 3, 10))
    r = services.taxpayer_liability(None, tp, 2026)
    # 2000 × 0.65 × 9 / 12 = 975.00 → 975 zł from April
    assert r.result.tax == D("975")
    assert [d for d, _ in r.instalments] == [date(2026, 5, 15), date(2026, 9, 15),
                                            date(2026, 11, 16)]
    assert [a for _, a in r.instalments] == [D("325.00")] * 3


def test_municipal_exempt_land_is_not_business_land_on_the_card(town, make_parcel, make_user):
    from layers.models import ParcelLandUse

    parcel = make_parcel("7", 0, 0, size=30, municipality=town)
    ParcelLandUse.objects.create(parcel=parcel, ofu="B", ozu="", ozk="", area_m2=D("900"))
    gmina = Taxpayer.objects.create(municipality=town, name="Gmina Jasło", kind="company",
                                    business=True)
    _land(town, gmina, m2="900", exempt=True, exemption_basis="art. 7 ust. 1 pkt 15 UPOL")
    officer = make_user("tax", town, (Role.TAX_OFFICER,))
    card = card_section(officer, parcel, year=2026)
    assert card["contours"][0]["tax"] == "property"
    assert card["contours"][0]["category"] == "G3"  # not G1 business land


# ---------------------------------------------------------------------------------------------
# Combined decision, PDF, signal


def _combined_taxpayer(town):
    """Land 1000 m² (G3 0.65 → 650.00), farmland 2 ha R IIIa + 1 ha Ł IV (district II: 3.70
    ha przel. → 614.39) and forest 10 ha + 4 ha in a reserve (742.81): 650 + 614 + 743."""
    tp = _person(town)
    _land(town, tp)
    RuralLandObject.objects.create(municipality=town, taxpayer=tp, tax="agricultural",
                                   cadastral_id="180501_1.0001.8", ofu="R", soil_class="IIIa",
                                   area_ha=D("2"))
    RuralLandObject.objects.create(municipality=town, taxpayer=tp, tax="agricultural",
                                   cadastral_id="180501_1.0001.8", ofu="Ł", soil_class="IV",
                                   area_ha=D("1"))
    RuralLandObject.objects.create(municipality=town, taxpayer=tp, tax="forest",
                                   cadastral_id="180501_1.0001.9", ofu="Ls", area_ha=D("10"))
    RuralLandObject.objects.create(municipality=town, taxpayer=tp, tax="forest",
                                   cadastral_id="180501_1.0001.9", ofu="Ls", area_ha=D("4"),
                                   reserve=True)
    RuralLandObject.objects.create(municipality=town, taxpayer=tp, tax="forest",
                                   cadastral_id="180501_1.0001.9", ofu="Ls", area_ha=D("5"),
                                   young_stand=True)
    return tp


def test_combined_decision_with_land_farmland_and_forest(town, received,
                                                         django_capture_on_commit_callbacks):
    tp = _combined_taxpayer(town)
    with django_capture_on_commit_callbacks(execute=True):
        d = decisions.decision_prepare(None, tp, 2026, issue_on=date(2026, 2, 10))
    assert d.tax_kind == "combined" and d.status == "issued"
    assert d.parts == {"property": "650", "agricultural": "614", "forest": "743"}
    assert d.amount == D("2007")
    sched = [(i.number, i.due_date, i.amount) for i in d.instalments.order_by("number")]
    assert sched == [(1, date(2026, 3, 16), D("501.75")), (2, date(2026, 5, 15), D("501.75")),
                     (3, date(2026, 9, 15), D("501.75")), (4, date(2026, 11, 16), D("501.75"))]
    assert len(received) == 1
    sent = received[0]
    assert sent["decision"] == d and sent["tax_kind"] == "combined" and sent["year"] == 2026
    assert sent["taxpayer_id"] == tp.pk and sent["decision_number"] == d.number
    assert sent["instalments"] == sched
    young = [x for x in d.lines if x["tax"] == "forest" and x["exempt"]]
    assert young and "40" in young[0]["basis"]
    # a second decision for the same year is refused; the register keeps one in force
    with pytest.raises(ValidationError, match="already in force"):
        decisions.decision_prepare(None, tp, 2026, issue_on=date(2026, 2, 11))
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(municipality=town, taxpayer=tp, year=2026, tax_kind="combined",
                                number="X/1", amount=D("1"), status="issued")


def test_decision_pdf_has_the_parts_of_a_decision(town):
    from pypdf import PdfReader

    tp = _combined_taxpayer(town)
    d = decisions.decision_prepare(None, tp, 2026, issue_on=date(2026, 2, 10))
    account = "12 1020 4391 0000 6502 0000 1234"
    data = render_decision(d, payment_account=account)
    assert data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    for part in ("Burmistrz Miasta Jasła", "Jasło, dnia 10.02.2026", "Jan Kowalski",
                 "DECYZJA", "łącznego zobowiązania pieniężnego", "art. 6c",
                 "180501_1.0001.8", "2 007,00 zł", "16.03.2026", "16.11.2026", "501,75 zł",
                 account, "Uzasadnienie", "Pouczenie",
                 # the reasons are Polish although this test's UI language is English
                 "Podatnik w 2026 r.", "gospodarstwo rolne", "okręgu podatkowym II",
                 "Samorządowe Kolegium Odwoławcze w Krośnie", "14 dni"):
        assert part in text, part
    # without the account the decision still says where to pay, never an empty line
    plain = " ".join(PdfReader(io.BytesIO(render_decision(d))).pages[0].extract_text().split())
    assert "piśmie przewodnim" in plain


def test_company_gets_no_decision_and_small_tax_none_either(town):
    firm = Taxpayer.objects.create(municipality=town, name="Spółka", kind="company")
    _land(town, firm)
    with pytest.raises(ValidationError, match="declares"):
        decisions.decision_prepare(None, firm, 2026)
    small = _person(town, "Mała")
    _land(town, small, m2="10")  # 6.50 zł → 7 zł ≤ 9.80 threshold
    with pytest.raises(ValidationError, match="threshold"):
        decisions.decision_prepare(None, small, 2026)
    assert not Decision.objects.exists()


# ---------------------------------------------------------------------------------------------
# Status and amendment


def test_draft_issue_deliver_and_refused_transitions(town, received,
                                                      django_capture_on_commit_callbacks):
    tp = _person(town)
    _land(town, tp)
    d = decisions.decision_prepare(None, tp, 2026)
    assert d.status == "draft" and not received
    with django_capture_on_commit_callbacks(execute=True):
        d = decisions.decision_set_status(None, d, "issued", date(2026, 2, 1),
                                          expected_version=d.version)
    assert len(received) == 1
    with pytest.raises(ValidationError, match="before the date of issue"):
        decisions.decision_set_status(None, d, "delivered", date(2026, 1, 5))
    d = decisions.decision_set_status(None, d, "delivered", date(2026, 2, 9))
    assert d.delivered_on == date(2026, 2, 9)
    with pytest.raises(ValidationError, match="Someone else"):
        decisions.decision_set_status(None, d, "expired", date(2031, 1, 1), expected_version=1)
    with pytest.raises(ValidationError):
        decisions.decision_set_status(None, d, "draft", date(2026, 3, 1))


def test_amending_decision_respreads_only_instalments_not_yet_due(
        town, received, django_capture_on_commit_callbacks):
    tp = _person(town)
    land = _land(town, tp, m2="2000")  # 2000 × 0.65 = 1300 zł: 4 × 325.00
    d = decisions.decision_prepare(None, tp, 2026, issue_on=date(2026, 2, 10))
    # sold on 20 June: January–June = 650.00 → 650 zł
    land.ceased_event, land.ceased_on = "sale", date(2026, 6, 20)
    land.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = decisions.decision_amend(None, d, date(2026, 7, 1), "sprzedaż działki")
    d.refresh_from_db()
    assert d.status == "amended" and new.amends == d and new.amount == D("650")
    sched = [(i.number, i.due_date, i.amount) for i in new.instalments.order_by("number")]
    # 16 March and 15 May (already due) stay 325.00; 650 − 650 = 0 is left for Sept/Nov
    assert sched == [(1, date(2026, 3, 16), D("325.00")), (2, date(2026, 5, 15), D("325.00"))]
    assert received[-1]["instalments"] == sched and received[-1]["decision_number"] == new.number
    # a later increase: a building bought in July (from August: 120 × 1.10 × 5/12 = 55.00)
    _house(town, tp, arose_event="acquisition", arose_on=date(2026, 7, 3))
    newer = decisions.decision_amend(None, new, date(2026, 8, 20))
    sched = [(i.due_date, i.amount) for i in newer.instalments.order_by("number")]
    assert newer.amount == D("705")
    assert sched == [(date(2026, 3, 16), D("325.00")), (date(2026, 5, 15), D("325.00")),
                     (date(2026, 9, 3), D("55.00"))]  # 14 days after 20 August


def test_amended_schedule_spreads_the_rest_over_open_dates():
    old = [(1, date(2026, 3, 16), D("250.00")), (2, date(2026, 5, 15), D("250.00")),
           (3, date(2026, 9, 15), D("250.00")), (4, date(2026, 11, 16), D("250.00"))]
    plan, excess = decisions.amended_schedule(old, D("1201"), date(2026, 6, 1))
    assert plan == [(date(2026, 3, 16), D("250.00")), (date(2026, 5, 15), D("250.00")),
                    (date(2026, 9, 15), D("350.50")), (date(2026, 11, 16), D("350.50"))]
    assert excess == 0
    plan, excess = decisions.amended_schedule(old, D("300"), date(2026, 6, 1))
    assert plan == [(date(2026, 3, 16), D("250.00")), (date(2026, 5, 15), D("250.00"))]
    assert excess == D("200.00")


# ---------------------------------------------------------------------------------------------
# The batch


def _persons(town, n):
    tps = Taxpayer.objects.bulk_create([
        Taxpayer(municipality=town, name=f"Podatnik {i:03d}") for i in range(n)])
    TaxObject.objects.bulk_create([
        TaxObject(municipality=town, taxpayer=t, kind="land", category="G3",
                  cadastral_id=f"180501_1.0002.{i}", area_m2=D(100 + i * 10))
        for i, t in enumerate(tps)])
    return tps


def test_batch_is_resumable_and_never_issues_twice(town, tmp_path, received,
                                                   django_capture_on_commit_callbacks):
    tps = _persons(town, 23)
    Taxpayer.objects.create(municipality=town, name="Firma", kind="company")
    batch = decisions.batch_start(None, town.pk, 2026, date(2026, 2, 10))
    assert batch.total == 23 + 0  # natural persons only
    calls = []

    def die_after_two_chunks(new):
        calls.append(len(new))
        if len(calls) == 2:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        decisions.batch_run(batch, chunk=5, on_decisions=die_after_two_chunks)
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.done == 10 and batch.error == "killed"
    # taxpayers 0..2: 100–120 m² × 0.65 = 65–78 zł; all above the threshold
    assert Decision.objects.filter(batch=batch).count() == 10
    # one decision issued by hand meanwhile is kept, not duplicated
    decisions.decision_prepare(None, tps[15], 2026, issue_on=date(2026, 2, 10))
    with django_capture_on_commit_callbacks(execute=True):
        batch = decisions.batch_run(batch, chunk=5)
    assert batch.status == "done" and batch.done == 23 and batch.issued == 22
    assert Decision.objects.filter(year=2026).count() == 23
    assert Decision.objects.filter(taxpayer=tps[15]).count() == 1
    numbers = list(Decision.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 23
    first = Decision.objects.get(taxpayer=tps[0])
    assert first.amount == D("65") and first.instalments.get().due_date == date(2026, 3, 16)
    # the chunks' schedules reached the payments register (one decisions_issued per chunk)
    from registers.payments.models import Charge

    last = Decision.objects.get(taxpayer=tps[22])
    assert list(Charge.objects.filter(taxpayer=tps[22]).order_by("number").values_list(
        "decision_number", "number", "due_date", "amount")) == [
        (last.number, *row) for row in decisions.schedule_of(last)]


def test_issue_decisions_command_with_pdfs_and_resume(town, tmp_path):
    _persons(town, 7)
    out = io.StringIO()
    call_command("issue_decisions", "180501_1", "2026", "--issued-on", "2026-02-10",
                 "--chunk", "3", "--pdf-dir", str(tmp_path), "--workers", "2", "--no-progress",
                 stdout=out)
    assert "7 decisions issued" in out.getvalue()
    from pypdf import PdfReader

    # print files: chunks of 3 split between 2 workers, each decision from a new page
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 5 and pdfs[0].read_bytes().startswith(b"%PDF")
    pages = [p for f in pdfs for p in PdfReader(f).pages]
    assert len(pages) == 7
    texts = " ".join(p.extract_text() for p in pages)
    assert texts.count("Pouczenie") == 7
    assert "FN.3120.2026.000001--FN.3120.2026.000002.pdf" in [f.name for f in pdfs]
    batch = DecisionBatch.objects.get()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already finished"):
        call_command("issue_decisions", "--resume", str(batch.pk), "--no-progress")
    with pytest.raises(CommandError, match="TERYT"):
        call_command("issue_decisions", "999999_9", "2026", "--no-progress")


# ---------------------------------------------------------------------------------------------
# Pages and permissions


def _client(make_user, town, roles, name="u"):
    c = Client(headers={"accept-language": "en"})
    c.force_login(make_user(name, town, roles))
    return c


def _urls(town, d, tp):
    return {"get": [f"/taxes/{town.pk}/decisions/?year=2026", f"/taxes/decision/{d.pk}/",
                    f"/taxes/decision/{d.pk}/pdf/", f"/taxes/{town.pk}/decisions/batch/",
                    f"/taxes/{town.pk}/rural/new/"],
            "post": [f"/taxes/taxpayer/{tp.pk}/decisions/new/",
                     f"/taxes/decision/{d.pk}/status/", f"/taxes/decision/{d.pk}/amend/",
                     f"/taxes/{town.pk}/decisions/batch/"]}


@override_settings(GEOGMINA_TAX_BATCH_SYNC=True)
def test_tax_officer_pages_and_every_read_audited(town, make_user):
    tp = _combined_taxpayer(town)
    _persons(town, 3)
    c = _client(make_user, town, (Role.TAX_OFFICER,))
    resp = c.post(f"/taxes/taxpayer/{tp.pk}/decisions/new/", {"year": "2026"})
    assert resp.status_code == 302
    d = Decision.objects.get(taxpayer=tp)
    assert d.status == "draft"
    before = AuditEvent.objects.filter(action="read_tax").count()
    for url in _urls(town, d, tp)["get"]:
        assert c.get(url).status_code == 200, url
    assert AuditEvent.objects.filter(action="read_tax").count() == before + 4  # + the form
    page = c.get(f"/taxes/decision/{d.pk}/").content.decode()
    assert d.number in page and "2007" in page
    pdf = c.get(f"/taxes/decision/{d.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    resp = c.post(f"/taxes/decision/{d.pk}/status/",
                  {"status": "issued", "on": "2026-02-10", "version": d.version})
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.status == "issued"
    stale = c.post(f"/taxes/decision/{d.pk}/status/",
                   {"status": "delivered", "on": "2026-02-12", "version": 1})
    assert stale.status_code == 409
    resp = c.post(f"/taxes/{town.pk}/decisions/batch/", {"year": "2026",
                                                          "issued_on": "2026-02-10"})
    assert resp.status_code == 302
    batch = DecisionBatch.objects.get()
    assert batch.status == "done" and batch.issued == 3
    status_page = c.get(f"/taxes/{town.pk}/decisions/batch/").content.decode()
    assert "<progress" in status_page and "4 / 4" in status_page


@pytest.mark.parametrize("role", DENIED_ROLES)
def test_other_roles_are_denied_decisions(town, make_user, role):
    tp = _person(town)
    _land(town, tp)
    d = decisions.decision_prepare(None, tp, 2026)
    c = _client(make_user, town, (role,))
    urls = _urls(town, d, tp)
    for url in urls["get"]:
        assert c.get(url).status_code == 403, url
    for url in urls["post"]:
        assert c.post(url, {"year": "2026", "status": "issued", "on": "2026-02-01",
                            "version": "1", "issued_on": "2026-02-01"}).status_code == 403, url
    d.refresh_from_db()
    assert d.status == "draft" and Decision.objects.count() == 1


def test_public_and_other_town_are_denied(town, make_user, make_municipality):
    tp = _person(town)
    _land(town, tp)
    d = decisions.decision_prepare(None, tp, 2026)
    urls = _urls(town, d, tp)
    for url in urls["get"]:
        resp = Client().get(url)
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"], url
    krosno = make_municipality("186101_1", "Krosno")
    other = _client(make_user, krosno, (Role.TAX_OFFICER,), name="krosno")
    for url in urls["get"]:
        resp = other.get(url)
        assert resp.status_code == 403, url
        assert b"Kowalski" not in resp.content


def test_officer_records_forest_and_sees_it_assessed(town, make_user):
    tp = _person(town)
    c = _client(make_user, town, (Role.TAX_OFFICER,))
    bad = c.post(f"/taxes/{town.pk}/rural/new/", {
        "taxpayer": tp.pk, "tax": "forest", "cadastral_id": "180501_1.0001.9", "ofu": "R",
        "area_ha": "10"})
    assert bad.status_code == 400 and b"Ls" in bad.content
    ok = c.post(f"/taxes/{town.pk}/rural/new/", {
        "taxpayer": tp.pk, "tax": "forest", "cadastral_id": "180501_1.0001.9", "ofu": "Ls",
        "area_ha": "10"})
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(action="create", object_type="taxes.rurallandobject").exists()
    page = c.get(f"/taxes/taxpayer/{tp.pk}/?year=2026").content.decode()
    # 10 ha × 0.220 m³ × 281.37 zł = 619.01 → 619 zł (whole złoty), four instalments
    assert "619.01" in page and "<strong>619.00\xa0zł</strong>" in page


def test_roll_sql_and_rules_agree_on_every_event_kind(town):
    """The set-based roll and the pure rules give each object the same months and amount for
    every kind of event and date around the year's edges."""
    from django.db import connection

    tp = _person(town)
    days = [date(2024, 12, 31), date(2025, 1, 1), date(2025, 5, 20), date(2025, 12, 1),
            date(2026, 1, 15), date(2026, 6, 30), date(2026, 12, 31)]
    objs = []
    for n, (event, day) in enumerate((e, d) for e in ("", "acquisition", "completion",
                                                       "start_of_use", "other") for d in days):
        kind = "land" if event in ("", "acquisition", "other") and n % 2 else "building"
        extra = ({"category": "G3", "area_m2": D("333.33")} if kind == "land"
                 else {"category": "B1", "usable_full_m2": D("77.7")})
        ceased = ({"ceased_event": "sale", "ceased_on": date(2026, 9, 3)}
                  if n % 3 == 0 and day <= date(2026, 9, 3) else {})
        objs.append(TaxObject.objects.create(
            municipality=town, taxpayer=tp, kind=kind, cadastral_id=f"x.{n}",
            building_id=f"b.{n}" if kind == "building" else "", arose_event=event,
            arose_on=day if event or n % 2 else None, **extra, **ceased))
    for year in (2025, 2026, 2027):
        rates = services.rates_for(town.pk, year)
        with connection.cursor() as cur:
            cur.execute("SELECT object_id, months, amount FROM taxes_object_liabilities(%s, %s)",
                        [town.pk, year])
            sql = {oid: (months, amount) for oid, months, amount in cur.fetchall()}
        for obj in objs:
            line = services.object_line(obj, year, rates)
            expected = None if line is None else (line.months, line.amount)
            assert sql.get(obj.pk) == expected, (year, obj.arose_event, obj.arose_on)


@override_settings(GEOGMINA_TAX_BATCH_SYNC=True)
def test_decision_pdf_prints_the_taxpayers_individual_account(town, make_user):
    """The decision names the account the payments register gave the taxpayer (mikrorachunek),
    so the payment it asks for is matched to him."""
    from pypdf import PdfReader

    from registers.payments import services as payments

    tp = _combined_taxpayer(town)
    payments.bank_settings_save(None, town, "10201026", "1805")
    payments.ensure_accounts(town.pk, [tp.pk])
    nrb = tp.individual_account.nrb
    c = _client(make_user, town, (Role.TAX_OFFICER,))
    assert c.post(f"/taxes/taxpayer/{tp.pk}/decisions/new/", {"year": "2026"}).status_code == 302
    d = Decision.objects.get(taxpayer=tp)
    pdf = c.get(f"/taxes/decision/{d.pk}/pdf/")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert nrb in text.replace(" ", "")
