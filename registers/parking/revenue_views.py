"""What the zones earn and how full they are: the revenue page (daily or hourly table, charts),
its JSON for the charts, and the CSV/XLSX exports. The zone manager and the administrator."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.listing import list_page
from registers.parking import occupancy

MAX_DAYS = 366
MAX_HOURLY_DAYS = 92  # an hourly table of a quarter: 2,208 rows per zone


class PeriodError(ValueError):
    pass


def _period(request: HttpRequest, longest: int) -> tuple[date, date]:
    today = timezone.localdate()
    raw_from, raw_to = request.GET.get("from", "") or "", request.GET.get("to", "") or ""
    try:
        start = parse_date(raw_from) if raw_from else today - timedelta(days=30)
        end = parse_date(raw_to) if raw_to else today
    except ValueError:  # well formed but no such day (2026-02-30)
        start = end = None
    if start is None or end is None:
        raise PeriodError(_("a date is not in the form YYYY-MM-DD"))
    if end < start or (end - start).days >= longest:
        raise PeriodError(_("the period must run forwards and last at most %(days)s days")
                          % {"days": longest})
    return start, end


def _bad(message: str, json: bool = False) -> HttpResponse:
    if json:
        return JsonResponse({"error": message}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _zone_param(request: HttpRequest) -> int | str | None:
    raw = request.GET.get("zone", "") or ""
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 19 else raw  # no bigint overflow


DAILY_COLUMNS = [
    ("municipality", gettext_noop("municipality")),
    ("zone", gettext_noop("zone")),
    ("day", gettext_noop("day")),
    ("sessions", gettext_noop("sessions")),
    ("avg_minutes", gettext_noop("average stay [min]")),
    ("app", gettext_noop("mobile payment [zł]")),
    ("meter", gettext_noop("parking meters [zł]")),
    ("session_revenue", gettext_noop("operator sessions [zł]")),
    ("permits", gettext_noop("permits [zł]")),
    ("surcharges", gettext_noop("surcharges paid [zł]")),
    ("total", gettext_noop("total [zł]")),
]
HOURLY_COLUMNS = [
    ("municipality", gettext_noop("municipality")),
    ("zone", gettext_noop("zone")),
    ("day", gettext_noop("day")),
    ("hour", gettext_noop("hour")),
    ("paid", gettext_noop("paid hour")),
    ("sessions", gettext_noop("sessions started")),
    ("avg_minutes", gettext_noop("average stay [min]")),
    ("app", gettext_noop("mobile payment [zł]")),
    ("meter", gettext_noop("parking meters [zł]")),
    ("session_revenue", gettext_noop("operator sessions [zł]")),
    ("occupied_minutes", gettext_noop("occupied bay-minutes")),
    ("bays", gettext_noop("paid bays")),
    ("occupancy", gettext_noop("estimated occupancy [%]")),
]


def _export(request: HttpRequest, rows: list[dict[str, Any]], columns: list[tuple[str, str]],
            fmt: str, name: str) -> HttpResponse:
    from layers.exports import csv_dialect, write_table

    data, mime = write_table(rows, [(k, _(label)) for k, label in columns], fmt,
                             csv_dialect(request.GET))
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_safe
@access(Capability.VIEW_PARKING_REVENUE,
        description="revenue per zone and day, or per zone and hour, by channel (app, meter, "
                    "permits, surcharges), sessions, average stay and estimated occupancy "
                    "against the zone's bays; charts with tariff changes (table, CSV or XLSX)")
def revenue(request: HttpRequest) -> HttpResponse:
    from layers.exports import EXPORT_FORMATS
    from registers.parking.selectors import revenue_rows

    hourly = request.GET.get("by") == "hour"
    try:
        start, end = _period(request, MAX_HOURLY_DAYS if hourly else MAX_DAYS)
    except PeriodError as exc:
        return _bad(str(exc))
    towns = municipality_ids(request.user, Capability.VIEW_PARKING_REVENUE)
    zones = occupancy.zones_in(towns)
    zone = _zone_param(request)
    if isinstance(zone, str) or (zone is not None and zone not in {z.id for z in zones}):
        return _bad(_("unknown zone %(zone)s") % {"zone": request.GET.get("zone")})
    fmt = request.GET.get("format", "")
    if hourly:
        rows = occupancy.hourly_rows(towns, start, end, zone_id=zone)
    else:
        rows = revenue_rows(towns, start, end)
        if zone is not None:
            code = next(z for z in zones if z.id == zone)
            rows = [r for r in rows if r["zone"] == code.code
                    and r["municipality"] == code.municipality.name]
    columns = HOURLY_COLUMNS if hourly else DAILY_COLUMNS
    listing = list_page(
        request, rows, [(k, gettext_lazy(label)) for k, label in columns
                        if k != "session_revenue"],
        numeric=("hour", "sessions", "avg_minutes", "app", "meter", "permits", "surcharges",
                 "total", "occupied_minutes", "bays", "occupancy"))
    if fmt in EXPORT_FORMATS:  # every row, in the list's order
        kind = "hourly" if hourly else "daily"
        return _export(request, list(listing.page.paginator.object_list), columns, fmt,
                       f"parking-revenue-{kind}-{start}-{end}")
    chart_zone = zone if zone is not None else (zones[0].id if zones else None)
    chart = None
    if chart_zone is not None:
        chart = {"url": reverse("parking:revenue_data") + f"?zone={chart_zone}"
                 f"&from={start}&to={end}",
                 "texts": {
                     "app": _("mobile payment"), "meter": _("parking meters"),
                     "permits": _("permits"), "surcharges": _("surcharges paid"),
                     "occupancy": _("estimated occupancy [%]"), "zl": _("zł"),
                     "tariff": _("new tariff"), "before": _("before"), "after": _("after"),
                     "failed": _("The chart data could not be loaded")}}
    return render(request, "parking/revenue.html", {
        "listing": listing, "rows": listing.rows, "start": start, "end": end,
        "hourly": hourly, "zones": zones,
        "zone": zone, "chart": chart, "chart_zone": chart_zone,
        "avg_occupancy_head": _("average occupancy [%]")})


@require_safe
@access(Capability.VIEW_PARKING_REVENUE,
        description="one zone's revenue, occupancy and tariff changes as JSON for the charts "
                    "(per day and hour, zone-local time)")
def revenue_data(request: HttpRequest) -> JsonResponse:
    try:
        start, end = _period(request, MAX_HOURLY_DAYS)
    except PeriodError as exc:
        return _bad(str(exc), json=True)  # type: ignore[return-value]
    zone = _zone_param(request)
    if not isinstance(zone, int):
        return JsonResponse({"error": _("give the zone as its number (?zone=)")}, status=400)
    report = occupancy.zone_report(
        municipality_ids(request.user, Capability.VIEW_PARKING_REVENUE), zone, start, end)
    if report is None:
        return JsonResponse({"error": _("unknown zone %(zone)s") % {"zone": zone}}, status=404)
    return JsonResponse(report, encoder=DjangoJSONEncoder)
