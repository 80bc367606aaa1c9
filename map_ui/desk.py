"""The front desk for businesses (public, no login): answers at a point or for a plot from the
registers' own rules, each naming and linking the resolution it applies.

- "Can I put a board here?": the landscape rules at the point for a board of the given size
  (registers.landscape: the areas, rules.evaluate, each finding's paragraph) and its yearly
  advertising fee at this year's rates (rules.advertising_fee);
- "What would this plot cost me?": the property tax of a planned land use and building on a
  plot at the rates of the resolution in force this year (registers.taxes rules and rates);
- the parking tariff at the point (registers.parking);
- the investment offer and the PPP projects open for partners, with their contacts.

Only public law and public offers are read: no owner, taxpayer or tax amount of anyone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.gis.db.models.functions import Centroid, Transform
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_app.accounts.access import access
from layers import formats
from layers.models import Municipality, Parcel
from registers.landscape import rules as landscape_rules
from registers.landscape import services as landscape
from registers.landscape.models import AdvertisingFeeRate, LandscapeResolution
from registers.leases import selectors as leases
from registers.parking import services as parking
from registers.parking.models import Tariff
from registers.ppp import selectors as ppp
from registers.taxes import rules as tax_rules
from registers.taxes import services as taxes
from registers.taxes.models import RateResolution

ASKS = ("board", "plot", "parking")
LAND_USES = (("G1", "business"), ("G3", "other"))
BUILDING_USES = (("B2", "business"), ("B1", "residential"), ("B5", "other"))


class DeskError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _resolutions_url(municipality_id: int, anchor: str) -> str:
    return reverse("map_ui:desk_resolutions", args=[municipality_id]) + "#" + anchor


def _point(q: Any) -> Any:
    try:  # the map's convention: X is the northing, Y the easting
        return landscape.make_point(q.get("x"), q.get("y"), q.get("srid") or "2180")
    except landscape.InputError as exc:
        raise DeskError(exc.field, exc.message) from None


def _decimal(q: Any, name: str, label: str, *, required: bool = True) -> Decimal | None:
    try:
        value = formats.parse_decimal(q.get(name), minimum=0, maximum=Decimal("1e9"))
    except formats.NumberError as exc:
        message = (_("%(what)s must be a number from 0.") if exc.out_of_range
                   else _("%(what)s must be a number."))
        raise DeskError(name, message % {"what": label}) from None
    if value is None and required:
        raise DeskError(name, _("Give %(what)s.") % {"what": label})
    return value


def board_answer(q: Any) -> dict[str, Any]:
    point = _point(q)
    area = _decimal(q, "area_m2", _("the board's area [m²]"))
    try:
        spec = landscape.parse_spec({**q.dict(), "type": q.get("type") or "board"})
    except landscape.InputError as exc:
        raise DeskError(exc.field, exc.message) from None
    areas = list(landscape.areas_at(point).select_related("municipality")
                 .defer("geom", "unresolved_links", "municipality__geom"))
    town = landscape.municipality_at(point, areas)
    if town is None:
        raise DeskError("x", _("The point lies in no municipality of this installation."))
    areas = [a for a in areas if a.municipality_id == town.id]
    findings = landscape_rules.evaluate(landscape.pure_areas(areas), spec)
    today = timezone.localdate()
    resolution = landscape.resolution_in_force(town.id, today)
    fee = None
    rates = landscape.fee_rates(town.id, today.year)
    if rates is not None and spec.type in (landscape_rules.ObjectType.BOARD,
                                           landscape_rules.ObjectType.DEVICE):
        days = 366 if calendar.isleap(today.year) else 365
        due = landscape_rules.advertising_fee(rates[0], area, days)
        fee = {"daily": due.daily, "days": days, "yearly": due.gross, "source": rates[1],
               "url": _resolutions_url(town.id, f"fee-{today.year}")}
    outcome = landscape_rules.outcome(findings)
    return {
        "municipality": town.name,
        "areas": [{"code": a.code, "name": a.name, "kind": a.get_kind_display()} for a in areas],
        "findings": [landscape.finding_dict(f) for f in findings],
        "outcome": str(outcome), "outcome_label": landscape.verdict_label(outcome),
        "fee": fee,
        "resolution": resolution.number if resolution else "",
        "resolution_url": _resolutions_url(town.id, f"landscape-{resolution.pk}"
                                           if resolution else "landscape"),
    }


def _parcel(q: Any) -> Parcel:
    plot = str(q.get("plot") or "").strip()
    qs = Parcel.objects.filter(retired_at__isnull=True).select_related("municipality")
    if plot:
        found = qs.filter(cadastral_id=plot).first()
        if found is None:
            raise DeskError("plot", _("No such plot: %(id)s") % {"id": plot})
        return found
    if not q.get("x") and not q.get("y"):
        raise DeskError("plot", _("Give the plot's id or a point on the map."))
    found = list(qs.filter(geom__intersects=_point(q)).order_by()[:1])
    if not found:
        raise DeskError("x", _("No plot at this point."))
    return found[0]


@dataclass(frozen=True)
class TaxLine:
    label: str
    category: str
    base: Decimal
    unit: str
    rate: Decimal
    tax: Decimal


def plot_answer(q: Any) -> dict[str, Any]:
    parcel = _parcel(q)
    land_category = q.get("land") or "G1"
    if land_category not in dict(LAND_USES):
        raise DeskError("land", _("Unknown land use."))
    building_category = q.get("building") or "B2"
    if building_category not in dict(BUILDING_USES):
        raise DeskError("building", _("Unknown building use."))
    usable = _decimal(q, "usable_m2", _("the building's usable area [m²]"), required=False)
    year = timezone.localdate().year
    resolution = taxes.resolution_for(parcel.municipality_id, year)
    if resolution is None:
        raise DeskError("plot", _("The municipality has no rate resolution for %(year)s on "
                                  "record.") % {"year": year})
    rates = {(r.category, r.variant): r.rate for r in resolution.rates.all()}
    # the area the public card shows (the map's), not the register's legal area
    area = Decimal(str(round(parcel.geom.area, 2)))
    lines = []
    for label, category, base, unit in (
            (_("land"), land_category, area, "m²"),
            (_("building"), building_category, usable, _("m² of usable area"))):
        if base is None:
            continue
        rate = rates.get((category, ""))
        if rate is None:
            raise DeskError("land" if category.startswith("G") else "building",
                            _("The resolution sets no general rate for %(c)s.")
                            % {"c": category})
        lines.append(TaxLine(label, f"{category}: {tax_rules.CATEGORY_LABELS[category]}", base,
                             unit, rate, tax_rules.object_tax(base, rate, category)))
    total = sum((line.tax for line in lines), Decimal(0))
    return {"parcel": parcel.cadastral_id, "municipality": parcel.municipality.name,
            "area": area, "year": year, "lines": lines, "total": total,
            "rounded": tax_rules.round_tax(total),
            "resolution": resolution.number,
            "resolution_url": _resolutions_url(parcel.municipality_id, f"tax-{resolution.year}")}


def parking_answer(q: Any) -> dict[str, Any]:
    point = _point(q)
    today = timezone.localdate()
    out = []
    for zone in parking.zones_at_point(point.x, point.y, point.srid).select_related(
            "municipality"):
        tariff = parking.tariff_at(zone, today)
        out.append({"zone": zone, "tariff": tariff,
                    "url": _resolutions_url(zone.municipality_id,
                                            f"parking-{tariff.pk}" if tariff else "parking")})
    return {"zones": out}


ANSWERS = {"board": board_answer, "plot": plot_answer, "parking": parking_answer}


@access(public=True, description="the front desk for businesses: a board at a point (landscape "
                                 "rules, yearly fee), the property tax of a planned use of a "
                                 "plot, the parking tariff at a point, the investment offer and "
                                 "PPP projects open for partners (public law only)")
def desk(request: HttpRequest) -> HttpResponse:
    q = request.GET
    ask = q.get("ask", "")
    context: dict[str, Any] = {
        "q": q, "ask": ask, "answer": None, "error": None,
        "object_types": [(landscape_rules.ObjectType.BOARD, _("board")),
                         (landscape_rules.ObjectType.DEVICE, _("advertising device")),
                         (landscape_rules.ObjectType.SIGN, _("company sign"))],
        "land_uses": [(c, _("business") if k == "business" else _("other")) for c, k in LAND_USES],
        "building_uses": [(c, {"business": _("business"), "residential": _("residential"),
                               "other": _("other")}[k]) for c, k in BUILDING_USES],
        "offers": leases.offer_list(),
        "projects": ppp.open_projects(),
        "municipalities": Municipality.objects.order_by("name").only("id", "name"),
    }
    centre = (Municipality.objects.exclude(geom__isnull=True).order_by("name")
              .annotate(c=Centroid(Transform("geom", 4326))).values_list("c", flat=True).first())
    context["centre"] = f"{centre.y:.6f},{centre.x:.6f}" if centre else ""
    status = 200
    if ask in ANSWERS:
        try:
            context["answer"] = ANSWERS[ask](q)
        except DeskError as exc:
            context["error"] = exc
            status = 400
    return render(request, "map_ui/desk.html", context, status=status)


@access(public=True, description="the resolutions the front desk applies, per municipality: "
                                 "property-tax rates, the landscape resolution and advertising "
                                 "fee rates, parking tariffs")
def desk_resolutions(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = Municipality.objects.filter(pk=municipality_id).only("id", "name", "teryt").first()
    if town is None:
        raise Http404
    return render(request, "map_ui/desk_resolutions.html", {
        "town": town,
        "tax": RateResolution.objects.filter(municipality=town).prefetch_related("rates")
        .order_by("-year"),
        "labels": tax_rules.CATEGORY_LABELS,
        "landscape": LandscapeResolution.objects.filter(municipality=town)
        .order_by("-in_force_on"),
        "fees": AdvertisingFeeRate.objects.filter(municipality=town).order_by("-year"),
        "tariffs": Tariff.objects.filter(zone__municipality=town).select_related("zone")
        .order_by("zone__code", "-valid_from"),
    })
