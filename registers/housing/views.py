"""Pages of the protected-housing register."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop

from gis_app.accounts.access import access, has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.listing import list_page
from layers.exports import EXPORT_FORMATS, csv_dialect, write_table
from layers.models import Municipality
from registers.common.editing import submit
from registers.housing import selectors, services
from registers.housing.forms import (
    CandidateForm,
    DemandForm,
    FlatForm,
    ResidentForm,
    StayForm,
    WaitingForm,
)
from registers.housing.messages import issue_text
from registers.housing.models import (
    Candidate,
    Demand,
    ProtectedFlat,
    Resident,
    Stay,
    WaitingListEntry,
)

COLUMNS = [
    ("municipality", _l("municipality")), ("address", _l("address")),
    ("cadastral_id", _l("parcel id")), ("building_id", _l("building id")),
    ("premises_id", _l("premises id")), ("kind_label", _l("type")), ("operator", _l("operator")),
    ("operator_name", _l("operator name")), ("places", _l("places")),
    ("occupied_places", _l("occupied places")), ("usable_area_m2", _l("usable area [m²]")),
    ("m2_per_person", _l("m² per person")), ("accessible", _l("accessible for wheelchairs")),
    ("target_group", _l("target group")),
    ("voivode_register_date", _l("entered in the voivode's register")),
    ("stay_months", _l("period of stay [months]")), ("issues_text", _l("breaches of the standard")),
]


SORTS = ("address", "cadastral_id", "kind_label", "operator", "places", "occupied_places",
         "usable_area_m2", "m2_per_person")


@access(Capability.VIEW_HOUSING, description="protected flats (training / assisted): list "
                                              "with the standard check, CSV/XLSX export")
def flat_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    rows = selectors.flat_rows(request.user, kind=g.get("kind", ""),
                               operator=g.get("operator", ""), flagged=g.get("flagged", ""),
                               q=g.get("q", ""))
    for r in rows:
        r["issues_text"] = "; ".join(issue_text(i) for i in r["issues"])
    listing = list_page(request, rows, [(k, label) for k, label in COLUMNS if k in SORTS],
                        default_sort="address", numeric=("places", "occupied_places",
                                                         "usable_area_m2", "m2_per_person"))
    rows = list(listing.page.paginator.object_list)  # every filtered row, in the list's order
    fmt = g.get("export", "")
    if fmt:
        if fmt not in EXPORT_FORMATS:
            return HttpResponse(_("Unknown export format %(fmt)s; use csv or xlsx.")
                                % {"fmt": fmt}, status=400)
        data, mime = write_table(rows, [(k, str(label)) for k, label in COLUMNS], fmt,
                                 csv_dialect(g))
        # one event per municipality in the export's scope, so each town's administrator sees it
        for mid in sorted(municipality_ids(request.user, Capability.VIEW_HOUSING)):
            audit(request.user, AuditAction.EXPORT, "protected_flat", "", municipality_id=mid,
                  detail=Note(gettext_noop("%(format)s, rows: %(count)s"), format=fmt.upper(),
                              count=len(rows)))
        response = HttpResponse(data, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="protected-flats.{fmt}"'
        return response
    return render(request, "housing/flat_list.html", {
        "listing": listing, "rows": listing.rows, "filters": g, "standard": selectors.standard_on(),
        "kinds": ProtectedFlat._meta.get_field("kind").choices,
        "operators": ProtectedFlat.Operator.choices,
        "can_edit": has_capability(request.user, Capability.EDIT_HOUSING),
        "show_residents": has_capability(request.user, Capability.VIEW_RESIDENTS),
    })


@access(Capability.EDIT_HOUSING, description="add or change a protected flat (optimistic "
                                              "locking)")
def flat_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    towns = Municipality.objects.filter(
        id__in=municipality_ids(request.user, Capability.EDIT_HOUSING))
    flat = None
    if pk is not None:
        flat = selectors.flat_get(request.user, pk, Capability.EDIT_HOUSING)
        if flat is None:
            if selectors.flat_get(request.user, pk) is not None:
                raise PermissionDenied(_("You may read this flat but not edit it."))
            raise Http404
    form = FlatForm(request.POST or None, instance=flat, municipalities=towns)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda data: services.flat_save(
            request.user, flat.municipality_id if flat else data["municipality"].id,
            {k: data[k] for k in FlatForm.Meta.fields}, flat_id=pk,
            expected_version=data["version"]))
        if outcome.saved:
            return redirect("housing:flat_list")
        status = outcome.status
    issues = [issue_text(i) for i in selectors.flat_check(flat)] if flat else []
    return render(request, "housing/flat_form.html", {"form": form, "flat": flat,
                                                      "issues": issues}, status=status)


# --- residents, stays, waiting list (VIEW/EDIT_RESIDENTS: the social-welfare officer only) -------

def _towns(user: Any, capability: Capability) -> Any:
    return Municipality.objects.filter(id__in=municipality_ids(user, capability)).order_by("name")


def _with_town(form: Any, towns: Any) -> Any:
    """A create form gets the municipality to file the record under."""
    form.fields["municipality"] = forms.ModelChoiceField(queryset=towns,
                                                         label=_l("municipality"))
    if towns.count() == 1:
        form.initial["municipality"] = towns.first()
    return form


def _edit(request: HttpRequest, model: type, form_class: type, *, pk: int | None,
          capability: Capability, create: dict[str, Any] | None, done: str,
          title: str, form_kwargs: dict[str, Any] | None = None,
          scope: Any = None) -> HttpResponse:
    """The one edit page of the residents' part and the plan: 409 stale, 400 refused."""
    obj = None
    if pk is not None:
        obj = scope.filter(pk=pk).first() if scope is not None else None
        if obj is None:
            raise Http404
    if obj is not None and request.method == "GET" and model in (Resident, Stay,
                                                                   WaitingListEntry):
        audit(request.user, AuditAction.READ_RESIDENTS, model.audit_type, obj.pk,
              municipality_id=services.municipality_of(obj), detail=Note(gettext_noop("edit form")))
    form = form_class(request.POST or None, instance=obj, **(form_kwargs or {}))
    towns = None
    if obj is None and create is None:
        towns = _towns(request.user, capability)
        _with_town(form, towns)
    status = 200
    if request.method == "POST":
        def save(data: dict[str, Any]) -> Any:
            fields = services.SPECS[model][0]
            values = {k: data[k] for k in fields}
            extra = create if create is not None else (
                {} if obj else {"municipality_id": data["municipality"].id})
            return services.record_save(request.user, model, values, pk=pk,
                                        expected_version=data.get("version"), **extra)
        outcome = submit(form, save)
        if outcome.saved:
            return redirect(done(outcome.result) if callable(done) else done)
        status = outcome.status
    return render(request, "housing/record_form.html",
                  {"form": form, "title": title, "obj": obj}, status=status)


@access(Capability.VIEW_RESIDENTS, description="residents of protected flats with their "
                                                "current stay and fee (every read audited)")
def resident_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.resident_rows(request.user, q=request.GET.get("q", ""))
    return render(request, "housing/resident_list.html", {
        "rows": rows, "q": request.GET.get("q", ""),
        "can_edit": has_capability(request.user, Capability.EDIT_RESIDENTS)})


@access(Capability.VIEW_RESIDENTS, description="a resident: referral decisions, stays, the "
                                                "fee under the council's resolution (audited)")
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    data = selectors.resident_detail(request.user, pk)
    if data is None:
        raise Http404
    return render(request, "housing/resident_detail.html", data)


@access(Capability.EDIT_RESIDENTS, description="add or change a resident (optimistic locking)")
def resident_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(request, Resident, ResidentForm, pk=pk, capability=Capability.EDIT_RESIDENTS,
                 create=None, done=lambda r: reverse("housing:resident", args=[r.pk]),
                 title=str(_("Resident")),
                 scope=selectors.resident_queryset(request.user, Capability.EDIT_RESIDENTS))


@access(Capability.EDIT_RESIDENTS, description="add a stay on a referral decision")
def stay_new(request: HttpRequest, resident_pk: int) -> HttpResponse:
    resident = selectors.resident_queryset(request.user, Capability.EDIT_RESIDENTS).filter(
        pk=resident_pk).first()
    if resident is None:
        raise Http404
    flats = ProtectedFlat.objects.filter(municipality_id=resident.municipality_id)
    return _edit(request, Stay, StayForm, pk=None, capability=Capability.EDIT_RESIDENTS,
                 create={"resident": resident},
                 done=reverse("housing:resident", args=[resident.pk]),
                 title=str(_("New stay of %(name)s") % {"name": resident.full_name}),
                 form_kwargs={"flats": flats})


@access(Capability.EDIT_RESIDENTS, description="change a stay: dates, moving in and out "
                                                "(optimistic locking)")
def stay_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = Stay.objects.filter(resident__municipality_id__in=municipality_ids(
        request.user, Capability.EDIT_RESIDENTS)).select_related("resident", "flat")
    stay = scope.filter(pk=pk).first()
    if stay is None:
        raise Http404
    flats = ProtectedFlat.objects.filter(municipality_id=stay.resident.municipality_id)
    return _edit(request, Stay, StayForm, pk=pk, capability=Capability.EDIT_RESIDENTS,
                 create={}, done=reverse("housing:resident", args=[stay.resident_id]),
                 title=str(_("Stay")), form_kwargs={"flats": flats}, scope=scope)


@access(Capability.VIEW_RESIDENTS, description="the waiting list in the order of the "
                                                "resolution's criteria (audited)")
def waiting(request: HttpRequest) -> HttpResponse:
    return render(request, "housing/waiting_list.html", {
        "rows": selectors.waiting_list(request.user, kind=request.GET.get("kind", "")),
        "can_edit": has_capability(request.user, Capability.EDIT_RESIDENTS)})


@access(Capability.EDIT_RESIDENTS, description="put a resident on the waiting list")
def waiting_new(request: HttpRequest, resident_pk: int) -> HttpResponse:
    resident = selectors.resident_queryset(request.user, Capability.EDIT_RESIDENTS).filter(
        pk=resident_pk).first()
    if resident is None:
        raise Http404
    return _edit(request, WaitingListEntry, WaitingForm, pk=None,
                 capability=Capability.EDIT_RESIDENTS, create={"resident": resident},
                 done=reverse("housing:waiting"), title=str(_("Waiting list")))


@access(Capability.EDIT_RESIDENTS, description="change a waiting-list entry (optimistic "
                                                "locking)")
def waiting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = WaitingListEntry.objects.filter(resident__municipality_id__in=municipality_ids(
        request.user, Capability.EDIT_RESIDENTS))
    return _edit(request, WaitingListEntry, WaitingForm, pk=pk,
                 capability=Capability.EDIT_RESIDENTS, create={},
                 done=reverse("housing:waiting"), title=str(_("Waiting list")), scope=scope)


# --- the plan (counts only) ---------------------------------------------------------------------

def _plan_args(request: HttpRequest) -> tuple[Any, int]:
    towns = _towns(request.user, Capability.VIEW_HOUSING)
    raw = request.GET.get("municipality", "")
    town = towns.filter(pk=raw).first() if raw.isdigit() else towns.first()
    if town is None:
        raise Http404
    year_raw = request.GET.get("year", "")
    if year_raw and not (year_raw.isdigit() and 2000 <= int(year_raw) <= 2100):
        raise BadRequest(_("year must be a number between 2000 and 2100"))
    return town, int(year_raw) if year_raw else date.today().year


@access(Capability.VIEW_HOUSING, description="the protected-housing plan: the centre's demand "
                                              "against flats in use and candidate municipal "
                                              "flats, on a map, with adaptation costs "
                                              "(counts only)")
def plan(request: HttpRequest) -> HttpResponse:
    town, year = _plan_args(request)
    data = selectors.plan(request.user, town.id, year)
    return render(request, "housing/plan.html", {
        **data, "town": town, "towns": _towns(request.user, Capability.VIEW_HOUSING),
        "plots": [r["flat"].cadastral_id for r in data["flats"]],
        "candidate_plots": [c["candidate"].cadastral_id for c in data["candidates"]],
        "can_edit_demand": has_capability(request.user, Capability.EDIT_RESIDENTS, town.id),
        "can_edit_candidates": has_capability(request.user, Capability.EDIT_HOUSING, town.id)})


@access(Capability.VIEW_HOUSING, description="the protected-housing plan as a PDF for the "
                                              "council")
def plan_pdf(request: HttpRequest) -> HttpResponse:
    from registers.housing.pdf import render_plan

    town, year = _plan_args(request)
    data = selectors.plan(request.user, town.id, year)
    response = HttpResponse(render_plan(town, data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="housing-plan-{year}.pdf"'
    return response


@access(Capability.EDIT_RESIDENTS, description="the centre's demand for places (optimistic "
                                                "locking)")
def demand_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = Demand.objects.filter(municipality_id__in=municipality_ids(
        request.user, Capability.EDIT_RESIDENTS))
    return _edit(request, Demand, DemandForm, pk=pk, capability=Capability.EDIT_RESIDENTS,
                 create=None, done=reverse("housing:plan"), title=str(_("Demand for places")),
                 scope=scope)


@access(Capability.EDIT_HOUSING, description="a candidate municipal flat for the plan "
                                              "(optimistic locking)")
def candidate_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = Candidate.objects.filter(municipality_id__in=municipality_ids(
        request.user, Capability.EDIT_HOUSING))
    return _edit(request, Candidate, CandidateForm, pk=pk, capability=Capability.EDIT_HOUSING,
                 create=None, done=reverse("housing:plan"), title=str(_("Candidate flat")),
                 scope=scope)
