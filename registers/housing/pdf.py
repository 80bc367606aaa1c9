"""The protected-housing plan as a PDF for the council (reportlab, the tax decisions' fonts and
table style). Counts only: the plan carries no resident."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from layers import formats
from registers.taxes.pdf import _esc, _fonts, _styles, _table


def render_plan(town: Any, data: dict[str, Any]) -> bytes:
    regular, bold = _fonts()
    st = _styles()
    story: list[Any] = [
        Paragraph(_esc(_("Protected housing plan: %(town)s, %(year)s")
                       % {"town": town.name, "year": data["year"]}), st["title"]),
        Paragraph(_esc(_("Standard: at most %(max)s persons per flat, at least %(min)s m² of "
                         "usable area per person.") % {
            "max": data["standard"].max_persons, "min": data["standard"].min_m2_per_person}),
            st["subtitle"]),
        Paragraph(_esc(_("Balance")), st["head"]),
    ]
    rows = [[_("type of flat"), _("demand"), _("places in use"), _("places in candidates"),
             _("missing without candidates"), _("still missing")]]
    rows += [[b["kind"], b["demand"], b["in_use"], b["candidates"], b["gap_without_candidates"],
              b["gap"]] for b in data["balance"]]
    story.append(_table(rows, [45 * mm] + [40 * mm] * 5, regular, bold))
    story.append(Paragraph(_esc(_("Demand entered by the centre")), st["head"]))
    rows = [[_("category"), _("type of flat"), _("persons"), _("of them needing accessibility"),
             _("entered by (centre)")]]
    rows += [[d.get_category_display(), d.get_kind_display(), d.persons, d.accessible_persons,
              d.entered_by] for d in data["demand"]]
    story.append(_table(rows, [60 * mm, 40 * mm, 25 * mm, 45 * mm, 80 * mm], regular, bold))
    story.append(Paragraph(_esc(_("Flats in use")), st["head"]))
    rows = [[_("address"), _("type"), _("places"), _("occupied"), _("accessible"), _("check")]]
    rows += [[Paragraph(_esc(r["flat"].address), st["small"]), r["flat"].get_kind_display(),
              r["flat"].places, r["occupied"], _("yes") if r["flat"].accessible else _("no"),
              Paragraph(_esc("; ".join(r["issues"]) or "✔"), st["small"])]
             for r in data["flats"]]
    story.append(_table(rows, [70 * mm, 35 * mm, 20 * mm, 20 * mm, 20 * mm, 100 * mm],
                        regular, bold))
    story.append(Paragraph(_esc(_("Candidate municipal flats")), st["head"]))
    rows = [[_("address"), _("parcel id"), _("planned places"), _("m² per person"),
             _("meets the standard"), _("cost of adapting [zł]"), _("check")]]
    rows += [[Paragraph(_esc(c["candidate"].address), st["small"]), c["candidate"].cadastral_id,
              c["candidate"].planned_places, c["m2_per_person"],
              _("yes") if c["meets"] else _("no"), formats.money(c["cost"]),
              Paragraph(_esc("; ".join(c["issues"]) or "✔"), st["small"])]
             for c in data["candidates"]]
    story.append(_table(rows, [60 * mm, 45 * mm, 20 * mm, 20 * mm, 20 * mm, 30 * mm, 70 * mm],
                        regular, bold))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(_esc(_("Cost of adapting the candidates that meet the standard: "
                                  "%(total)s.") % {"total": formats.money(data["total_cost"])}),
                           st["base"]))
    if data["resolution"] is not None:
        story.append(Paragraph(_esc(_("Estimates: %(m2)s per m² of refurbishment, %(acc)s for "
                                      "accessibility works (resolution %(number)s).") % {
            "m2": formats.money(data["rates"].per_m2_refurbishment),
            "acc": formats.money(data["rates"].accessibility_works),
            "number": data["resolution"].number}), st["small"]))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=str(_("Protected housing plan")), author="geogmina")
    doc.build(story)
    return buf.getvalue()
