"""Parking pages: tariffs (public list, edit for EDIT_PARKING), the fee calculator and its API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.listing import list_page
from gis_app.params import id_param
from layers.domain.srid import WGS84_SRID
from layers.models import Municipality, ParkingZone
from layers.points import PointError, point_from_params
from registers.common.editing import attempt, check_version, posted_version
from registers.common.exports import list_export
from registers.parking import rules, selectors, services
from registers.parking.forms import SubscriptionFormSet, TariffForm
from registers.parking.models import Tariff


class ParamError(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass
class FeeQuery:
    zone: ParkingZone
    start: datetime
    end: datetime
    vehicle: rules.Vehicle
    subscription: str | None


def _datetime(q: QueryDict, name: str) -> datetime:
    raw = q.get(name, "").strip()
    if not raw:
        raise ParamError(name, _("parameter %(p)s is required (e.g. 2026-03-03T17:30)")
                         % {"p": name})
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ParamError(name, _("parameter %(p)s is not a date and time: %(v)s")
                         % {"p": name, "v": raw})
    return value


def parse_fee_query(q: QueryDict) -> FeeQuery:
    """The calculator's parameters; ParamError names the first wrong one."""
    zone = None
    if q.get("zone"):
        try:
            zone = ParkingZone.objects.get(pk=int(q["zone"]), retired_at__isnull=True)
        except (ValueError, ParkingZone.DoesNotExist):
            raise ParamError("zone", _("no parking zone %(v)s") % {"v": q["zone"]}) from None
    elif any(q.get(k) for k in ("x", "y", "e", "n")):
        try:  # X the northing (latitude), Y the easting (longitude); or e/n named explicitly
            zones = list(services.zones_at(point_from_params(q, default_srid=WGS84_SRID)))
        except PointError as exc:
            raise ParamError(exc.field, exc.message) from None
        if not zones:
            raise ParamError("x", _("no paid-parking zone at this point"))
        zone = zones[0]
    else:
        raise ParamError("zone", _("give a zone or a point (x, y, srid)"))
    start, end = _datetime(q, "start"), _datetime(q, "end")
    if end <= start:
        raise ParamError("end", _("the end must be after the start"))
    if (end - start).days > 31:
        raise ParamError("end", _("a stay may last at most 31 days"))
    try:
        vehicle = rules.Vehicle(q.get("vehicle") or "ordinary")
    except ValueError:
        raise ParamError("vehicle", _("vehicle must be one of: %(v)s")
                         % {"v": ", ".join(rules.Vehicle)}) from None
    return FeeQuery(zone, start, end, vehicle, q.get("subscription") or None)


def _compute(q: QueryDict) -> dict:
    query = parse_fee_query(q)
    try:
        result = services.fee_for(query.zone, query.start, query.end, query.vehicle,
                                  query.subscription)
    except services.TariffError as exc:
        raise ParamError("start", "; ".join(exc.args[0])) from None
    except ValueError as exc:
        raise ParamError("subscription", str(exc)) from None
    return result.as_json()


@require_safe
@access(public=True, description="the parking fee as JSON (anyone may compute a fee)")
def api_fee(request: HttpRequest) -> JsonResponse:
    try:
        return JsonResponse(_compute(request.GET))
    except ParamError as exc:
        return JsonResponse({"error": exc.message, "parameter": exc.param}, status=400)


@require_safe
@access(public=True, description="paid-parking zones at a point with the tariff valid today")
def api_zones(request: HttpRequest) -> JsonResponse:
    try:  # X the northing (latitude), Y the easting (longitude); or e/n named explicitly
        zones = list(services.zones_at(point_from_params(request.GET,
                                                         default_srid=WGS84_SRID)))
    except PointError as exc:
        return JsonResponse({"error": exc.message, "parameter": exc.field}, status=400)
    today = timezone.localdate()
    out = []
    for z in zones:
        t = services.tariff_at(z, today)
        out.append({"id": z.id, "code": z.code, "name": z.name, "kind": z.kind,
                    "municipality": z.municipality.teryt,
                    "tariff": _json_safe(selectors.tariff_dict(t)) if t else None})
    return JsonResponse({"zones": out})


def _json_safe(value: object) -> object:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


@access(public=True, description="the parking fee calculator page")
def calculator(request: HttpRequest) -> HttpResponse:
    context = {"zones": selectors.zone_list(), "vehicles": list(rules.Vehicle),
               "zones_geojson": selectors.zones_geojson(),
               "q": request.GET, "result": None, "error": None}
    if request.GET.get("start") or request.GET.get("end"):
        try:
            context["result"] = _compute(request.GET)
        except ParamError as exc:
            context["error"] = exc
    status = 400 if context["error"] else 200
    return render(request, "parking/calculator.html", context, status=status)


TARIFF_COLUMNS = [
    ("municipality", _l("municipality")), ("zone", _l("zone")), ("zone_name", _l("zone name")),
    ("zone_kind", _l("zone kind")), ("resolution_number", _l("resolution number")),
    ("resolution_date", _l("resolution date")), ("valid_from", _l("valid from")),
    ("valid_to", _l("valid to")), ("first_hour", _l("1st hour [zł]")),
    ("second_hour", _l("2nd hour [zł]")), ("third_hour", _l("3rd hour [zł]")),
    ("later_hours", _l("4th and later hours [zł]")), ("paid_days", _l("paid days")),
    ("paid_from", _l("paid from")), ("paid_to", _l("paid to")),
    ("surcharge", _l("surcharge [zł]")), ("surcharge_reduced", _l("reduced surcharge [zł]")),
    ("surcharge_reduced_days", _l("days to pay the reduced surcharge")),
    ("subscriptions", _l("Subscriptions")),
]
TARIFF_SORTS = [(k, label) for k, label in TARIFF_COLUMNS
                if k in ("municipality", "zone", "resolution_number", "valid_from", "valid_to",
                         "first_hour", "later_hours", "surcharge")]


def tariff_rows(municipality_id: int | None = None, q: str = "") -> list[dict]:
    """One row per tariff of every active zone (a zone without a tariff: one row without)."""
    zones = selectors.zone_list().prefetch_related("tariffs__subscriptions")
    if municipality_id:
        zones = zones.filter(municipality_id=municipality_id)
    if q.strip():
        zones = zones.filter(Q(code__icontains=q.strip()) | Q(name__icontains=q.strip()))
    rows: list[dict] = []
    for z in zones:
        zone = {"municipality": z.municipality.name, "municipality_id": z.municipality_id,
                "zone": z.code, "zone_name": z.name, "zone_kind": z.get_kind_display(),
                "tariff": None}
        tariffs = list(z.tariffs.all())
        rows += [{**zone, "tariff": t, "id": t.id,
                  **{k: getattr(t, k) for k in (
                      "resolution_number", "resolution_date", "valid_from", "valid_to",
                      "first_hour", "second_hour", "third_hour", "later_hours", "paid_from",
                      "paid_to", "surcharge", "surcharge_reduced", "surcharge_reduced_days")},
                  "paid_days": t.paid_weekdays_text,
                  "subscriptions": "; ".join(str(s) for s in t.subscriptions.all())}
                 for t in tariffs] or [zone]
    return rows


@access(public=True, description="paid-parking zones and their tariffs (public law): paged, "
                                 "sortable, CSV/XLSX export")
def tariff_list(request: HttpRequest) -> HttpResponse:
    mid = id_param(request, "municipality")
    rows = tariff_rows(mid, request.GET.get("q", ""))
    listing = list_page(request, rows, TARIFF_SORTS, default_sort="zone",
                        numeric=("first_hour", "later_hours", "surcharge"))
    exported = list_export(request, listing.page.paginator.object_list, TARIFF_COLUMNS,
                           "parking-tariffs", "parking.tariff",
                           {r["municipality_id"] for r in listing.page.paginator.object_list})
    if exported:
        return exported
    editable = municipality_ids(request.user, Capability.EDIT_PARKING)
    return render(request, "parking/tariff_list.html", {
        "listing": listing, "rows": listing.rows, "editable": editable, "filters": request.GET,
        "municipalities": Municipality.objects.filter(
            id__in=selectors.zone_list().values("municipality_id")).order_by("name")})


@access(Capability.EDIT_PARKING, description="create or edit a tariff (validated by law)")
def tariff_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    allowed = municipality_ids(request.user, Capability.EDIT_PARKING)
    tariff = None
    if pk is not None:
        tariff = Tariff.objects.select_related("zone").filter(
            pk=pk, zone__municipality_id__in=allowed).first()
        if tariff is None:
            raise Http404
    form = TariffForm(request.POST or None, instance=tariff, municipality_ids=allowed)
    formset = SubscriptionFormSet(request.POST or None, instance=tariff or Tariff())
    problems: list[str] = []
    status = 400

    def stale() -> list[str]:
        """Refusal messages when the tariff moved on since the form was served."""
        outcome = attempt(lambda: check_version(
            Tariff.objects.filter(pk=tariff.pk).values_list("version", flat=True).first(),
            posted_version(request.POST), stale=services.STALE_TARIFF))
        return outcome.messages

    if request.method == "POST" and tariff is not None and (problems := stale()):
        # stale before anything else: its subscriptions may be gone, confusing the formset
        return render(request, "parking/tariff_form.html",
                      {"form": form, "formset": formset, "problems": problems,
                       "tariff": tariff}, status=409)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        t = form.save(commit=False)
        subs = [{k: f.cleaned_data[k] for k in ("kind", "period_days", "price")}
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        outcome = attempt(lambda: services.tariff_save(
            request.user, t, subs, expected_version=form.cleaned_data["version"]),
            refusals=(services.TariffError,))
        if outcome.saved:
            return redirect("parking:tariffs")
        problems, status = outcome.messages, outcome.status
    elif request.method == "POST" and tariff is not None and (problems := stale()):
        # A save that landed while this form was validated replaces the subscriptions the
        # formset refers to: that is a stale edit (409), not an invalid form.
        status = 409
    return render(request, "parking/tariff_form.html",
                  {"form": form, "formset": formset, "problems": problems, "tariff": tariff},
                  status=status if request.method == "POST" else 200)
