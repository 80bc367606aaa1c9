"""Two user paths in a real browser: the property officer takes a PPP project from the idea
through the preliminary assessment (worksheet, value for money, classification, PDF annex, a
stage deadline), and a business on a phone (390×844) asks the public front desk about a board,
a plot's property tax and parking at a point, then follows the link to the resolution."""

from __future__ import annotations

import pytest

from gis_app.accounts.roles import Role
from registers.leases.models import PropertyOverride
from registers.ppp.models import PppProject
from tests.browser.conftest import screenshot
from tests.db.test_desk import (
    POINT,
    town,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def test_property_officer_takes_a_project_through_the_assessment(
        live_server, new_page, page_log, login, make_parcel, make_user):
    plots = [make_parcel(n, 677_000 + 30 * i, 211_000) for i, n in enumerate(("10", "11"))]
    muni = plots[0].municipality
    for p in plots:
        PropertyOverride.objects.create(municipality=muni, cadastral_id=p.cadastral_id,
                                        status="include")
    officer = make_user("officer", muni, (Role.PROPERTY_OFFICER,))
    page = new_page(locale="en-GB")
    login(page.context, officer, live_server.url)
    page.goto(f"{live_server.url}/ppp/")
    page.click("#new-project")
    page.fill("#id_title", "Hala sportowa")
    page.select_option("#id_municipality", str(muni.id))
    page.fill("#id_cadastral_ids", ", ".join(p.cadastral_id for p in plots))
    page.click("#project-form button[type=submit]")
    page.wait_for_selector("#edit-worksheet")
    project = PppProject.objects.get()
    assert page.url.endswith(f"/ppp/{project.pk}/")

    # the worksheet: the rules' worked example (three years, construction risk to the partner)
    page.click("#edit-worksheet")
    page.fill("#id_discount_rate", "0.05")
    page.select_option("#id_construction_bearer", "partner")
    page.select_option("#id_availability_bearer", "partner")
    page.select_option("#id_demand_bearer", "public")
    page.fill("#id_years-0-capex", "1000000")
    page.fill("#id_years-0-risk_construction", "100000")
    for year in (1, 2):
        page.fill(f"#id_years-{year}-opex", "100000")
        page.fill(f"#id_years-{year}-availability_payment", "600000")
    page.click("#worksheet-form button[type=submit]")
    page.wait_for_selector("table.assessment")
    assert page.inner_text("td.psc") == "1285941.04 zł"
    assert page.inner_text("td.ppp") == "1115646.26 zł"
    assert page.inner_text("td.vfm").startswith("170294.78 zł (13.24 %)")
    assert page.inner_text("td.classification") == "off the public balance sheet"

    # a deadline of the partner's selection, then the stage itself
    page.select_option("#milestone-form select[name=stage]", "selection")
    page.fill("#milestone-form input[name=title]", "Ogłoszenie w BZP")
    page.fill("#milestone-form input[name=due_on]", "2030-01-15")
    page.click("#milestone-form button[type=submit]")
    page.wait_for_selector("table.milestones >> text=Ogłoszenie w BZP")
    page.click("#edit-project")
    page.select_option("#id_stage", "selection")
    page.click("#project-form button[type=submit]")
    assert "Choose the selection route" in page.inner_text("#project-form")  # refused, named
    page.select_option("#id_route", "procurement")
    page.click("#project-form button[type=submit]")
    page.wait_for_selector("h1 .stage-selection")
    project.refresh_from_db()
    assert (project.stage, project.route, project.cashflows.count()) == (
        "selection", "procurement", 3)
    pdf = page.request.get(f"{live_server.url}/ppp/{project.pk}/assessment.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    screenshot(page, "ppp-project-detail", docs=True)
    # the one error is the refused save's answer: a 400 by design (the editing kernel)
    assert page_log.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    assert page_log.external_requests == []


def test_public_desk_on_a_phone(live_server, new_page, page_log, town):  # noqa: F811
    _, plot = town
    page = new_page(viewport=PHONE)  # Polish, no login
    page.goto(f"{live_server.url}/desk/")
    page.wait_for_selector("#desk-map[data-ready='1']")
    page.fill("#desk-x", POINT["x"].replace(".", ","))
    page.fill("#desk-y", POINT["y"])
    page.select_option("select[name=type]", "board")
    page.fill("#desk-area", "12")
    page.fill("input[name=height_m]", "5")
    page.click("#ask-board")
    page.wait_for_selector("#desk-answer[data-ask='board']")
    assert "§ 5 ust. 1" in page.inner_text("#desk-answer")
    assert "Opłata reklamowa za cały rok" in page.inner_text("#board-fee")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "desk-board-phone", docs=True)
    # the map is centred on the asked point: a tap on its centre gives the same X/Y back
    box = page.locator("#desk-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert abs(float(page.input_value("#desk-x")) - float(POINT["x"])) < 3
    assert abs(float(page.input_value("#desk-y")) - float(POINT["y"])) < 3

    page.fill("#desk-plot", plot.cadastral_id)
    page.fill("#desk-usable", "100")
    page.click("#ask-plot")
    page.wait_for_selector("#plot-total")
    assert page.inner_text("#plot-total") == "3400 zł"
    assert "Podatnik Tajny" not in page.content()
    page.click("#ask-parking")
    page.wait_for_selector("#parking-rates")
    page.click("#desk-answer a.resolution-link")
    page.wait_for_url("**/desk/resolutions/**")
    assert page.locator("[id^='parking-']").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page_log.console_errors == []
    assert page_log.external_requests == []
