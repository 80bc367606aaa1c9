"""The preliminary assessment of a PPP project as a PDF annex in Polish (reportlab, the DejaVu
fonts and table style of the tax decision's PDF): the project, the worksheet's yearly flows
with their discount factors, the comparator (PSC) against the PPP variant, value for money,
the risk matrix and the statistical classification it implies."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.utils import translation
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from layers import formats
from registers.ppp.models import PppProject
from registers.ppp.rules import Bearer, Risk
from registers.ppp.selectors import Assessment
from registers.taxes.pdf import _esc, _fonts, _table

RISK_PL = {Risk.CONSTRUCTION: "ryzyko budowy", Risk.AVAILABILITY: "ryzyko dostępności",
           Risk.DEMAND: "ryzyko popytu"}
BEARER_PL = {Bearer.PUBLIC: "gmina", Bearer.PARTNER: "partner prywatny",
             Bearer.SHARED: "wspólnie"}
ROUTE_PL = {"procurement": "ustawa o PPP i ustawa – Prawo zamówień publicznych",
            "concession": "ustawa o PPP i ustawa o umowie koncesji", "": "nie wybrano"}


def render(project: PppProject, result: Assessment, today: date | None = None) -> bytes:
    """The worksheet as PDF bytes: Polish text, so Polish numbers and dates whatever the UI's
    language."""
    with translation.override("pl"):
        return _render(project, result, today)


def _render(project: PppProject, result: Assessment, today: date | None) -> bytes:
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12)
    head = ParagraphStyle("head", parent=base, fontName=bold, spaceBefore=8, spaceAfter=3)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16,
                           alignment=1)
    story: list = [
        Paragraph("Załącznik – wstępna ocena efektywności przedsięwzięcia PPP", title),
        Paragraph(f"{_esc(project.municipality.name)}, {formats.date(today or date.today())}",
                  ParagraphStyle("c", parent=base, alignment=1)),
        Spacer(1, 4 * mm),
        Paragraph(f"<b>Przedsięwzięcie:</b> {_esc(project.title)}", base),
        Paragraph(f"<b>Działki:</b> {_esc(', '.join(project.cadastral_ids))}", base),
        Paragraph(f"<b>Tryb wyboru partnera:</b> {ROUTE_PL.get(project.route, project.route)}",
                  base),
        Paragraph(f"<b>Stopa dyskontowa:</b> {formats.percent(project.discount_rate)} (parametr "
                  "przedsięwzięcia)", base),
        Paragraph("Podstawa: ustawa z dnia 19 grudnia 2008 r. o partnerstwie "
                  "publiczno-prywatnym (t.j. Dz.U. z 2023 r. poz. 1637); klasyfikacja według "
                  "zasad Eurostatu (ESA 2010).", base),
        Paragraph("Przepływy roczne [zł]", head),
    ]
    rows = [["rok", "nakłady", "koszty eksploatacji", "opłaty użytkowników",
             "opłata za dostępność", "wkład własny", "czynnik dyskonta", "PSC", "wariant PPP"]]
    for r in result.years:
        c = r["row"]
        money = formats.money
        rows.append([str(r["year"]), money(c.capex), money(c.opex), money(c.user_fees),
                     money(c.availability_payment), money(c.public_contribution),
                     formats.number(r["factor"]), money(r["psc"]), money(r["ppp"])])
    story.append(_table(rows, [12 * mm] + [33 * mm] * 5 + [24 * mm, 36 * mm, 36 * mm],
                        regular, bold))
    comparison = result.comparison
    story.append(Paragraph("Porównanie (wartości bieżące)", head))
    if comparison is None:
        story.append(Paragraph("Arkusz nie ma jeszcze danych.", base))
    else:
        verdict = ("PPP jest korzystniejsze od realizacji tradycyjnej"
                   if comparison.ppp_is_better else
                   "realizacja tradycyjna jest korzystniejsza lub równoważna")
        pct = "–" if comparison.value_for_money_pct is None else \
            f"{formats.number(comparison.value_for_money_pct)}\xa0%"
        story.append(_table([["PSC (komparator sektora publicznego)", "wariant PPP",
                              "value for money", "% PSC"],
                             [formats.money(comparison.psc), formats.money(comparison.ppp),
                              formats.money(comparison.value_for_money), pct]],
                            [70 * mm, 45 * mm, 45 * mm, 25 * mm], regular, bold))
        story.append(Paragraph(f"Wniosek: {verdict}.", base))
    story.append(Paragraph("Macierz ryzyk", head))
    risk_rows = [["ryzyko", "ponosi", "wartość [zł, suma lat]"]]
    for item in result.risks:
        total = sum((Decimal(v) for v in item.values), Decimal(0))
        share = ""
        if item.bearer == Bearer.SHARED:
            share = f" (udział gminy {formats.percent(item.retained_share())})"
        risk_rows.append([RISK_PL[item.risk], BEARER_PL[item.bearer] + share, formats.money(total)])
    story.append(_table(risk_rows, [60 * mm, 60 * mm, 45 * mm], regular, bold))
    story.append(Paragraph("Klasyfikacja statystyczna", head))
    off = result.classification.off_balance
    story.append(Paragraph(
        ("Aktywa poza bilansem sektora publicznego: partner ponosi ryzyko budowy oraz ryzyko "
         "dostępności lub popytu." if off else
         "Aktywa w bilansie sektora publicznego: partner nie ponosi ryzyka budowy albo nie "
         "ponosi ani ryzyka dostępności, ani popytu (ryzyko wspólne nie liczy się jako "
         "ryzyko partnera)."), base))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Wstępna ocena PPP – {project.title}", author="geogmina")
    doc.build(story)
    return buf.getvalue()
