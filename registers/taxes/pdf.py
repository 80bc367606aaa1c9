"""A tax decision as a PDF in Polish (reportlab; DejaVu fonts from Debian's fonts-dejavu-core).

The decision has the parts art. 210 § 1 Ordynacji podatkowej requires: the organ, the date of
issue, the addressee, the legal basis, the ruling (objects with bases, rates and amounts, the
total, instalments with due dates and the account to pay to), the reasons, the instruction on
appeal, and the signature of the person authorised. The text is Polish whatever the UI language:
it is an administrative act addressed to a Polish taxpayer.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from django.utils import translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from layers import formats
from registers.taxes.models import Decision, DecisionInstalment, TaxOfficeSettings

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))

KIND_TITLE = {
    "property": "w sprawie wymiaru podatku od nieruchomości",
    "agricultural": "w sprawie wymiaru podatku rolnego",
    "forest": "w sprawie wymiaru podatku leśnego",
    "combined": "w sprawie wymiaru łącznego zobowiązania pieniężnego",
}
KIND_BASIS = {
    "property": "art. 1a, 2, 3, 4, 5, 6 i 7 ustawy z dnia 12 stycznia 1991 r. o podatkach i "
                "opłatach lokalnych (t.j. Dz.U. z 2025 r. poz. 707)",
    "agricultural": "art. 1, 2, 3, 4, 6, 6a i 12 ustawy z dnia 15 listopada 1984 r. o podatku "
                    "rolnym (t.j. Dz.U. z 2025 r. poz. 1344)",
    "forest": "art. 1, 2, 4, 6 i 7 ustawy z dnia 30 października 2002 r. o podatku leśnym "
              "(t.j. Dz.U. z 2025 r. poz. 176)",
}
TAX_NAME = {"property": "podatek od nieruchomości", "agricultural": "podatek rolny",
            "forest": "podatek leśny"}
STATUS_MARK = {"draft": "PROJEKT – dokument nie jest decyzją"}


class FontsMissing(RuntimeError):
    pass


@cache
def _fonts() -> tuple[str, str]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    raise FontsMissing("DejaVu fonts not found: install fonts-dejavu-core "
                       "(scripts/install-system-deps.sh)")


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16,
                                alignment=1, spaceBefore=6),
        "subtitle": ParagraphStyle("subtitle", parent=base, alignment=1, spaceAfter=6),
        "head": ParagraphStyle("head", parent=base, fontName=bold, spaceBefore=8,
                               spaceAfter=2),
        "mark": ParagraphStyle("mark", parent=base, fontName=bold, textColor=colors.red,
                               alignment=1),
    }


def _esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[list], widths: list[float], font: str, bold: str) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTNAME", (0, 0), (-1, 0), bold),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5), ("LEADING", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
    ]))
    return table


def render_decision(decision: Decision, payment_account: str = "",
                    instalments: list[DecisionInstalment] | None = None,
                    office: TaxOfficeSettings | None = None) -> bytes:
    """The decision as PDF bytes.

    ``payment_account``: the taxpayer's individual bank account number (mikrorachunek), filled
    by the caller from the payments register; without it the decision says to pay to the
    municipality's account given in the accompanying letter. ``instalments``/``office`` may be
    passed in by a batch that already holds them (no query then).
    """
    if office is None:
        office = TaxOfficeSettings.objects.filter(municipality_id=decision.municipality_id).first()
    with translation.override("pl"):  # Polish numbers and dates, as the text
        return _build(_story(decision, payment_account, instalments, office), decision.number,
                      office)


def render_decisions(items: list[tuple[Decision, list[DecisionInstalment], str]],
                     office: TaxOfficeSettings | None) -> bytes:
    """Many decisions in one PDF for printing, each from a new page: (decision, instalments,
    payment account) per item. The fonts are embedded once, not once per decision."""
    story: list = []
    with translation.override("pl"):
        for n, (decision, instalments, account) in enumerate(items):
            if n:
                story.append(PageBreak())
            story += _story(decision, account, instalments, office)
        return _build(story, f"Decyzje ({len(items)})", office)


def _build(story: list, title: str, office: TaxOfficeSettings | None) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=title,
                            author=office.organ if office else "")
    doc.build(story)
    return buf.getvalue()


def _story(decision: Decision, payment_account: str,
           instalments: list[DecisionInstalment] | None,
           office: TaxOfficeSettings | None) -> list:
    regular, bold = _fonts()
    st = _styles()
    if instalments is None:
        instalments = list(decision.instalments.order_by("number"))
    town = decision.municipality
    taxpayer = decision.taxpayer
    organ = office.organ if office else f"Organ podatkowy gminy {town.name}"
    sko = office.appeal_body if office else "Samorządowe Kolegium Odwoławcze"
    issued = formats.date(decision.issued_on) if decision.issued_on else "…………"
    out: list = []
    if decision.status in STATUS_MARK:
        out.append(Paragraph(STATUS_MARK[decision.status], st["mark"]))
    out.append(Paragraph(f"{_esc(town.name)}, dnia {issued}", st["right"]))
    out.append(Paragraph(f"<b>{_esc(organ)}</b><br/>{_esc(office.organ_address if office else '')}",
                         st["base"]))
    out.append(Paragraph(f"Znak: {_esc(decision.number)}", st["base"]))
    out.append(Spacer(1, 4 * mm))
    out.append(Paragraph(f"<b>{_esc(taxpayer.name)}</b><br/>{_esc(taxpayer.address)}",
                         ParagraphStyle("addr", parent=st["base"], leftIndent=95 * mm)))
    title = "DECYZJA ZMIENIAJĄCA" if decision.amends_id else "DECYZJA"
    out.append(Paragraph(title, st["title"]))
    out.append(Paragraph(f"{KIND_TITLE[decision.tax_kind]} na {decision.year} rok",
                         st["subtitle"]))
    parts = [k for k in ("property", "agricultural", "forest") if k in decision.parts] or [
        decision.tax_kind]
    basis = ("Na podstawie art. 21 § 1 pkt 2, art. 207 i art. 210 ustawy z dnia 29 sierpnia "
             "1997 r. – Ordynacja podatkowa (t.j. Dz.U. z 2025 r. poz. 111), "
             + "; ".join(KIND_BASIS[k] for k in parts if k in KIND_BASIS))
    if decision.tax_kind == "combined":
        basis += "; art. 6c ustawy o podatkach i opłatach lokalnych"
    if decision.amends_id:
        # the provision cited for a change during the year varies between offices (UNCONFIRMED)
        basis += "; art. 6 ust. 3–5 ustawy o podatkach i opłatach lokalnych (zmiana w ciągu roku)"
    out.append(Paragraph(_esc(basis) + " – ustalam:", st["base"]))
    rows = [["Podatek / przedmiot", "Działka / budynek", "Podstawa", "Stawka", "Mies.",
             "Kwota"]]
    for line in decision.lines:
        where = line.get("building_id") or line.get("cadastral_id") or ""
        amount = "zwolniony" if line.get("exempt") else formats.money(line["amount"])
        rows.append([
            Paragraph(_esc(f"{TAX_NAME.get(line['tax'], '')}: {line['description']}"
                           + (f" ({line['basis']})" if line.get("basis") else "")), st["small"]),
            Paragraph(_esc(where), st["small"]),
            f"{formats.number(line['base'])} {line['unit']}",
            f"{formats.rate(line['rate'])} {line['rate_unit']}",
            str(line["months"]), amount])
    out.append(_table(rows, [62 * mm, 38 * mm, 24 * mm, 26 * mm, 10 * mm, 20 * mm], regular,
                      bold))
    out.append(Spacer(1, 2 * mm))
    for kind in parts:
        if kind in decision.parts:
            out.append(Paragraph(f"{TAX_NAME[kind]}: {formats.money(decision.parts[kind])}",
                                 st["base"]))
    out.append(Paragraph(f"<b>Kwota do zapłaty za {decision.year} rok: "
                         f"{formats.money(decision.amount)}</b>", st["base"]))
    out.append(Paragraph("Termin i raty płatności", st["head"]))
    inst_rows = [["Rata", "Termin płatności", "Kwota"]] + [
        [str(i.number), formats.date(i.due_date), formats.money(i.amount)] for i in instalments]
    out.append(_table(inst_rows, [20 * mm, 40 * mm, 30 * mm], regular, bold))
    out.append(Spacer(1, 2 * mm))
    if payment_account:
        out.append(Paragraph(f"Wpłat należy dokonywać na indywidualny rachunek bankowy "
                             f"podatnika: <b>{_esc(payment_account)}</b>", st["base"]))
    else:
        out.append(Paragraph("Wpłat należy dokonywać na rachunek bankowy gminy wskazany w "
                             "piśmie przewodnim.", st["base"]))
    out.append(Paragraph("Terminy płatności przypadające w sobotę, niedzielę lub dzień "
                         "ustawowo wolny od pracy zostały przesunięte na najbliższy dzień "
                         "roboczy (art. 12 § 5 Ordynacji podatkowej).", st["small"]))
    out.append(Paragraph("Uzasadnienie", st["head"]))
    out.append(Paragraph(_esc(decision.reason), st["base"]))
    out.append(Paragraph("Pouczenie", st["head"]))
    out.append(Paragraph(
        f"Od niniejszej decyzji przysługuje odwołanie do {_esc(sko)} za pośrednictwem "
        f"{_esc(organ)} w terminie 14 dni od dnia jej doręczenia (art. 220 § 1 i 2, art. 223 "
        "§ 2 pkt 1 Ordynacji podatkowej). Wniesienie odwołania nie wstrzymuje wykonania decyzji "
        "(art. 224 § 1). W przypadku niezapłacenia podatku w terminie od zaległości naliczane "
        "są odsetki za zwłokę (art. 53 § 1), a należność podlega egzekucji w trybie "
        "egzekucji administracyjnej.", st["base"]))
    out.append(Spacer(1, 12 * mm))
    out.append(Paragraph("……………………………………<br/>(podpis osoby upoważnionej)",
                         ParagraphStyle("sig", parent=st["small"], leftIndent=110 * mm)))
    return out
