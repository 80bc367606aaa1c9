"""Printable documents of the payments register (reportlab; Polish letters with DejaVu Sans
where the system has it): the taxpayer's account statement and reminders (upomnienia)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from layers import formats
from layers.rasters.dossier import FONT_BOLD_PATHS, FONT_PATHS


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = next((p for p in FONT_PATHS if p.is_file()), None)
    bold = next((p for p in FONT_BOLD_PATHS if p.is_file()), None)
    if regular is None:
        return "Helvetica", "Helvetica-Bold"
    if "GeogminaSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("GeogminaSans", str(regular)))
        pdfmetrics.registerFont(TTFont("GeogminaSans-Bold", str(bold or regular)))
    return "GeogminaSans", "GeogminaSans-Bold"


def _money(value: Decimal | None) -> str:
    return "" if value is None else formats.money(value)


def _doc(title: str):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    font, bold = _fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm, title=title)
    styles = {"p": ParagraphStyle("p", fontName=font, fontSize=9.5, leading=12.5),
              "h": ParagraphStyle("h", fontName=bold, fontSize=13, leading=16, spaceAfter=6),
              "small": ParagraphStyle("s", fontName=font, fontSize=8, leading=10)}
    return buf, doc, styles, font, bold


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], font: str, bold: str):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    t = Table([[str(c) for c in r] for r in rows], colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5), ("FONT", (0, 0), (-1, 0), bold, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def statement_pdf(st: Any, town_name: str) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    title = _("Taxpayer's account statement")
    buf, doc, s, font, bold = _doc(title)
    pos = st.position
    story = [
        Paragraph(f"{town_name} – {title}", s["h"]),
        Paragraph(f"{_('Taxpayer')}: {st.taxpayer.name}"
                  f"{', ' + st.taxpayer.tax_id if st.taxpayer.tax_id else ''}", s["p"]),
        Paragraph(f"{_('Individual account')}: {st.account or '—'}", s["p"]),
        Paragraph(f"{_('As of')}: {formats.date(st.on_date)}", s["p"]), Spacer(1, 4 * mm)]
    if st.decisions:
        story.append(_table([[_("decision"), _("year"), _("tax"), _("instalments"),
                              _("amount [zł]")]]
                            + [[d["number"], d["year"], d["tax"], d["instalments"],
                                _money(d["total"])] for d in st.decisions],
                            [60 * mm, 15 * mm, 40 * mm, 20 * mm, 30 * mm], font, bold))
        story.append(Spacer(1, 4 * mm))
    story.append(_table(
        [[_("date"), _("entry"), _("owed [zł]"), _("paid [zł]"), _("balance [zł]")]]
        + [[formats.date(r.on_date), (r.text + (" — " + r.detail if r.detail else ""))[:120],
            _money(r.debit) if r.debit else "", _money(r.credit) if r.credit else "",
            _money(r.balance)] for r in st.rows],
        [20 * mm, 95 * mm, 20 * mm, 20 * mm, 20 * mm], font, bold))
    story += [Spacer(1, 4 * mm), _table([
        [_("on the date"), _("amount [zł]")],
        [_("arrears (tax overdue)"), _money(pos.arrears)],
        [_("late-payment interest to the date"), _money(pos.interest)],
        [_("reminder costs"), _money(pos.costs)],
        [_("not yet due"), _money(pos.not_yet_due)],
        [_("overpayment"), _money(pos.overpayment)],
        [_("balance to pay"), _money(pos.balance)]], [80 * mm, 30 * mm], font, bold)]
    doc.build(story)
    return buf.getvalue()


def reminders_pdf(reminders: Sequence[Any], town_name: str, account_of: dict[int, str]) -> bytes:
    """One page per reminder (upomnienie): the arrears, interest to the day of issue, the cost,
    the account to pay to and the warning of enforcement (art. 15 § 1 u.p.e.a.)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    buf, doc, s, font, bold = _doc(_("Reminder"))
    story: list[Any] = []
    for i, r in enumerate(reminders):
        if i:
            story.append(PageBreak())
        c = r.charge
        total = r.arrears + r.interest + r.cost
        story += [
            Paragraph(f"{town_name}, {formats.date(r.issued_on)}", s["p"]), Spacer(1, 4 * mm),
            Paragraph(f"{r.taxpayer.name}<br/>{r.taxpayer.address}", s["p"]),
            Spacer(1, 6 * mm),
            Paragraph(f"{_('REMINDER')} {r.number}", s["h"]),
            Paragraph(_("Under art. 15 § 1 of the act on enforcement proceedings in "
                        "administration, you are reminded to pay, within 7 days of receiving "
                        "this reminder, the overdue amount below."), s["p"]),
            Spacer(1, 4 * mm),
            _table([[_("liability"), _("due date"), _("amount [zł]")],
                    [f"{c.get_tax_kind_display()} {c.year}, {_('instalment')} {c.number} "
                     f"({c.decision_number})", formats.date(c.due_date), _money(r.arrears)],
                    [_("late-payment interest to the day of issue"), "", _money(r.interest)],
                    [_("cost of the reminder"), "", _money(r.cost)],
                    [_("total"), "", _money(total)]],
                   [95 * mm, 25 * mm, 30 * mm], font, bold),
            Spacer(1, 4 * mm),
            Paragraph(f"{_('Pay to your individual account')}: "
                      f"{account_of.get(r.taxpayer_id, '—')}", s["p"]),
            Paragraph(_("Interest runs until the day of payment. If the amount is not paid "
                        "within 7 days of delivery, enforcement proceedings will be started "
                        "at your cost."), s["p"]),
        ]
    if not story:
        story.append(Paragraph(_("No reminders."), s["p"]))
    doc.build(story)
    return buf.getvalue()
