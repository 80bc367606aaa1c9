"""The social-welfare officer's path: logs in, registers a resident, puts her in a training
flat on a referral decision, sees the fee the council's resolution gives, then opens the plan
(the flats on the map, the balance) and its PDF. A planner sees the plan but no resident."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import get_resolver

from gis_app.accounts.roles import Role
from registers.housing import services
from registers.housing.models import HousingResolution, Resident
from tests.browser.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_social_welfare_officer_registers_a_resident_and_reads_the_plan(
        live_server, new_page, page_log, make_municipality, make_parcel, make_user):
    town = make_municipality("180501_1", "Jasło")
    plot = make_parcel("7", 677_000, 211_000, municipality=town)
    flat = services.flat_save(None, town.id, dict(
        address="ul. Słoneczna 4/2, Jasło", cadastral_id=plot.cadastral_id, kind="training",
        operator_kind="municipality", operator_name="MOPS", places=3, occupied_places=0,
        usable_area_m2=D("48.50"), stay_months=12))
    HousingResolution.objects.create(
        municipality=town, number="XII/1/2025", valid_from=datetime.date(2025, 1, 1),
        criterion_single=D("1010"), criterion_family=D("823"), monthly_cost=D("1500"),
        fee_brackets=[[100, 0], [150, 10], [200, 20], [None, 50]])
    make_user("ops", town, (Role.SOCIAL_WELFARE_OFFICER,))

    assert get_resolver().url_patterns  # the URL configuration loaded before the browser asks
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/accounts/login/?next=/housing/residents/")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "pw-ops")
    page.click("form button[type=submit]")
    page.click("text=Nowy mieszkaniec")
    page.fill("#id_full_name", "Anna Przeglądarkowa")
    page.select_option("#id_category", "foster_care")
    page.fill("#id_monthly_income", "1515")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Nowy pobyt")
    resident = Resident.objects.get(full_name="Anna Przeglądarkowa")

    page.click("text=Nowy pobyt")
    page.select_option("#id_flat", str(flat.pk))
    page.fill("#id_referral_number", "MOPS.4011.7.2026")
    page.fill("#id_referral_date", "2026-01-05")
    page.fill("#id_welfare_centre", "MOPS Jasło")
    page.fill("#id_planned_from", "2026-01-10")
    page.click("main form button[type=submit]")  # a training flat without a planned end: refused
    assert "na czas określony" in page.locator(".errors, .errorlist").first.inner_text()
    page.fill("#id_planned_until", "2099-01-09")
    page.fill("#id_actual_from", "2026-01-10")
    page.click("main form button[type=submit]")
    fee = page.wait_for_selector("p.fee")
    # 1 515 zł = 150 % of 1 010 zł: 10 % of 1 500 zł
    assert "150,00 zł miesięcznie" in fee.inner_text() or "150.00 zł miesięcznie" in \
        fee.inner_text(), fee.inner_text()
    assert page.url.endswith(f"/housing/residents/{resident.pk}/")
    screenshot(page, "housing-resident-welfare")

    page.click("text=Plan")
    page.wait_for_selector("#flats-map .leaflet-overlay-pane path")
    balance = page.locator("table.balance").inner_text()
    assert "mieszkanie treningowe" in balance and "3" in balance
    assert "Anna" not in page.content()
    with page.expect_response(lambda r: "/housing/plan.pdf" in r.url) as pdf:
        page.evaluate("url => fetch(url)", page.get_attribute("text=PDF dla rady", "href"))
    assert pdf.value.status == 200 and pdf.value.headers["content-type"] == "application/pdf"
    screenshot(page, "housing-plan")
    # the one refused form answered 400 (the browser logs it); nothing else went wrong
    assert [e for e in page_log.console_errors if "400 (Bad Request)" not in e] == []
    assert len(page_log.console_errors) == 1
    assert page_log.external_requests == []
