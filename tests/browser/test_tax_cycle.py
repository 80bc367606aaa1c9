"""The tax cycle in a real browser (issue 16): a tax officer adopts the year's rate
resolution, gives the taxpayers their individual accounts, issues a taxpayer's decision, downloads
its PDF (rendered to an image and read back), imports the bank statement paying it, and sees
the plot's tax status on the map card and tile turn from "in arrears" to "paid".

The year is last year, so that every instalment of the decision is already due whatever day the
test runs; the taxpayer pays the whole decision on its first due date (no interest arises)."""

from __future__ import annotations

import io
import re
from decimal import Decimal as D

import pypdfium2
import pytest
from django.utils import timezone
from pypdf import PdfReader

from gis_app.accounts.roles import Role
from registers.payments import samples
from registers.payments.models import IndividualAccount, Payment
from registers.taxes.models import Decision, TaxObject, Taxpayer
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.mvt import decode_mvt, tile_of

# serialized_rollback: the flush after a transactional test would drop the seeded yearly data
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

X, Y = 677_400.0, 211_000.0  # a 40 m plot of the fixture town (Jasło, PL-1992)
AREA = D("1000")  # m² of other land (G3) of a natural person
RATE_G3 = "0.60"  # zł/m², Jasło's 2025 rate, within the cap
COLLECTION = "63102010260000000000000000"  # the municipality's account the statement is of


def _card_status(page, base: str, plot) -> tuple[str, str]:
    """The tax status on the plot's card, opened on the map as an officer opens it."""
    page.goto(f"{base}/?parcel={plot.id}")
    page.wait_for_selector(f'#card .parcel-card[data-cadastral-id="{plot.cadastral_id}"]')
    status = page.wait_for_selector("#card .card-tax .tax-status")
    return status.inner_text().strip(), status.get_attribute("class")


def _tile_status(page, plot) -> dict:
    """The plot's feature in the tax_status tile, fetched by the browser with its session."""
    z, x, y = tile_of(X + 20, Y + 20, 16)
    data = page.evaluate("""async (url) => {
        const r = await fetch(url);
        return Array.from(new Uint8Array(await r.arrayBuffer())); }""",
                         f"/tiles/tax_status/{z}/{x}/{y}.pbf")
    features = decode_mvt(bytes(data)).get("tax_status", [])
    return next(f for f in features if f["cadastral_id"] == plot.cadastral_id)


def _show_tax_layer(page, klass: str, label: str) -> None:
    """Switch the tax-status layer on (it may be on already): its legend names ``klass``;
    wait until its tiles have arrived (for the picture)."""
    page.check('.layer-tree input[type=checkbox][data-layer="tax_status"]')
    legend = page.wait_for_selector(
        f'.legend .legend-layer[data-layer="tax_status"] .legend-sub[data-value="{klass}"]')
    assert legend.inner_text().strip() == label
    page.wait_for_load_state("networkidle")


def test_tax_officer_from_resolution_to_paid_plot(live_server, new_page, page_log, login,
                                                   make_parcel, make_user):
    year = timezone.localdate().year - 1
    plot = make_parcel("7", X, Y, size=40)
    town = plot.municipality
    taxpayer = Taxpayer.objects.create(municipality=town, name="Nowak Anna",
                                       address="ul. Kościuszki 3, 38-200 Jasło")
    TaxObject.objects.create(municipality=town, taxpayer=taxpayer, kind="land", category="G3",
                             cadastral_id=plot.cadastral_id, parcel_row=plot, area_m2=AREA)
    officer = make_user("referent", town, (Role.TAX_OFFICER,))
    base = live_server.url
    page = new_page()  # Polish UI
    login(page.context, officer, base)

    # 1. the council's rate resolution for the year
    page.goto(f"{base}/taxes/")
    page.click(f'a[href="/taxes/{town.pk}/resolutions/"]')
    page.click(f'a[href="/taxes/{town.pk}/resolutions/new/"]')
    page.fill("#id_year", str(year))
    page.fill("#id_number", f"XII/100/{year - 1}")
    page.fill("#id_adopted_on", f"{year - 1}-11-20")
    page.fill("#id_rate_G3", RATE_G3)
    page.click("form:has(#id_year) button[type=submit]")
    page.wait_for_url(f"{base}/taxes/{town.pk}/resolutions/")
    assert f"XII/100/{year - 1}" in page.inner_text("main")

    # 2. the bank of the individual accounts, and the taxpayers' accounts
    page.click('nav.main-menu a[href="/payments/"]')  # "Wpłaty podatków"
    page.click(f'a[href="/payments/{town.pk}/"]')
    page.click(f'a[href="/payments/{town.pk}/bank/"]')
    page.fill("#id_settlement_number", "10201026")
    page.fill("#id_account_prefix", "1805")
    page.fill("#id_bank_name", "Bank Spółdzielczy w Jaśle")
    page.click("form:has(#id_settlement_number) button[type=submit]")
    page.wait_for_url(f"{base}/payments/{town.pk}/")
    page.click(f'form[action="/payments/{town.pk}/accounts/"] button')
    page.wait_for_selector(".messages li")
    nrb = IndividualAccount.objects.get(taxpayer=taxpayer).nrb

    # 3. the taxpayer's assessment for the year, and the decision issued on 2 February
    page.click('nav.main-menu a[href="/taxes/"]')
    page.click(f'a[href="/taxes/{town.pk}/taxpayers/"]')
    page.click(f'a[href^="/taxes/taxpayer/{taxpayer.pk}/"]')
    page.click(f'a[href="?year={year}"]')
    total = D("600")  # 1000 m² × 0.60 zł, whole złoty
    assert "—600,00zł" in re.sub(r"\s", "", page.inner_text("main"))  # the assessment
    page.fill('input[name="issued_on"]', f"{year}-02-02")
    page.click(f'form[action="/taxes/taxpayer/{taxpayer.pk}/decisions/new/"] button')
    page.wait_for_url(re.compile(r"/taxes/decision/\d+/$"))
    decision = Decision.objects.get(taxpayer=taxpayer, year=year)
    assert decision.status == Decision.Status.ISSUED and decision.amount == total
    assert decision.number in page.inner_text("h1")
    instalments = list(decision.instalments.order_by("number"))
    assert sum(i.amount for i in instalments) == total
    screenshot(page, "tax-cycle-decision")

    # 4. the decision as a PDF: its first page rendered is not blank; its text has the total
    # and the taxpayer's individual account
    href = page.get_attribute(f'a[href="/taxes/decision/{decision.pk}/pdf/"]', "href")
    response = page.context.request.get(base + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=1).to_pil().convert("L")
    ink = sum(image.histogram()[:128])  # pixels darker than mid-grey: the printed text
    assert ink > 0.005 * image.width * image.height, "the decision's first page renders blank"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "tax-cycle-decision-pdf.png")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "600,00zł" in flat, "the decision's total is not in the PDF"
    assert nrb in flat, "the individual account is not in the PDF"

    # 5. on the map: every instalment is overdue and unpaid
    label, klass = _card_status(page, base, plot)
    assert label == "zaległość" and "tax-status-arrears_mid" in klass
    tile = _tile_status(page, plot)
    assert tile["status"] == "in_arrears" and D(str(tile["arrears"])) == total
    _show_tax_layer(page, "arrears_mid", "zaległość: 500–5 000 zł")
    screenshot(page, "tax-cycle-map-arrears")

    # 6. the bank statement: the whole decision paid on the first due date to the account
    # (MT940, Polish banks' variant)
    statement = samples.mt940(COLLECTION, f"WYC-{year}-03", [samples.Credit(
        instalments[0].due_date, total, nrb, title=f"Podatek {decision.number}",
        payer_name="Nowak Anna")])
    page.click('nav.main-menu a[href="/payments/"]')
    page.click(f'a[href="/payments/{town.pk}/"]')
    page.set_input_files("#statement-form input[type=file]", files=[
        {"name": "wyciag.sta", "mimeType": "text/plain", "buffer": statement}])
    page.click("#statement-form button[type=submit]")
    page.wait_for_url(f"{base}/payments/{town.pk}/")
    assert page.inner_text(".messages li") == (
        "Zaimportowano wyciąg: wpłat 1, rozpoznanych po rachunku 1, po tytule 0, "
        "do wyjaśnienia 0, rozksięgowanych 1.")
    payment = Payment.objects.get(municipality=town)
    assert (payment.taxpayer_id, payment.matched_by, payment.status, payment.amount) == (
        taxpayer.pk, "account", "allocated", total)

    # 7. the plot is paid: card and tile agree
    label, klass = _card_status(page, base, plot)
    assert label == "bez zaległości" and "tax-status-paid" in klass
    tile = _tile_status(page, plot)
    assert tile["status"] == "paid" and tile["arrears"] == 0
    _show_tax_layer(page, "paid", "bez zaległości")
    screenshot(page, "tax-cycle-map-paid")
    assert page_log.console_errors == []
    assert page_log.external_requests == []
