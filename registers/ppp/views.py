"""Pages of the PPP register for the property officer: thin views over selectors (reads) and
services (changes). Reading needs VIEW_LEASES (the property register's readers), changing
EDIT_LEASES (the property officer) in the project's municipality."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from gis_app.accounts.access import access, has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.params import id_param
from layers.exports import EXPORT_FORMATS, write_table
from layers.models import Municipality
from registers.common.editing import INVALID_STATUS, submit
from registers.leases.models import InvestmentOffer
from registers.ppp import pdf, selectors, services
from registers.ppp.forms import (
    CASHFLOW_FIELDS,
    CashflowFormSet,
    MilestoneForm,
    ObligationForm,
    ProjectForm,
    WorksheetForm,
)
from registers.ppp.models import STAGE_CHOICES, PppMilestone, PppProject

PROJECT_COLUMNS = [
    ("title", _l("title")), ("municipality", _l("municipality")), ("stage", _l("stage")),
    ("route", _l("selection route")), ("cadastral_ids", _l("plots")),
    ("partner_name", _l("private partner")), ("open_for_partners", _l("open for partners")),
    ("contact", _l("contact")), ("next_deadline", _l("next deadline")),
]


def _export(request: HttpRequest, rows: list[dict[str, Any]], columns: list[tuple[str, Any]],
            name: str) -> HttpResponse | None:
    fmt = request.GET.get("export", "")
    if not fmt:
        return None
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(_("Unknown export format %(fmt)s; use csv or xlsx.") % {"fmt": fmt},
                            status=400, content_type="text/plain; charset=utf-8")
    data, mime = write_table(rows, [(k, str(label)) for k, label in columns], fmt)
    for mid in sorted(municipality_ids(request.user, Capability.VIEW_LEASES)):
        audit(request.user, AuditAction.EXPORT, "ppp_project", "", municipality_id=mid,
              detail=Note(gettext_noop("%(format)s, rows: %(count)s, %(path)s"),
                          format=fmt.upper(), count=len(rows), path=request.get_full_path()))
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@access(Capability.VIEW_LEASES, description="PPP projects: list by stage and route, reminders "
                                             "of deadlines, obligations and payments, map, "
                                             "CSV/XLSX export")
def project_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    projects = list(selectors.project_list(
        request.user, stage=g.get("stage", ""), route=g.get("route", ""), q=g.get("q", ""),
        municipality_id=id_param(request, "municipality")).prefetch_related(
        Prefetch("milestones", queryset=PppMilestone.objects.order_by("due_on", "id")))[:2000])
    reminders = selectors.reminders(projects)
    rows = []
    for p in projects:
        pending = [m.due_on for m in p.milestones.all() if m.done_on is None and m.due_on]
        rows.append({"id": p.id, "title": p.title, "municipality": p.municipality.name,
                     "stage": p.get_stage_display(), "stage_code": p.stage,
                     "route": p.get_route_display(), "cadastral_ids": p.cadastral_ids,
                     "partner_name": p.partner_name, "open_for_partners": p.open_for_partners,
                     "contact": p.contact, "next_deadline": min(pending) if pending else None})
    exported = _export(request, rows, PROJECT_COLUMNS, "ppp-projects")
    if exported:
        return exported
    return render(request, "ppp/project_list.html", {
        "rows": rows, "reminders": reminders, "filters": g, "stages": STAGE_CHOICES,
        "routes": PppProject.Route.choices,
        "municipalities": Municipality.objects.filter(
            id__in=municipality_ids(request.user, Capability.VIEW_LEASES)),
        "can_edit": bool(municipality_ids(request.user, Capability.EDIT_LEASES)),
    })


def _form_page(request: HttpRequest, form: ProjectForm, project: PppProject | None,
               status: int = 200) -> HttpResponse:
    return render(request, "ppp/project_form.html", {"form": form, "project": project},
                  status=status)


@access(Capability.EDIT_LEASES, description="new PPP project on municipal plots (from the "
                                             "investment offer or the property register)")
def project_new(request: HttpRequest) -> HttpResponse:
    towns = Municipality.objects.filter(id__in=municipality_ids(request.user,
                                                                 Capability.EDIT_LEASES))
    initial = {}
    offer_id = id_param(request, "offer")
    offer = InvestmentOffer.objects.filter(pk=offer_id, municipality__in=towns).first() \
        if offer_id else None
    if offer is not None:  # "Start a PPP project" from the investment offer
        initial.update(offer=offer.pk, municipality=offer.municipality_id, title=offer.title)
    form = ProjectForm(request.POST or None, initial=initial, municipalities=towns)
    if request.method != "POST":
        return _form_page(request, form, None)

    def save(cleaned: dict[str, Any]) -> PppProject:
        data = form.project_data()
        data["municipality_id"] = cleaned["municipality"].id
        return services.project_save(request.user, data)

    outcome = submit(form, save)
    if outcome.saved:
        return redirect("ppp:project_detail", pk=outcome.result.pk)
    return _form_page(request, form, None, outcome.status)


def _editable(request: HttpRequest, pk: int) -> PppProject:
    project = selectors.project_get(request.user, pk, Capability.EDIT_LEASES)
    if project is None:
        if selectors.project_get(request.user, pk) is not None:
            raise PermissionDenied(_("You may read this project but not edit it."))
        raise Http404
    return project


@access(Capability.EDIT_LEASES, description="edit a PPP project: stage, route, partner, "
                                             "payments (optimistic locking: a stale save is "
                                             "refused, 409)")
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _editable(request, pk)
    towns = Municipality.objects.filter(pk=project.municipality_id)
    if request.method != "POST":
        return _form_page(request, ProjectForm(instance=project, municipalities=towns), project)
    form = ProjectForm(request.POST, instance=PppProject.objects.get(pk=pk),
                       municipalities=towns)

    def save(cleaned: dict[str, Any]) -> PppProject:
        data = form.project_data()
        data["municipality_id"] = project.municipality_id
        return services.project_save(request.user, data, pk,
                                     expected_version=cleaned["version"])

    outcome = submit(form, save)
    if outcome.saved:
        return redirect("ppp:project_detail", pk=pk)
    return _form_page(request, form, project, outcome.status)


@access(Capability.VIEW_LEASES, description="a PPP project: plots on the map, stage documents "
                                             "and deadlines, the preliminary assessment, the "
                                             "obligations and the indexed payment schedule")
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get(request.user, pk)
    if project is None:
        raise Http404
    schedule = selectors.payment_schedule(project)
    columns = [("year", _("year")), ("rent_per_period", _("payment per period")),
               ("months", _("months")), ("net", _("net")), ("vat", _("VAT")),
               ("gross", _("gross")), ("index_applied", _("index applied"))]
    exported = _export(request, [r.__dict__ for r in schedule], columns,
                       f"ppp-payments-{project.pk}")
    if exported:
        return exported
    can_edit = has_capability(request.user, Capability.EDIT_LEASES, project.municipality_id)
    return render(request, "ppp/project_detail.html", {
        "project": project, "schedule": schedule,
        "assessment": selectors.assessment(project),
        "milestones": project.milestones.order_by("due_on", "id"),
        "obligations": project.obligations.all(),
        "reminders": selectors.reminders([project]),
        "can_edit": can_edit,
        "milestone_form": MilestoneForm(initial={"stage": project.stage}) if can_edit else None,
        "obligation_form": ObligationForm() if can_edit else None,
    })


def _worksheet_page(request: HttpRequest, project: PppProject, form: WorksheetForm,
                    formset: Any, status: int = 200) -> HttpResponse:
    return render(request, "ppp/worksheet.html", {
        "project": project, "form": form, "formset": formset, "fields": CASHFLOW_FIELDS,
        "assessment": selectors.assessment(project)}, status=status)


@access(Capability.EDIT_LEASES, description="the preliminary assessment's worksheet: costs, "
                                             "revenues, discount rate, risk matrix (optimistic "
                                             "locking, 409)")
def worksheet(request: HttpRequest, pk: int) -> HttpResponse:
    project = _editable(request, pk)
    if request.method != "POST":
        initial = [{f: getattr(c, f) for f in CASHFLOW_FIELDS}
                   for c in project.cashflows.order_by("year_index")] or [{}]
        return _worksheet_page(request, project, WorksheetForm(instance=project),
                               CashflowFormSet(initial=initial, prefix="years"))
    form = WorksheetForm(request.POST, instance=PppProject.objects.get(pk=pk))
    formset = CashflowFormSet(request.POST, prefix="years")
    if not formset.is_valid():
        form.is_valid()
        return _worksheet_page(request, project, form, formset, INVALID_STATUS)

    def save(cleaned: dict[str, Any]) -> PppProject:
        years = [f.cleaned_data for f in formset.forms
                 if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        params = {k: cleaned[k] for k in WorksheetForm.Meta.fields}
        return services.worksheet_save(request.user, pk, cleaned["version"], params, years)

    outcome = submit(form, save)
    if outcome.saved:
        return redirect("ppp:project_detail", pk=pk)
    return _worksheet_page(request, project, form, formset, outcome.status)


@access(Capability.VIEW_LEASES, description="the preliminary assessment as a PDF annex")
def assessment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get(request.user, pk)
    if project is None:
        raise Http404
    data = pdf.render(project, selectors.assessment(project))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ppp-{project.pk}-ocena.pdf"'
    return response


def _add(request: HttpRequest, pk: int, form_class: Any, add: Any) -> HttpResponse:
    project = _editable(request, pk)
    form = form_class(request.POST)
    outcome = submit(form, lambda cleaned: add(request.user, project, cleaned))
    if outcome.saved:
        return redirect("ppp:project_detail", pk=pk)
    return HttpResponse("; ".join(outcome.messages or [
        f"{k}: {' '.join(v)}" for k, v in form.errors.items()]), status=outcome.status,
        content_type="text/plain; charset=utf-8")


@require_POST
@access(Capability.EDIT_LEASES, description="add a stage's document or deadline to a project")
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(request, pk, MilestoneForm, services.milestone_add)


@require_POST
@access(Capability.EDIT_LEASES, description="add an obligation of the PPP contract (partner's "
                                             "or municipality's, with its frequency)")
def obligation_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(request, pk, ObligationForm, services.obligation_add)
