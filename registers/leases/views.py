"""Pages of the leases register: thin views over selectors (reads) and services (changes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from gis_app.accounts.access import access, has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from gis_app.params import DAYS_MAX, id_param, int_param, year_param
from layers.exports import EXPORT_FORMATS, csv_dialect, write_table
from layers.models import Municipality, Parcel
from registers.common.editing import submit
from registers.leases import selectors, services
from registers.leases.forms import (
    DocumentForm,
    LeaseForm,
    OfferForm,
    PropertyOverrideForm,
    UsufructUpdateForm,
)
from registers.leases.models import (
    USUFRUCT_PURPOSE_CHOICES,
    InvestmentOffer,
    Lease,
    LeaseDocument,
    PropertyOverride,
)
from registers.leases.rules import usufruct_due_date, usufruct_payable, usufruct_update_spread

MAP_FEATURE_LIMIT = 1500


def _municipalities(user: Any, capability: Capability) -> QuerySet[Municipality]:
    return Municipality.objects.filter(id__in=municipality_ids(user, capability))


def _export(request: HttpRequest, rows: Iterable[Mapping[str, Any]],
            columns: Sequence[tuple[str, Any]], name: str,
            object_type: str) -> HttpResponse | None:
    """The list as CSV/XLSX when ``?export=`` asks for it (audit-logged), else None."""
    fmt = request.GET.get("export", "")
    if not fmt:
        return None
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(_("Unknown export format %(fmt)s; use csv or xlsx.") % {"fmt": fmt},
                            status=400, content_type="text/plain; charset=utf-8")
    rows = list(rows)
    data, mime = write_table(rows, [(k, str(label)) for k, label in columns], fmt,
                             csv_dialect(request.GET))
    # one event per municipality in the export's scope, so each town's administrator sees it
    for mid in sorted(municipality_ids(request.user, Capability.VIEW_LEASES)):
        audit(request.user, AuditAction.EXPORT, object_type, "", municipality_id=mid,
              detail=Note(gettext_noop("%(format)s, rows: %(count)s, %(path)s"),
                          format=fmt.upper(), count=len(rows), path=request.get_full_path()))
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _id(request: HttpRequest, name: str = "municipality") -> int | None:
    return id_param(request, name)


# --- leases ------------------------------------------------------------------------------------


LEASE_COLUMNS = [
    ("number", _l("contract number")), ("municipality", _l("municipality")),
    ("kind", _l("kind")), ("status", _l("status")), ("lessee_name", _l("lessee")),
    ("lessee_kind", _l("lessee kind")), ("cadastral_ids", _l("plots")),
    ("area_m2", _l("leased area [m²]")), ("purpose", _l("purpose")),
    ("rent_amount", _l("rent (net) per period")), ("rent_period", _l("rent period")),
    ("vat_rate", _l("VAT rate [%]")), ("start_date", _l("start")), ("end_date", _l("end")),
    ("days_left", _l("days to expiry")), ("shared", _l("shared use")),
]


LEASE_SORTS = [(k, label) for k, label in LEASE_COLUMNS
               if k in ("number", "lessee_name", "area_m2", "kind", "status", "end_date",
                        "rent_amount")]


@access(Capability.VIEW_LEASES, description="lease agreements: list with filters, "
                                             "expiring within N days, CSV/XLSX export")
def lease_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    expiring = int_param(request, "expiring", low=0, high=DAYS_MAX)
    leases = selectors.lease_list(request.user, status=g.get("status", ""),
                                  kind=g.get("kind", ""), q=g.get("q", ""),
                                  expiring_within=expiring,
                                  municipality_id=_id(request),
                                  review=g.get("review") == "1")
    today = date.today()
    rows = [{
        "id": lease.id, "number": lease.number, "municipality": lease.municipality.name,
        "kind": lease.get_kind_display(), "status": lease.get_status_display(),
        "status_code": lease.status, "lessee_name": lease.lessee_name,
        "lessee_kind": lease.get_lessee_kind_display(), "cadastral_ids": lease.cadastral_ids,
        "area_m2": round(lease.area_m2, 2), "purpose": lease.get_purpose_display(),
        "rent_amount": lease.rent_amount, "rent_period": lease.get_rent_period_display(),
        "vat_rate": lease.vat_rate, "start_date": lease.start_date, "end_date": lease.end_date,
        "days_left": None if lease.end_date is None else (lease.end_date - today).days,
        "shared": lease.shared,
    } for lease in leases]
    listing = list_page(request, rows, LEASE_SORTS, default_sort="number",
                        numeric=("area_m2", "rent_amount", "days_left"))
    exported = _export(request, listing.page.paginator.object_list, LEASE_COLUMNS, "leases",
                       "lease")
    if exported:
        return exported
    return render(request, "leases/lease_list.html", {
        "listing": listing, "rows": listing.rows, "statuses": Lease.Status.choices,
        "kinds": Lease.Kind.choices,
        "filters": g, "expiring": expiring,
        "municipalities": _municipalities(request.user, Capability.VIEW_LEASES),
        "can_edit": has_capability(request.user, Capability.EDIT_LEASES),
    })


def _geojson(sql: str, params: list[Any]) -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute(f"""
            SELECT json_build_object('type', 'FeatureCollection', 'features',
                   coalesce(json_agg(json_build_object(
                       'type', 'Feature',
                       'geometry', ST_AsGeoJSON(ST_Transform(f.geom, 4326), 7)::json,
                       'properties', to_jsonb(f) - 'geom')), '[]'::json))
            FROM ({sql}) AS f""", params)
        row = cur.fetchone()[0]
    return row if isinstance(row, dict) else json.loads(row)


def map_layers(municipality_ids_: list[int], *, lease: Lease | None = None,
               parcel: Parcel | None = None) -> dict[str, Any]:
    """GeoJSON (WGS 84) for the lease map: municipal plots, the plots near the one asked for or
    under the lease, and the live leases among them."""
    municipal = list(selectors.municipal_parcels(municipality_ids_)
                     .values_list("id", flat=True)[:MAP_FEATURE_LIMIT])
    focus_ids: list[int] = []
    if lease is not None:
        focus_ids += list(Parcel.objects.filter(
            municipality_id=lease.municipality_id, retired_at__isnull=True,
            cadastral_id__in=lease.cadastral_ids).values_list("id", flat=True))
    if parcel is not None:
        focus_ids.append(parcel.id)
    plots = _geojson(
        """
        SELECT p.id, p.cadastral_id, (p.id = ANY(%(municipal)s)) AS municipal, p.geom
        FROM layers_parcel AS p
        WHERE p.retired_at IS NULL AND p.municipality_id = ANY(%(m)s)
          AND (p.id = ANY(%(municipal)s) OR p.id = ANY(%(focus)s)
               OR EXISTS (SELECT 1 FROM layers_parcel AS f WHERE f.id = ANY(%(focus)s)
                          AND ST_DWithin(f.geom, p.geom, 100)))
        LIMIT %(limit)s
        """,
        {"municipal": municipal, "m": municipality_ids_, "focus": focus_ids,
         "limit": MAP_FEATURE_LIMIT})
    leases = _geojson(
        """
        SELECT l.id, l.number, l.lessee_name, l.status, l.geom
        FROM leases_lease AS l
        WHERE l.municipality_id = ANY(%(m)s) AND l.status IN ('proposed', 'active')
          AND l.id <> %(self)s
        LIMIT %(limit)s
        """, {"m": municipality_ids_, "self": lease.id if lease else 0,
              "limit": MAP_FEATURE_LIMIT})
    current = None
    if lease is not None:
        current = _geojson("SELECT l.id, l.geom FROM leases_lease AS l WHERE l.id = %s",
                           [lease.id])
    return {"plots": plots, "leases": leases, "current": current,
            "focus": [f for f in plots["features"] if f["properties"]["id"] in focus_ids]}


def _area_input(form: LeaseForm) -> Any:
    upload = form.cleaned_data.get("area_file")
    if upload:
        if upload.size > services.AREA_FILE_MAX_BYTES:  # refused before reading it in
            raise ValidationError(_("The area file is larger than %(mb)s MB.")
                                  % {"mb": services.AREA_FILE_MAX_BYTES // (1024 * 1024)})
        return services.area_from_file(upload.name, upload.read())
    if form.cleaned_data.get("area_geojson"):
        return services.area_from_geojson(form.cleaned_data["area_geojson"])
    return None


def _ownership_problem(form: LeaseForm, municipality_id: int, area: Any) -> str | None:
    """A lease of land the municipality does not own (not municipal in the cadastre and the
    property register) needs its reason: without one, the warning naming the plots (shown on
    the reason's field; the lease is not saved). None when the lease may go on."""
    plots = list(form.cleaned_data.get("cadastral_ids") or [])
    if not plots and area is not None:
        plots = services.plots_under(municipality_id, area)
    if not plots or (form.cleaned_data.get("ownership_reason") or "").strip():
        return None
    owned = set(selectors.municipal_parcels([municipality_id])
                .filter(cadastral_id__in=plots).values_list("cadastral_id", flat=True))
    foreign = [p for p in plots if p not in owned]
    if not foreign:
        return None
    return _("The municipality does not own %(plots)s (cadastre and property register). Give "
             "the reason for leasing this land to save the lease.") % {
                 "plots": ", ".join(foreign)}


def _form_page(request: HttpRequest, form: LeaseForm, lease: Lease | None,
               parcel: Parcel | None, status: int = 200) -> HttpResponse:
    ids = sorted(municipality_ids(request.user, Capability.EDIT_LEASES))
    if lease is not None:
        ids = [lease.municipality_id]
    return render(request, "leases/lease_form.html", {
        "form": form, "lease": lease, "map_data": map_layers(ids, lease=lease, parcel=parcel),
    }, status=status)


RENT_COLUMNS = [
    ("number", _l("contract number")), ("municipality", _l("municipality")),
    ("lessee_name", _l("lessee")), ("cadastral_ids", _l("plots")),
    ("base_rent", _l("rent in the contract")), ("rent_period", _l("rent period")),
    ("index_applied", _l("index applied")), ("rent_per_period", _l("rent per period")),
    ("months", _l("months")), ("net", _l("net")), ("vat", _l("VAT")), ("gross", _l("gross")),
    ("missing_index", _l("price index missing for")),
]


RENT_SORTS = [(k, label) for k, label in RENT_COLUMNS if k in ("number", "lessee_name", "net",
                                                                "gross")]


@access(Capability.VIEW_LEASES, description="rent roll of a year: every active lease's rent "
                                             "after yearly indexation, CSV/XLSX export")
def rent_roll(request: HttpRequest) -> HttpResponse:
    year = year_param(request, default=date.today().year)
    rows = selectors.rent_roll(request.user, year,
                               municipality_id=_id(request))
    listing = list_page(request, rows, RENT_SORTS, numeric=("net", "gross"))
    exported = _export(request, listing.page.paginator.object_list, RENT_COLUMNS,
                       f"rent-roll-{year}", "lease")
    if exported:
        return exported
    total = sum((r["gross"] for r in rows if r.get("gross") is not None), Decimal(0))
    return render(request, "leases/rent_roll.html", {"listing": listing, "rows": listing.rows,
                                                     "year": year, "total": total,
                                                     "filters": request.GET})


@access(Capability.EDIT_LEASES, description="new lease: draw the leased area on the map, "
                                             "upload it as a file or take the whole plot")
def lease_new(request: HttpRequest) -> HttpResponse:
    towns = _municipalities(request.user, Capability.EDIT_LEASES)
    parcel = None
    pid = _id(request, "parcel")
    if pid:
        parcel = Parcel.objects.filter(pk=pid, municipality__in=towns).first()
    if request.method != "POST":
        initial = {"cadastral_ids": parcel.cadastral_id} if parcel else {}
        if parcel:
            initial["municipality"] = parcel.municipality_id
        return _form_page(request, LeaseForm(initial=initial, municipalities=towns), None, parcel)
    form = LeaseForm(request.POST, request.FILES, municipalities=towns)
    if form.is_valid():
        try:
            data = form.lease_data() | {"municipality_id": form.cleaned_data["municipality"].id}
            area = _area_input(form)
            problem = _ownership_problem(form, data["municipality_id"], area)
            if problem:
                form.add_error("ownership_reason", problem)
            else:
                lease = services.lease_create(request.user, data, area)
                return redirect("leases:lease_detail", pk=lease.pk)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
    return _form_page(request, form, None, parcel, status=400)


@access(Capability.EDIT_LEASES, description="edit a lease (optimistic locking: a stale save "
                                             "is refused with a clear message)")
def lease_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lease = selectors.lease_get(request.user, pk, Capability.EDIT_LEASES)
    if lease is None:
        if selectors.lease_get(request.user, pk) is not None:
            raise PermissionDenied(_("You may read this lease but not edit it."))
        raise Http404
    towns = Municipality.objects.filter(pk=lease.municipality_id)
    if request.method != "POST":
        return _form_page(request, LeaseForm(instance=lease, municipalities=towns), lease, None)
    form = LeaseForm(request.POST, request.FILES, instance=Lease.objects.get(pk=pk),
                     municipalities=towns)
    def save(data: dict[str, Any]) -> Lease:
        area = _area_input(form)
        plots_changed = set(data["cadastral_ids"] or []) != set(lease.cadastral_ids)
        problem = (_ownership_problem(form, lease.municipality_id, area)
                   if plots_changed or area is not None else None)
        if problem:
            raise ValidationError({"ownership_reason": [problem]})
        return services.lease_update(request.user, pk, data["version"] or 0,
                                     form.lease_data(), area)

    outcome = submit(form, save)
    if outcome.saved:
        return redirect("leases:lease_detail", pk=pk)
    return _form_page(request, form, lease, None, status=outcome.status)


@access(Capability.VIEW_LEASES, description="a lease: terms, leased area on the map, rent "
                                             "schedule with indexation, documents")
def lease_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lease = selectors.lease_get(request.user, pk)
    if lease is None:
        raise Http404
    schedule = selectors.lease_rent_schedule(lease)
    columns = [("year", _("year")), ("rent_per_period", _("rent per period")),
               ("months", _("months")), ("net", _("net")), ("vat", _("VAT")),
               ("gross", _("gross")), ("index_applied", _("index applied"))]
    exported = _export(request, [r.__dict__ for r in schedule], columns,
                       f"rent-schedule-{lease.pk}", "lease")
    if exported:
        return exported
    plots = Parcel.objects.filter(municipality_id=lease.municipality_id, retired_at__isnull=True,
                                  cadastral_id__in=lease.cadastral_ids)
    sections = [selectors.card_section(request.user, p) for p in plots]
    return render(request, "leases/lease_detail.html", {
        "lease": lease, "schedule": schedule, "documents": lease.documents.all(),
        "warnings": services.lease_warnings(lease),
        "needs_review": selectors.leases_needing_review(
            Lease.objects.filter(pk=lease.pk)).exists(),
        "can_edit": has_capability(request.user, Capability.EDIT_LEASES, lease.municipality_id),
        "document_form": DocumentForm(),
        "map_data": map_layers([lease.municipality_id], lease=lease),
        "plot_sections": [s for s in sections if s],
        "missing_index": bool(lease.indexation == "cpi" and schedule
                              and schedule[-1].year < (lease.end_date or date.max).year
                              and schedule[-1].year < date.today().year + 1),
    })


@require_POST
@access(Capability.EDIT_LEASES, description="attach a document to a lease (PDF, images, "
                                             "office files; size-limited)")
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    lease = selectors.lease_get(request.user, pk, Capability.EDIT_LEASES)
    if lease is None:
        raise Http404
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(request.user, lease, form.cleaned_data["title"],
                                  form.cleaned_data["file"])
            return redirect("leases:lease_detail", pk=pk)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
    return render(request, "leases/document_error.html", {"lease": lease, "form": form},
                  status=400)


@access(Capability.VIEW_LEASES, description="download a lease document")
def document_download(request: HttpRequest, doc_id: int) -> FileResponse:
    doc = LeaseDocument.objects.select_related("lease").filter(
        pk=doc_id,
        lease__municipality_id__in=municipality_ids(request.user, Capability.VIEW_LEASES),
    ).first()
    if doc is None:
        raise Http404
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name)


# --- municipal property ------------------------------------------------------------------------


PROPERTY_COLUMNS = [
    ("cadastral_id", _l("parcel id")), ("municipality", _l("municipality")),
    ("legal_area_m2", _l("legal area [m²]")), ("group", _l("registration group")),
    ("source", _l("source")), ("manager", _l("managing unit")),
    ("management_form_label", _l("form of management")),
    ("inventory_number", _l("inventory number")), ("leased", _l("leased now")),
]


PROPERTY_SORTS = [(k, label) for k, label in PROPERTY_COLUMNS
                  if k in ("cadastral_id", "legal_area_m2", "group", "source", "manager",
                           "management_form_label", "leased")]


@access(Capability.VIEW_LEASES, description="municipal property: plots of groups 4/5 "
                                             "corrected by hand; filters, CSV/XLSX export")
def property_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    rows = selectors.property_list(request.user, municipality_id=_id(request),
                                   q=g.get("q", ""),
                                   management_form=g.get("management_form", ""),
                                   leased=g.get("leased", ""))
    listing = list_page(request, rows, PROPERTY_SORTS, default_sort="cadastral_id",
                        numeric=("legal_area_m2",))
    exported = _export(request, listing.page.paginator.object_list, PROPERTY_COLUMNS,
                       "municipal-property", "property_override")
    if exported:
        return exported
    return render(request, "leases/property_list.html", {
        "listing": listing, "rows": listing.rows, "filters": g,
        "forms": PropertyOverride.ManagementForm.choices,
        "municipalities": _municipalities(request.user, Capability.VIEW_LEASES),
        "can_edit": has_capability(request.user, Capability.EDIT_LEASES),
    })


@access(Capability.EDIT_LEASES, description="correct whether a plot is municipal and its "
                                             "management fields (optimistic locking)")
def property_edit(request: HttpRequest, parcel_id: int) -> HttpResponse:
    parcel = Parcel.objects.filter(
        pk=parcel_id, retired_at__isnull=True,
        municipality_id__in=municipality_ids(request.user, Capability.EDIT_LEASES)).first()
    if parcel is None:
        raise Http404
    instance = PropertyOverride.objects.filter(municipality_id=parcel.municipality_id,
                                               cadastral_id=parcel.cadastral_id).first()
    form = PropertyOverrideForm(request.POST or None, instance=instance)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda data: services.property_override_save(
            request.user, parcel.municipality_id, parcel.cadastral_id,
            expected_version=data["version"],
            **{k: v for k, v in data.items() if k != "version"}))
        if outcome.saved:
            return redirect(reverse("leases:property_list") + f"?q={parcel.cadastral_id}")
        status = outcome.status
    return render(request, "leases/property_form.html", {"form": form, "parcel": parcel},
                  status=status)


# --- perpetual usufruct ------------------------------------------------------------------------


USUFRUCT_COLUMNS = [
    ("cadastral_id", _l("parcel id")), ("municipality", _l("municipality")),
    ("holder_name", _l("perpetual usufructuary")), ("purpose", _l("purpose")),
    ("land_value", _l("land value")), ("fee", _l("annual fee")),
    ("payable", _l("payable this year")), ("due", _l("due")), ("spread_text", _l("spread")),
    ("fee_updated_year", _l("year of the last update")),
    ("previous_fee", _l("fee before the last update")),
]
USUFRUCT_SORTS = [(k, label) for k, label in USUFRUCT_COLUMNS
                  if k in ("cadastral_id", "holder_name", "purpose", "land_value", "fee",
                           "payable")]


@access(Capability.VIEW_LEASES, description="perpetual usufruct: annual fees (art. 72) and "
                                             "their update spread (art. 77); filters, paged, "
                                             "sortable, CSV/XLSX export")
def usufruct_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    year = date.today().year
    qs = selectors.usufruct_list(request.user).select_related("municipality")
    if (mid := _id(request)) is not None:
        qs = qs.filter(municipality_id=mid)
    if q := g.get("q", "").strip():
        qs = qs.filter(Q(cadastral_id__icontains=q) | Q(holder_name__icontains=q))
    if g.get("purpose") in dict(USUFRUCT_PURPOSE_CHOICES):
        qs = qs.filter(purpose=g["purpose"])
    rows = []
    for u in qs:
        fee = services.usufruct_fee(u)
        spread = (usufruct_update_spread(u.previous_fee, fee, u.fee_updated_year)
                  if u.previous_fee is not None and u.fee_updated_year else [])
        # the year's payable fee follows the update's effective year: before it, the old fee
        payable = usufruct_payable(year, fee, previous_fee=u.previous_fee,
                                   effective_year=u.fee_updated_year)
        rows.append({"u": u, "cadastral_id": u.cadastral_id, "municipality": u.municipality.name,
                     "holder_name": u.holder_name, "purpose": u.get_purpose_display(),
                     "land_value": u.land_value, "fee": fee, "payable": payable,
                     "spread": spread, "due": usufruct_due_date(year),
                     "spread_text": "; ".join(f"{y}: {a}" for y, a in spread),
                     "fee_updated_year": u.fee_updated_year, "previous_fee": u.previous_fee})
    listing = list_page(request, rows, USUFRUCT_SORTS, default_sort="cadastral_id",
                        numeric=("land_value", "fee", "payable"))
    exported = _export(request, listing.page.paginator.object_list, USUFRUCT_COLUMNS,
                       "perpetual-usufruct", "usufruct")
    if exported:
        return exported
    can_edit = has_capability(request.user, Capability.EDIT_LEASES)
    if can_edit:  # an update form for each row shown
        for r in listing.rows:
            r["form"] = UsufructUpdateForm(initial={"version": r["u"].version,
                                                    "effective_year": year + 1,
                                                    "notice_on": date.today()})
    return render(request, "leases/usufruct_list.html", {
        "listing": listing, "rows": listing.rows, "year": year, "filters": g,
        "purposes": USUFRUCT_PURPOSE_CHOICES,
        "municipalities": _municipalities(request.user, Capability.VIEW_LEASES),
        "can_edit": can_edit})


@require_POST
@access(Capability.EDIT_LEASES, description="update a perpetual-usufruct fee")
def usufruct_update(request: HttpRequest, pk: int) -> HttpResponse:
    u = selectors.usufruct_list(request.user).filter(pk=pk).first()
    if u is None:
        raise Http404
    form = UsufructUpdateForm(request.POST)
    outcome = submit(form, lambda data: services.usufruct_update(
        request.user, pk, data["version"], data["new_land_value"], data["effective_year"],
        notice_on=data["notice_on"]))
    if outcome.saved:
        return redirect("leases:usufruct_list")
    if outcome.status == 409:  # someone saved it after this page was opened
        return HttpResponse(" ".join(outcome.messages), status=409,
                            content_type="text/plain; charset=utf-8")
    # a field's message names the field (notice_on: …); the whole form's stands alone
    error = " ".join(" ".join(v) if k == "__all__" else f"{k}: {' '.join(v)}"
                     for k, v in form.errors.items())
    return HttpResponse(error, status=outcome.status, content_type="text/plain; charset=utf-8")


# --- investment offer --------------------------------------------------------------------------


OFFER_COLUMNS = [
    ("title", _l("title")), ("municipality", _l("municipality")), ("mode", _l("offered for")),
    ("cadastral_ids", _l("plots")), ("area_m2", _l("area [m²]")), ("price", _l("price")),
    ("conditions", _l("conditions")), ("contact", _l("contact")),
]


OFFER_SORTS = [(k, label) for k, label in OFFER_COLUMNS
               if k in ("title", "municipality", "mode", "area_m2", "price")]


@access(public=True, description="the investment offer: published municipal plots for sale, "
                                 "lease or PPP (officers also see drafts of their towns)")
def offer_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    offers = list(selectors.offer_list(municipality_id=_id(request),
                                       mode=g.get("mode", "")))
    own_ids = municipality_ids(request.user, Capability.EDIT_LEASES)
    if own_ids:
        drafts = selectors.offer_list(published_only=False, mode=g.get("mode", "")).filter(
            published=False, municipality_id__in=own_ids)
        offers += list(drafts)
    rows = [{"id": o.id, "title": o.title, "municipality": o.municipality.name,
             "municipality_id": o.municipality_id, "mode": o.get_mode_display(),
             "cadastral_ids": o.cadastral_ids, "area_m2": round(o.area_m2),
             "price": o.price, "conditions": o.conditions, "contact": o.contact,
             "published": o.published} for o in offers]
    listing = list_page(request, rows, OFFER_SORTS, default_sort="title",
                        numeric=("area_m2", "price"))
    exported = _export(request, [r for r in listing.page.paginator.object_list
                                 if r["published"]], OFFER_COLUMNS,
                       "investment-offer", "investment_offer")
    if exported:
        return exported
    return render(request, "leases/offer_list.html", {
        "listing": listing, "rows": listing.rows, "modes": InvestmentOffer.Mode.choices,
        "filters": g,
        "municipalities": Municipality.objects.all(), "edit_ids": own_ids,
    })


@access(Capability.EDIT_LEASES, description="create or change an investment offer (optimistic "
                                             "locking)")
def offer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    towns = _municipalities(request.user, Capability.EDIT_LEASES)
    instance = None
    if pk is not None:
        instance = InvestmentOffer.objects.filter(pk=pk, municipality__in=towns).first()
        if instance is None:
            raise Http404
    form = OfferForm(request.POST or None, instance=instance, municipalities=towns)
    status = 200

    def save(cleaned: dict[str, Any]) -> InvestmentOffer:
        data = {k: cleaned[k] for k in OfferForm.Meta.fields}
        data["cadastral_ids"] = cleaned["cadastral_ids"]
        data["municipality_id"] = (instance.municipality_id if instance
                                   else cleaned["municipality"].id)
        return services.offer_save(request.user, data, pk, expected_version=cleaned["version"])

    if request.method == "POST":
        outcome = submit(form, save)
        if outcome.saved:
            return redirect("leases:offer_list")
        status = outcome.status
    return render(request, "leases/offer_form.html", {"form": form, "offer": instance},
                  status=status)
