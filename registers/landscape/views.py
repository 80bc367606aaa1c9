"""Landscape pages: areas and rules, the inspector's check, inspections (list, map, export),
photos, registered boards with fee and penalty."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from gis_app.params import BadParameter, bounded_int, id_param
from layers.exports import ExportFormatError, csv_dialect, write_table
from layers.models import LandscapeArea, Municipality
from registers.common.editing import attempt, check_version, posted_version, submit
from registers.common.exports import list_export
from registers.landscape import rules, services
from registers.landscape.forms import (
    AreaRuleFormSet,
    DecisionForm,
    DeclarationForm,
    DeviceForm,
    DevicePhotoForm,
    FeeRateForm,
    StepForm,
)
from registers.landscape.models import (
    AdvertisingDevice,
    AdvertisingFeeCap,
    AdvertisingFeeRate,
    AreaRuleSet,
    DevicePhoto,
    InspectionPhoto,
)


def _areas_geojson(ids: set[int]) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 6)::json,
                'properties', json_build_object('code', code, 'name', name, 'kind', kind)
            )), '[]'::json)
            FROM layers_landscapearea
            WHERE retired_at IS NULL AND municipality_id = ANY(%s)
            """, [list(ids)])
        features = cur.fetchone()[0]
    if isinstance(features, str):
        features = json.loads(features)
    return {"type": "FeatureCollection", "features": features}


@access(Capability.VIEW_LANDSCAPE, description="landscape areas and the number of their rules")
def area_list(request: HttpRequest) -> HttpResponse:
    ids = municipality_ids(request.user, Capability.VIEW_LANDSCAPE)
    areas = (LandscapeArea.objects.filter(municipality_id__in=ids, retired_at__isnull=True)
             .select_related("municipality").annotate(rule_count=Count("rules"))
             .order_by("municipality__name", "kind", "code"))
    return render(request, "landscape/area_list.html", {
        "areas": areas, "editable": municipality_ids(request.user, Capability.EDIT_LANDSCAPE)})


@access(Capability.EDIT_LANDSCAPE, description="edit the rules of a landscape area")
def area_rules(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(
        LandscapeArea, pk=pk,
        municipality_id__in=municipality_ids(request.user, Capability.EDIT_LANDSCAPE))
    formset = AreaRuleFormSet(request.POST or None, instance=area)
    context = {"area": area, "formset": formset, "version": AreaRuleSet.version_of(area.pk)}
    if request.method == "POST":
        posted = posted_version(request.POST)
        # stale first: rules deleted by the other save would confuse the formset
        outcome = attempt(lambda: check_version(context["version"], posted))
        if outcome.saved:
            if not formset.is_valid():
                return render(request, "landscape/area_rules.html", context, status=400)
            outcome = attempt(lambda: services.area_rules_save(request.user, area, formset,
                                                               expected_version=posted))
            if outcome.saved:
                return redirect("landscape:areas")
        return render(request, "landscape/area_rules.html",
                      {**context, "stale": " ".join(outcome.messages)}, status=outcome.status)
    return render(request, "landscape/area_rules.html", context)


def _check_context(request: HttpRequest) -> dict:
    ids = municipality_ids(request.user, Capability.INSPECT)
    return {"areas_geojson": _areas_geojson(ids), "types": list(rules.ObjectType),
            "mountings": list(rules.Mounting), "srids": services.ALLOWED_SRIDS,
            "data": request.POST or request.GET, "result": None, "error": None}


@access(Capability.INSPECT, description="the inspector's check on site (phone-sized page)")
def check_page(request: HttpRequest) -> HttpResponse:
    context = _check_context(request)
    if request.method != "POST":
        return render(request, "landscape/check.html", context)
    data = request.POST
    try:  # the form speaks the map's convention: X is the northing, Y the easting
        point = services.point_from_query(data)  # X the northing, or e/n
        spec = services.parse_spec(data)
        if data.get("action") == "save":
            inspection = services.inspection_create(
                request.user, point, spec, note=data.get("note", ""),
                photos=request.FILES.getlist("photos"))
            return redirect(f"{_url('landscape:inspections')}?saved={inspection.pk}")
        context["result"] = services.check(request.user, point, spec)
    except services.InputError as exc:
        context["error"] = exc
        return render(request, "landscape/check.html", context, status=400)
    return render(request, "landscape/check.html", context)


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


@require_http_methods(["GET", "HEAD", "POST"])
@access(Capability.INSPECT, description="the inspector's check as JSON")
def api_check(request: HttpRequest) -> JsonResponse:
    data = request.POST if request.method == "POST" else request.GET
    try:
        point = services.point_from_query(data)  # X the northing, or e/n
        spec = services.parse_spec(data)
        result = services.check(request.user, point, spec)
    except services.InputError as exc:
        return JsonResponse({"error": exc.message, "parameter": exc.field}, status=400)
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    result["municipality"] = result["municipality"].teryt
    return JsonResponse(result)


def export_columns() -> list[tuple[str, str]]:
    return [
        ("id", "id"), ("inspected_at", _("inspected at")), ("inspector", _("Inspector")),
        ("municipality", _("Municipality")), ("parcel", _("Parcel")),
        ("object_type", _("Object")), ("area_m2", _("Area [m²]")), ("outcome", _("Outcome")),
        ("citations", _("provisions breached")), ("x_2180", _("X northing (EPSG:2180)")),
        ("y_2180", _("Y easting (EPSG:2180)")),
    ]


@access(Capability.VIEW_LANDSCAPE, description="the inspections register: list, map, export")
def inspection_list(request: HttpRequest) -> HttpResponse:
    qs = services.inspections_for(request.user)
    fmt = request.GET.get("format")
    if fmt:
        rows = [{
            "id": i.id,
            "inspected_at": timezone.localtime(i.inspected_at).isoformat(" ", "minutes"),
            "inspector": i.inspector.get_username(), "municipality": i.municipality.teryt,
            "parcel": i.parcel_cadastral_id,
            "object_type": services.type_label(i.object.get("type", "")),
            "area_m2": i.object.get("area_m2"), "outcome": i.get_outcome_display(),
            "citations": sorted({f["citation"] for f in i.findings
                                 if f.get("verdict") == "fail" and f.get("citation")}),
            "x_2180": round(i.geom.y, 2), "y_2180": round(i.geom.x, 2),  # X north
        } for i in qs]
        try:
            body, mime = write_table(rows, export_columns(), fmt, csv_dialect(request.GET))
        except ExportFormatError as exc:
            return JsonResponse({"error": str(exc), "parameter": "format"}, status=400)
        # one event per municipality in the export's scope, so each town's administrator sees it
        for mid in sorted(municipality_ids(request.user, Capability.VIEW_LANDSCAPE)):
            audit(request.user, AuditAction.EXPORT, "landscape.inspection", "",
                  municipality_id=mid,
                  detail=Note(gettext_noop("%(format)s, rows: %(count)s"), format=fmt.upper(),
                              count=len(rows)))
        response = HttpResponse(body, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="inspections.{fmt}"'
        return response
    listing = list_page(request, qs, [])
    inspections = list(listing.rows)
    for i in inspections:
        i.type_label = services.type_label(i.object.get("type", ""))
    return render(request, "landscape/inspection_list.html", {
        "inspections": inspections, "listing": listing, "areas_geojson": _areas_geojson(
            municipality_ids(request.user, Capability.VIEW_LANDSCAPE)),
        "saved": request.GET.get("saved", ""),
        "can_inspect": bool(municipality_ids(request.user, Capability.INSPECT))})


@access(Capability.VIEW_LANDSCAPE, description="inspections as GeoJSON for the register map")
def inspections_geojson(request: HttpRequest) -> JsonResponse:
    features = []
    for i in services.inspections_for(request.user)[:2000]:
        p = i.geom.transform(4326, clone=True)
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [round(p.x, 7),
                                                                       round(p.y, 7)]},
                         "properties": {"id": i.id, "outcome": i.outcome,
                                        "outcome_label": i.get_outcome_display(),
                                        "type": services.type_label(i.object.get("type", "")),
                                        "date": f"{timezone.localtime(i.inspected_at):%Y-%m-%d}"}})
    return JsonResponse({"type": "FeatureCollection", "features": features})


@access(Capability.VIEW_LANDSCAPE, description="one inspection with its findings and photos")
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_object_or_404(services.inspections_for(request.user), pk=pk)
    return render(request, "landscape/inspection_detail.html", {
        "i": inspection, "object_rows": services.object_rows(inspection.object)})


@access(Capability.VIEW_LANDSCAPE, description="an inspection photo (served after a role check)")
def photo(request: HttpRequest, pk: int) -> FileResponse:
    p = InspectionPhoto.objects.filter(
        pk=pk, inspection__municipality_id__in=municipality_ids(
            request.user, Capability.VIEW_LANDSCAPE)).first()
    if p is None:
        raise Http404
    response = FileResponse(p.file.open("rb"), content_type=p.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


DEVICE_COLUMNS = [
    ("id", "id"), ("municipality", _l("Municipality")), ("parcel", _l("Parcel")),
    ("kind", _l("kind")), ("label", _l("label")), ("area_m2", _l("exposure area [m²]")),
    ("placed_from", _l("placed from")), ("status", _l("Status")),
    ("adjust_by", _l("to adjust by")), ("outcome", _l("Outcome")),
    ("findings", _l("Findings")), ("fee", _l("Fee")), ("rates_source", _l("fee rates")),
    ("penalty", _l("Penalty")), ("x_2180", _l("X northing (EPSG:2180)")),
    ("y_2180", _l("Y easting (EPSG:2180)")),
]
# the device's own fields, sorted by the database; the verdict and the fee are computed for the
# rows shown (and for every row of an export)
DEVICE_SORTS = [("parcel", _l("Parcel")), ("municipality", _l("Municipality")),
                ("kind", _l("kind")), ("label", _l("Board")), ("area_m2", _l("exposure area [m²]")),
                ("placed_from", _l("placed from"))]
DEVICE_FIELDS = {"parcel": "parcel_cadastral_id", "municipality": "municipality__name"}


def _device_export_row(r: dict[str, Any]) -> dict[str, Any]:
    d = r["device"]
    return {"id": d.id, "municipality": d.municipality.name, "parcel": d.parcel_cadastral_id,
            "kind": d.get_kind_display(), "label": d.label, "area_m2": d.area_m2,
            "placed_from": d.placed_from, "status": r["status_label"], "adjust_by": r["adjust_by"],
            "outcome": r["outcome_label"],
            "findings": [f"{f['verdict_label']}: {f['message']}"
                         + (f" ({f['citation']})" if f.get("citation") else "")
                         for f in r["findings"]],
            "fee": r["fee"].due if r["fee"] else None, "rates_source": r["rates_source"],
            "penalty": r["penalty"].total if r["penalty"] else None,
            "x_2180": round(d.geom.y, 2), "y_2180": round(d.geom.x, 2)}  # X north


@access(Capability.VIEW_LANDSCAPE, description="registered boards: verdict, fee, penalty; "
                                               "filters, paged, sortable, CSV/XLSX export")
def device_list(request: HttpRequest) -> HttpResponse:
    try:
        year = bounded_int(request.GET.get("year"), "year", low=2000, high=2100,
                           default=timezone.localdate().year)
    except BadParameter:
        return JsonResponse({"error": _("year must be a number 2000–2100"),
                             "parameter": "year"}, status=400)
    assert year is not None  # bounded_int's default
    towns = municipality_ids(request.user, Capability.VIEW_LANDSCAPE)
    devices = AdvertisingDevice.objects.filter(
        municipality_id__in=towns, removed_on__isnull=True).select_related("municipality")
    g = request.GET
    if mid := id_param(request, "municipality"):
        devices = devices.filter(municipality_id=mid)
    if g.get("kind") in AdvertisingDevice.Kind.values:
        devices = devices.filter(kind=g["kind"])
    if q := g.get("q", "").strip():
        devices = devices.filter(Q(parcel_cadastral_id__icontains=q) | Q(label__icontains=q))
    listing = list_page(request, devices.order_by("parcel_cadastral_id", "id"), DEVICE_SORTS,
                        numeric=("area_m2",), fields=DEVICE_FIELDS)
    exported = list_export(request, listing.page.paginator.object_list, DEVICE_COLUMNS,
                           f"advertising-boards-{year}", "landscape.advertising_device", towns,
                           param="format",
                           row=lambda d: _device_export_row(services.device_assessment(d, year)))
    if exported:
        return exported
    rows = [services.device_assessment(d, year) for d in listing.rows]
    return render(request, "landscape/device_list.html", {
        "rows": rows, "listing": listing, "year": year, "filters": g,
        "kinds": AdvertisingDevice.Kind.choices,
        "municipalities": Municipality.objects.filter(id__in=towns).order_by("name"),
        "can_edit": municipality_ids(request.user, Capability.EDIT_LANDSCAPE),
        "can_fee": municipality_ids(request.user, Capability.MANAGE_AD_FEE)})


@access(Capability.EDIT_LANDSCAPE, description="register or edit an advertising board")
def device_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    device = None
    if pk is not None:
        device = AdvertisingDevice.objects.filter(
            pk=pk, municipality_id__in=municipality_ids(request.user,
                                                        Capability.EDIT_LANDSCAPE)).first()
        if device is None:
            raise Http404
    form = DeviceForm(request.POST or None, instance=device)
    if request.method != "POST":
        return render(request, "landscape/device_form.html", {"form": form, "device": device})

    def save(data: dict[str, Any]) -> AdvertisingDevice:
        point = services.make_point(data["x"], data["y"], data["srid"])
        check_version(device.version if device else None, data["version"])  # sent at all?
        return services.device_save(request.user, form.save(commit=False), point,
                                    expected_version=data["version"])

    outcome = submit(form, save, refusals=(services.InputError,))
    if outcome.saved:
        return redirect("landscape:devices")
    return render(request, "landscape/device_form.html", {"form": form, "device": device},
                  status=outcome.status)


def _fee_rate(ids: set[int], data: Any) -> AdvertisingFeeRate | None:
    """The stored rates of the town and year named in ``data`` (None if there are none)."""
    if not (data.get("municipality", "").isdigit() and data.get("year", "").isdigit()):
        return None
    return AdvertisingFeeRate.objects.filter(
        municipality_id__in=ids, municipality_id=data["municipality"],
        year=data["year"]).first()


@access(Capability.EDIT_LANDSCAPE, description="the council's advertising fee rates by year "
                                                "(optimistic locking)")
def fee_rates(request: HttpRequest) -> HttpResponse:
    ids = municipality_ids(request.user, Capability.EDIT_LANDSCAPE)
    services.ensure_seed()
    # ?municipality=&year= opens a year's rates for editing (the form posts back to that URL)
    opened = _fee_rate(ids, request.GET)
    if opened is None and ("municipality" in request.GET or "year" in request.GET):
        raise Http404
    existing = opened
    if request.method == "POST" and opened is None:
        # the blank form names a year that has rates: the service refuses it as a conflict
        existing = _fee_rate(ids, request.POST)
    form = FeeRateForm(request.POST or None, instance=existing, municipality_ids=ids,
                       opened=opened is not None)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda data: services.fee_rate_save(
            request.user, form.save(commit=False), expected_version=data["version"]))
        if outcome.saved:
            return redirect("landscape:fee_rates")
        status = outcome.status
    rates = AdvertisingFeeRate.objects.filter(municipality_id__in=ids).select_related(
        "municipality").order_by("municipality__name", "-year")
    return render(request, "landscape/fee_rates.html", {
        "form": form, "rates": rates, "caps": AdvertisingFeeCap.objects.all(),
        "opened": opened}, status=status)


# --- a board's page: status, photos, the inspector's steps (phone-sized) ----------------------

def _device_context(request: HttpRequest, device: AdvertisingDevice, **extra: Any) -> dict:
    today = timezone.localdate()
    may_inspect = device.municipality_id in municipality_ids(request.user, Capability.INSPECT)
    return {"a": services.device_assessment(device, today.year, today=today),
            "device": device, "steps": device.steps.order_by("issued_on", "id"),
            "photos": device.photos.all(), "may_inspect": may_inspect,
            "step_form": extra.pop("step_form", None) or StepForm(initial={
                "version": device.version, "issued_on": today}),
            "photo_form": extra.pop("photo_form", None) or DevicePhotoForm(
                initial={"taken_on": today}), **extra}


def _device_for(request: HttpRequest, pk: int, capability: Capability) -> AdvertisingDevice:
    device = AdvertisingDevice.objects.filter(
        pk=pk, municipality_id__in=municipality_ids(request.user, capability)
    ).select_related("municipality").first()
    if device is None:
        raise Http404
    return device


@access(Capability.VIEW_LANDSCAPE, description="one registered board: status (compliant, to "
                                                "adjust by a date, non-compliant), photos, the "
                                                "inspector's steps (phone-sized)")
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_for(request, pk, Capability.VIEW_LANDSCAPE)
    return render(request, "landscape/device_detail.html", _device_context(request, device))


@access(Capability.INSPECT, description="the inspector's next step about a board: notice, "
                                         "call to adjust, penalty decision priced over its "
                                         "period (409 on a changed board)")
@require_http_methods(["POST"])
def device_step(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_for(request, pk, Capability.INSPECT)
    form = StepForm(request.POST)
    outcome = submit(form, lambda data: services.step_add(
        request.user, device.pk, data, expected_version=data["version"]))
    if outcome.saved:
        return redirect("landscape:device", pk=device.pk)
    device.refresh_from_db()
    return render(request, "landscape/device_detail.html",
                  _device_context(request, device, step_form=form), status=outcome.status)


@access(Capability.INSPECT, description="add a photo of a registered board")
@require_http_methods(["POST"])
def device_photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_for(request, pk, Capability.INSPECT)
    form = DevicePhotoForm(request.POST, request.FILES)
    outcome = submit(form, lambda data: services.device_photo_add(
        request.user, device, data["photo"], data["taken_on"]),
        refusals=(services.InputError,))
    if outcome.saved:
        return redirect("landscape:device", pk=device.pk)
    return render(request, "landscape/device_detail.html",
                  _device_context(request, device, photo_form=form), status=outcome.status)


@access(Capability.VIEW_LANDSCAPE, description="a board's photo (served after a role check)")
def device_photo(request: HttpRequest, pk: int) -> FileResponse:
    p = DevicePhoto.objects.filter(pk=pk, device__municipality_id__in=municipality_ids(
        request.user, Capability.VIEW_LANDSCAPE)).first()
    if p is None:
        raise Http404
    response = FileResponse(p.file.open("rb"), content_type=p.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- advertising-fee declarations and decisions ------------------------------------------------

@access(Capability.MANAGE_AD_FEE, description="advertising-fee declarations and decisions: the "
                                               "fee due from the register per property, the "
                                               "payer's declaration, a decision where none or "
                                               "an incorrect one was filed")
def fee_declarations(request: HttpRequest) -> HttpResponse:
    ids = municipality_ids(request.user, Capability.MANAGE_AD_FEE)
    try:
        year = bounded_int(request.GET.get("year") or request.POST.get("year"), "year",
                           low=2000, high=2100, default=timezone.localdate().year)
    except BadParameter:
        return HttpResponse(_("year must be a number 2000–2100"), status=400)
    declaration_form = DeclarationForm(municipality_ids=ids, initial={"year": year})
    decision_form = DecisionForm(municipality_ids=ids, initial={"year": year})
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "decision":
            decision_form = DecisionForm(request.POST, municipality_ids=ids)
            outcome = submit(decision_form, lambda d: services.decision_issue(
                request.user, d["municipality"].id,
                {k: d[k] for k in ("year", "parcel_cadastral_id", "payer", "number",
                                   "issued_on")}))
        else:
            declaration_form = DeclarationForm(request.POST, municipality_ids=ids)
            outcome = submit(declaration_form, lambda d: services.declaration_add(
                request.user, d["municipality"].id,
                {k: d[k] for k in ("year", "parcel_cadastral_id", "payer", "filed_on",
                                   "declared_amount")}))
        if outcome.saved:
            return redirect(f"{request.path}?year={year}")
        status = outcome.status
    return render(request, "landscape/fee_declarations.html", {
        "year": year, "rows": services.fee_rows(request.user, year),
        "declaration_form": declaration_form, "decision_form": decision_form}, status=status)
