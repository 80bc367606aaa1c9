"""Pages of the tax register. Thin: parse → service/selector → render.

Every page needs VIEW_TAX (reading) or EDIT_TAX (writing) in the municipality it shows; a
municipality the user holds no such role in answers 403 and shows nothing of it.
"""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from gis_app.accounts.access import access, has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page, requested_sort, sort_headers
from gis_app.params import page_param, year_param
from layers.domain.text import normalize_text
from layers.exports import EXPORT_FORMATS, csv_dialect
from layers.models import Municipality
from registers.common.editing import attempt
from registers.common.exports import list_export
from registers.taxes import decisions, rules, services
from registers.taxes.forms import (
    BatchForm,
    CaseStatusForm,
    DecisionAmendForm,
    DecisionNewForm,
    DecisionStatusForm,
    ImportForm,
    ResolutionForm,
    RuralLandObjectForm,
    TaxObjectForm,
    TaxpayerForm,
)
from registers.taxes.models import (
    Decision,
    DecisionBatch,
    RateResolution,
    ReconciliationCase,
    Taxpayer,
)
from registers.taxes.services import IMPORT_COLUMNS

logger = logging.getLogger(__name__)
ROLL_PAGE = 100
# A declarations CSV of a whole town is well under this; larger files are refused unread.
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _municipality(request: HttpRequest, municipality_id: int,
                  capability: Capability = Capability.VIEW_TAX) -> Municipality:
    municipality = get_object_or_404(Municipality, pk=municipality_id)
    if not has_capability(request.user, capability, municipality.pk):
        raise PermissionDenied(f"no {capability} in this municipality")
    return municipality


def _year(request: HttpRequest) -> int:
    year = year_param(request, default=timezone.localdate().year)
    assert year is not None
    return year


@access(Capability.VIEW_TAX, description="property tax: the municipalities and years")
def index(request: HttpRequest) -> HttpResponse:
    towns = Municipality.objects.filter(
        id__in=municipality_ids(request.user, Capability.VIEW_TAX))
    return render(request, "taxes/index.html", {"towns": towns, "year": _year(request)})


@access(Capability.VIEW_TAX, description="property tax: rate resolutions of a municipality")
def resolution_list(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    resolutions = RateResolution.objects.filter(municipality=town).prefetch_related("rates")
    return render(request, "taxes/resolutions.html", {
        "town": town, "resolutions": resolutions, "labels": rules.CATEGORY_LABELS,
        "can_edit": has_capability(request.user, Capability.EDIT_TAX, town.pk)})


@access(Capability.EDIT_TAX, description="property tax: adopt a rate resolution (caps checked)")
def resolution_new(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = ResolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            existing = RateResolution.objects.filter(municipality=town,
                                                     year=form.cleaned_data["year"]).first()
            services.resolution_save(
                request.user, town, form.cleaned_data["year"], form.cleaned_data["number"],
                form.cleaned_data["adopted_on"],
                form.rate_inputs(), resolution=existing)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):  # each problem on its rate's field, once
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                for message in exc.messages:
                    form.add_error(None, message)
        else:
            messages.success(request, _("Resolution saved."))
            return redirect("taxes:resolutions", municipality_id=town.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "taxes/form.html", {"town": town, "form": form,
                                               "title": _("New rate resolution")}, status=status)


TAXPAYER_COLUMNS = [
    ("name", _l("name")), ("kind", _l("kind")), ("tax_id", _l("NIP / REGON")),
    ("address", _l("address")), ("business", _l("business activity")),
    ("external_ref", _l("reference in the tax system")), ("n_objects", _l("objects")),
]
TAXPAYER_SORTS = [(k, label) for k, label in TAXPAYER_COLUMNS
                  if k in ("name", "kind", "tax_id", "n_objects")]


def _taxpayer_row(t: Taxpayer) -> dict[str, Any]:
    return {"name": t.name, "kind": t.get_kind_display(), "tax_id": t.tax_id,
            "address": t.address, "business": t.business, "external_ref": t.external_ref,
            "n_objects": t.n_objects}  # type: ignore[attr-defined]


@access(Capability.VIEW_TAX, description="property tax: taxpayers of a municipality "
                                         "(sortable; CSV/XLSX export, audited as a read)")
def taxpayer_list(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    qs = Taxpayer.objects.filter(municipality=town).annotate(n_objects=Count("tax_objects"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(external_ref=q) | Q(tax_id=q))
    listing = list_page(request, qs.order_by("name", "id"), TAXPAYER_SORTS,
                        numeric=("n_objects",))
    # tax secrecy: the export is read (and audited) like the page, by the page's roles only
    exported = list_export(request, listing.page.paginator.object_list, TAXPAYER_COLUMNS,
                           f"taxpayers-{town.teryt}", "taxes.taxpayer", [town.pk],
                           action=AuditAction.READ_OWNERS, row=_taxpayer_row)
    if exported:
        return exported
    audit(request.user, AuditAction.READ_OWNERS, "taxes.taxpayer", "",
          municipality_id=town.pk, detail=Note(gettext_noop("taxpayer list, search: %(query)s"),
                                            query=repr(normalize_text(q))))
    return render(request, "taxes/taxpayers.html", {
        "town": town, "listing": listing, "page": listing.page, "q": q, "year": _year(request),
        "can_edit": has_capability(request.user, Capability.EDIT_TAX, town.pk)})


@access(Capability.EDIT_TAX, description="property tax: record a taxpayer")
def taxpayer_new(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = TaxpayerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        taxpayer = form.save(commit=False)
        taxpayer.municipality = town
        taxpayer.save()
        audit(request.user, AuditAction.CREATE, "taxes.taxpayer", taxpayer.pk,
              municipality_id=town.pk, after={"name": taxpayer.name, "kind": taxpayer.kind})
        return redirect("taxes:liability", taxpayer_id=taxpayer.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "taxes/form.html", {"town": town, "form": form,
                                               "title": _("New taxpayer")}, status=status)


@access(Capability.VIEW_TAX,
        description="property tax: a taxpayer's liability for a year, objects and instalments")
def liability(request: HttpRequest, taxpayer_id: int) -> HttpResponse:
    taxpayer = get_object_or_404(Taxpayer, pk=taxpayer_id)
    _municipality(request, taxpayer.municipality_id)
    year = _year(request)
    try:
        result = services.taxpayer_liability(request.user, taxpayer, year)
        assessment = decisions.assessments(
            [taxpayer], decisions.YearContext.load(taxpayer.municipality_id, year))[0]
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    return render(request, "taxes/liability.html", {
        "taxpayer": taxpayer, "town": taxpayer.municipality, "year": year, "r": result,
        "labels": rules.CATEGORY_LABELS,
        "decisions": Decision.objects.filter(taxpayer=taxpayer, year=year).order_by("number"),
        "a": assessment,
        "rural_lines": [x for x in assessment.lines if x["tax"] != "property"],
        "can_edit": has_capability(request.user, Capability.EDIT_TAX, taxpayer.municipality_id)})


@access(Capability.EDIT_TAX, description="property tax: record a tax object (IN-1/DN-1 data)")
def taxobject_new(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    initial = {"taxpayer": request.GET.get("taxpayer")}
    form = TaxObjectForm(request.POST or None, initial=initial, municipality_id=town.pk)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.municipality = town
        from layers.models import Building, Parcel

        obj.parcel_row = Parcel.objects.filter(municipality=town, retired_at__isnull=True,
                                               cadastral_id=obj.cadastral_id).first()
        if obj.building_id:
            obj.building_row = Building.objects.filter(
                municipality=town, retired_at__isnull=True, building_id=obj.building_id).first()
        obj.save()
        audit(request.user, AuditAction.CREATE, "taxes.taxobject", obj.pk,
              municipality_id=town.pk, after={"kind": obj.kind, "category": obj.category,
                                              "cadastral_id": obj.cadastral_id,
                                              "building_id": obj.building_id})
        return redirect("taxes:liability", taxpayer_id=obj.taxpayer_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "taxes/form.html", {"town": town, "form": form,
                                               "title": _("New tax object")}, status=status)


@access(Capability.EDIT_TAX, description="agricultural / forest tax: record farmland or forest "
                                          "of a taxpayer (IR-1/IL-1 data)")
def rural_new(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = RuralLandObjectForm(request.POST or None,
                               initial={"taxpayer": request.GET.get("taxpayer")},
                               municipality_id=town.pk)
    if request.method == "POST" and form.is_valid():
        from layers.models import Parcel

        obj = form.save(commit=False)
        obj.municipality = town
        obj.parcel_row = Parcel.objects.filter(municipality=town, retired_at__isnull=True,
                                               cadastral_id=obj.cadastral_id).first()
        obj.save()
        audit(request.user, AuditAction.CREATE, "taxes.rurallandobject", obj.pk,
              municipality_id=town.pk, after={"tax": obj.tax, "cadastral_id": obj.cadastral_id,
                                              "ofu": obj.ofu, "soil_class": obj.soil_class,
                                              "area_ha": str(obj.area_ha)})
        return redirect("taxes:liability", taxpayer_id=obj.taxpayer_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "taxes/form.html", {"town": town, "form": form,
                                               "title": _("New farmland or forest")},
                  status=status)


def _import_text(form: ImportForm) -> str | None:
    """The uploaded CSV as text, or None with the reason added to the form."""
    upload = form.cleaned_data["file"]
    if upload.size > IMPORT_MAX_BYTES:
        form.add_error("file", _("The file is larger than %(mb)s MB.")
                       % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)})
        return None
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        form.add_error("file", _("The file is not UTF-8 text."))
        return None
    if "\x00" in text:  # PostgreSQL text cannot hold it: refuse, do not crash
        form.add_error("file", _("The file contains NUL characters; it is not a CSV text "
                                 "file."))
        return None
    return text


@access(Capability.EDIT_TAX, description="property tax: import declaration lines from CSV")
def declarations_import(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        text = _import_text(form) if form.is_valid() else None
        if text is not None:
            result = services.declarations_import(request.user, town, text)
            status = 200 if result.ok else 400
    return render(request, "taxes/import.html", {"town": town, "form": form, "result": result,
                                                 "columns": IMPORT_COLUMNS}, status=status)


ROLL_SORTS = [("name", _l("name")), ("objects", _l("objects")), ("subtotal", _l("sum")),
              ("tax", _l("tax"))]


@access(Capability.VIEW_TAX, description="property tax: the tax roll of a year, CSV/XLSX export")
def roll(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    year = _year(request)
    fmt = request.GET.get("format")
    try:
        if fmt:
            if fmt not in EXPORT_FORMATS:
                return HttpResponseBadRequest(
                    f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
            data, mime = services.roll_export(request.user, town.pk, year, fmt,
                                               csv_dialect(request.GET))
            audit(request.user, AuditAction.READ_TAX, "taxes.roll", f"{town.pk}/{year}",
                  municipality_id=town.pk, detail=Note(gettext_noop("export")))
            response = HttpResponse(data, content_type=mime)
            response["Content-Disposition"] = (
                f'attachment; filename="tax-roll-{town.teryt}-{year}.{fmt}"')
            return response
        result = services.roll(town.pk, year)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    services.roll_record(town.pk, year, result)
    page_no = page_param(request)
    sort = requested_sort(request, [k for k, _label in ROLL_SORTS], "name")
    query, headers = sort_headers(request, ROLL_SORTS, sort, numeric=("objects", "subtotal",
                                                                      "tax"))
    rows = list(services.roll_rows(town.pk, year, limit=ROLL_PAGE,
                                   offset=(page_no - 1) * ROLL_PAGE, sort=sort))
    audit(request.user, AuditAction.READ_TAX, "taxes.roll", f"{town.pk}/{year}",
          municipality_id=town.pk,
          detail=Note(gettext_noop("tax roll, page %(page)s"), page=page_no))
    return render(request, "taxes/roll.html", {
        "town": town, "year": year, "roll": result, "rows": rows, "page_no": page_no,
        "listing": SimpleNamespace(headers=headers, sort=sort, query=query.urlencode()),
        "has_next": len(rows) == ROLL_PAGE, "resolution": services.resolution_for(town.pk, year)})


CASE_SORTS = [("estimated_loss", _l("estimated lost revenue [zł/year]")), ("kind", _l("kind")),
              ("cadastral_id", _l("parcel")), ("building_id", _l("building")),
              ("status", _l("status"))]


@access(Capability.VIEW_TAX,
        description="property tax: reconciliation cases ranked by lost revenue")
def case_list(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    qs = ReconciliationCase.objects.filter(municipality=town)
    status = request.GET.get("status", "")
    if status in ReconciliationCase.Status.values:
        qs = qs.filter(status=status)
    if request.GET.get("all") != "1":
        qs = qs.filter(still_detected=True)
    kind = request.GET.get("kind", "")
    if kind in ReconciliationCase.Kind.values:
        qs = qs.filter(kind=kind)
    listing = list_page(request, qs.order_by("-estimated_loss", "fingerprint").select_related(
        "status_changed_by"), CASE_SORTS, numeric=("estimated_loss",))
    audit(request.user, AuditAction.READ_TAX, "taxes.reconciliationcase", "",
          municipality_id=town.pk, detail=Note(gettext_noop("list of reconciliation cases")))
    return render(request, "taxes/cases.html", {
        "town": town, "listing": listing, "page": listing.page, "status": status, "kind": kind,
        "statuses": ReconciliationCase.Status.choices, "kinds": ReconciliationCase.Kind.choices,
        "form": CaseStatusForm(),
        "can_edit": has_capability(request.user, Capability.EDIT_TAX, town.pk)})


@access(Capability.EDIT_TAX, description="property tax: run the reconciliation with the cadastre")
@require_POST
def reconcile_run(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    result = services.reconcile(town.pk, user=request.user)
    messages.info(request, _("Reconciliation found %(n)d discrepancies.") % {"n": result.found}
                  + (f" {result.note}" if result.note else ""))
    return redirect("taxes:cases", municipality_id=town.pk)


@access(Capability.EDIT_TAX, description="property tax: change a reconciliation case's status "
                                          "(optimistic locking)")
@require_POST
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(ReconciliationCase, pk=case_id)
    _municipality(request, case.municipality_id, Capability.EDIT_TAX)
    form = CaseStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(
            f"{field}: {' '.join(errs)}" for field, errs in form.errors.items()))
    data = form.cleaned_data
    outcome = attempt(lambda: services.case_set_status(
        request.user, case, data["status"], data["note"], expected_version=data["version"]))
    if not outcome.saved:
        return HttpResponse("; ".join(outcome.messages), status=outcome.status,
                            content_type="text/plain; charset=utf-8")
    return redirect("taxes:cases", municipality_id=case.municipality_id)


# ---------------------------------------------------------------------------------------------
# Decisions


def _decision(request: HttpRequest, decision_id: int,
              capability: Capability = Capability.VIEW_TAX) -> Decision:
    decision = get_object_or_404(Decision.objects.select_related("taxpayer", "municipality"),
                                 pk=decision_id)
    _municipality(request, decision.municipality_id, capability)
    return decision


DECISION_SORTS = [("number", _l("number")), ("taxpayer", _l("taxpayer")), ("tax_kind", _l("tax")),
                  ("issued_on", _l("date of issue")), ("delivered_on", _l("date of delivery")),
                  ("amount", _l("amount [zł]")), ("status", _l("status"))]


@access(Capability.VIEW_TAX, description="tax decisions: the register of a municipality's "
                                         "decisions by year and status")
def decision_list(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id)
    year = _year(request)
    qs = Decision.objects.filter(municipality=town, year=year).select_related("taxpayer")
    status = request.GET.get("status", "")
    if status in Decision.Status.values:
        qs = qs.filter(status=status)
    listing = list_page(request, qs.order_by("number", "id"), DECISION_SORTS,
                        numeric=("amount",), fields={"taxpayer": "taxpayer__name"})
    audit(request.user, AuditAction.READ_TAX, "taxes.decision", "", municipality_id=town.pk,
          detail=Note(gettext_noop("decision list %(year)s, status: %(status)s"), year=year,
                      status=Decision.Status(status).label
                      if status in Decision.Status.values else "–"))
    batches = DecisionBatch.objects.filter(municipality=town).order_by("-started_at")[:5]
    return render(request, "taxes/decisions.html", {
        "town": town, "year": year, "listing": listing, "page": listing.page, "status": status,
        "statuses": Decision.Status.choices, "batches": batches,
        "can_edit": has_capability(request.user, Capability.EDIT_TAX, town.pk)})


@access(Capability.VIEW_TAX, description="tax decisions: one decision, its objects and "
                                         "instalments")
def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = _decision(request, decision_id)
    audit(request.user, AuditAction.READ_TAX, "taxes.decision", decision.pk,
          municipality_id=decision.municipality_id, detail=Note(gettext_noop("decision")))
    return render(request, "taxes/decision.html", {
        "town": decision.municipality, "d": decision,
        "instalments": decision.instalments.order_by("number"),
        "amended_by": decision.amended_by.all(), "today": timezone.localdate(),
        "can_edit": has_capability(request.user, Capability.EDIT_TAX, decision.municipality_id)})


@access(Capability.VIEW_TAX, description="tax decisions: the decision as a PDF in Polish")
def decision_pdf(request: HttpRequest, decision_id: int) -> HttpResponse:
    from registers.taxes.pdf import render_decision

    decision = _decision(request, decision_id)
    account = decisions.payment_accounts([decision.taxpayer_id]).get(decision.taxpayer_id, "")
    data = render_decision(decision, payment_account=account)
    audit(request.user, AuditAction.READ_TAX, "taxes.decision", decision.pk,
          municipality_id=decision.municipality_id, detail=Note(gettext_noop("decision (PDF)")))
    response = HttpResponse(data, content_type="application/pdf")
    safe = decision.number.replace("/", "-").replace('"', "")
    response["Content-Disposition"] = f'inline; filename="decyzja-{safe}.pdf"'
    return response


@access(Capability.EDIT_TAX, description="tax decisions: prepare (draft) or issue a taxpayer's "
                                          "decision for a year")
@require_POST
def decision_new(request: HttpRequest, taxpayer_id: int) -> HttpResponse:
    taxpayer = get_object_or_404(Taxpayer, pk=taxpayer_id)
    _municipality(request, taxpayer.municipality_id, Capability.EDIT_TAX)
    form = DecisionNewForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(
            f"{f}: {' '.join(e)}" for f, e in form.errors.items()))
    try:
        decision = decisions.decision_prepare(
            request.user, taxpayer, form.cleaned_data["year"],
            issue_on=form.cleaned_data.get("issued_on"))
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    return redirect("taxes:decision", decision_id=decision.pk)


@access(Capability.EDIT_TAX, description="tax decisions: issue a draft, record delivery or "
                                          "expiry (optimistic locking)")
@require_POST
def decision_status(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = _decision(request, decision_id, Capability.EDIT_TAX)
    form = DecisionStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(
            f"{f}: {' '.join(e)}" for f, e in form.errors.items()))
    data = form.cleaned_data
    outcome = attempt(lambda: decisions.decision_set_status(
        request.user, decision, data["status"], data["on"], expected_version=data["version"]))
    if not outcome.saved:
        return HttpResponse("; ".join(outcome.messages), status=outcome.status,
                            content_type="text/plain; charset=utf-8")
    return redirect("taxes:decision", decision_id=decision.pk)


@access(Capability.EDIT_TAX, description="tax decisions: amending decision after a change "
                                          "during the year")
@require_POST
def decision_amend(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = _decision(request, decision_id, Capability.EDIT_TAX)
    form = DecisionAmendForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(
            f"{f}: {' '.join(e)}" for f, e in form.errors.items()))
    data = form.cleaned_data
    outcome = attempt(lambda: decisions.decision_amend(
        request.user, decision, data["issued_on"], data["reason"],
        expected_version=data["version"]))
    if not outcome.saved:
        return HttpResponse("; ".join(outcome.messages), status=outcome.status,
                            content_type="text/plain; charset=utf-8")
    return redirect("taxes:decision", decision_id=outcome.result.pk)


@access(Capability.EDIT_TAX, description="tax decisions: the batch for the whole roll — start, "
                                          "resume, progress")
def decision_batch(request: HttpRequest, municipality_id: int) -> HttpResponse:
    town = _municipality(request, municipality_id, Capability.EDIT_TAX)
    form = BatchForm(request.POST or None)
    if request.method == "POST":
        resume = request.POST.get("resume")
        if resume:
            batch = get_object_or_404(DecisionBatch, pk=resume, municipality=town)
            if batch.status == DecisionBatch.Status.DONE:
                return HttpResponseBadRequest(_("This batch is finished."))
        elif form.is_valid():
            batch = decisions.batch_start(request.user, town.pk, form.cleaned_data["year"],
                                          form.cleaned_data["issued_on"])
        else:
            return render(request, "taxes/batch.html", {"town": town, "form": form,
                                                        "batches": []}, status=400)
        _run_batch_in_background(batch.pk)
        messages.info(request, _("The batch is running; this page shows its progress."))
        return redirect("taxes:batch", municipality_id=town.pk)
    batches = DecisionBatch.objects.filter(municipality=town).order_by("-started_at")[:10]
    audit(request.user, AuditAction.READ_TAX, "taxes.decisionbatch", "",
          municipality_id=town.pk, detail=Note(gettext_noop("batch status")))
    running = any(b.status == DecisionBatch.Status.RUNNING for b in batches)
    return render(request, "taxes/batch.html", {"town": town, "form": form, "batches": batches,
                                                "running": running})


def _run_batch_in_background(batch_id: int) -> None:
    """Run the batch in a thread of this process with its own connection (settings
    ``GEOGMINA_TAX_BATCH_SYNC``: in the request, for tests). A process that dies leaves the
    batch resumable from its last committed chunk."""
    from django.conf import settings
    from django.db import connection as conn

    def work() -> None:
        try:
            decisions.batch_run(DecisionBatch.objects.get(pk=batch_id))
        except Exception:  # recorded on the batch (status failed, error)
            logger.exception("decision batch %s failed", batch_id)
        finally:
            if not getattr(settings, "GEOGMINA_TAX_BATCH_SYNC", False):
                conn.close()

    if getattr(settings, "GEOGMINA_TAX_BATCH_SYNC", False):
        work()
    else:
        threading.Thread(target=work, name=f"decision-batch-{batch_id}", daemon=True).start()
