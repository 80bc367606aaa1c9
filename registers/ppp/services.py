"""Writes of the PPP register: checked against rules.py, in transactions, audited, through the
editing kernel (optimistic locking on the project's version)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note
from registers.common.editing import (
    StaleEditError,
    audit_change,
    locked_update,
    require_capability,
    snapshot,
)
from registers.leases.models import InvestmentOffer
from registers.leases.selectors import municipal_parcels
from registers.leases.services import plots_union
from registers.ppp import rules
from registers.ppp.models import PppCashflow, PppMilestone, PppObligation, PppProject

__all__ = ["StaleEditError", "milestone_add", "obligation_add", "project_save", "worksheet_save"]

PROJECT_FIELDS = [
    "title", "description", "cadastral_ids", "source", "offer", "stage", "route",
    "open_for_partners", "contact", "partner_name", "partner_tax_id", "contract_number",
    "contract_date", "operation_start", "operation_end", "payment_amount", "payment_period",
    "vat_rate", "indexation", "notes",
]
WORKSHEET_FIELDS = ["discount_rate", "public_keeps_user_fees", "construction_bearer",
                    "availability_bearer", "demand_bearer", "public_share"]
CASHFLOW_FIELDS = ["capex", "opex", "user_fees", "availability_payment", "public_contribution",
                   "risk_construction", "risk_availability", "risk_demand"]


def _stale() -> str:
    return _("Someone else saved this PPP project after you opened it. Reload the page to see "
             "their changes, then edit again.")


def _require_edit(user: Any, municipality_id: int) -> None:
    require_capability(user, Capability.EDIT_LEASES, municipality_id,
                       _("You may not edit PPP projects of this municipality."))


def _check_plots(project: PppProject) -> None:
    """The plots are the offer's (when the project comes from the investment offer) or
    municipal by the property register; anything else is named."""
    if not project.cadastral_ids:
        raise ValidationError({"cadastral_ids": _("Give at least one plot.")})
    if project.offer_id is not None:
        offer = InvestmentOffer.objects.filter(pk=project.offer_id).first()
        if offer is None or offer.municipality_id != project.municipality_id:
            raise ValidationError({"offer": _("The offer belongs to another municipality.")})
        outside = sorted(set(project.cadastral_ids) - set(offer.cadastral_ids))
        if outside:
            raise ValidationError({"cadastral_ids": _(
                "Not plots of the chosen investment offer: %(ids)s") % {"ids": ", ".join(outside)}})
        return
    municipal = set(municipal_parcels([project.municipality_id])
                    .filter(cadastral_id__in=project.cadastral_ids)
                    .values_list("cadastral_id", flat=True))
    other = sorted(set(project.cadastral_ids) - municipal)
    if other:
        raise ValidationError({"cadastral_ids": _(
            "Not municipal plots by the property register: %(ids)s") % {"ids": ", ".join(other)}})


def _check_stage(project: PppProject) -> None:
    problems = rules.stage_issues(project.stage, route=project.route,
                                  has_partner=bool(project.partner_name.strip()),
                                  has_assessment=project.pk is not None
                                  and project.cashflows.exists())
    messages = {
        "choose the selection route before the partner's selection":
            _("Choose the selection route before the partner's selection."),
        "fill in the preliminary assessment before the partner's selection":
            _("Fill in the preliminary assessment before the partner's selection."),
        "name the partner before the contract stage":
            _("Name the partner before the contract stage."),
    }
    if problems:
        raise ValidationError({"stage": [messages[p] for p in problems]})


def project_save(user: Any, data: dict[str, Any], project_id: int | None = None, *,
                 expected_version: int | None = None) -> PppProject:
    """Create or change a project; its area is the union of its plots. A change needs the
    version the officer's form was built from (a colleague's save in between: 409)."""
    _require_edit(user, data["municipality_id"])
    with transaction.atomic():
        project = PppProject()
        before = None
        if project_id is not None:
            project = locked_update(PppProject.objects.filter(pk=project_id), expected_version,
                                    stale=_stale(), gone=_("The project no longer exists."))
            if project.municipality_id != data["municipality_id"]:
                raise ValidationError(_("The project belongs to another municipality."))
            before = snapshot(project, [*PROJECT_FIELDS, "version"])
            project.bump()
        for key, value in data.items():
            if key == "version":
                raise ValueError("the version is the service's to set")
            setattr(project, key, value)
        if project.offer_id and not project.cadastral_ids:
            project.cadastral_ids = list(project.offer.cadastral_ids)
        if project.offer_id:
            project.source = PppProject.Source.OFFER
        _check_plots(project)
        _check_stage(project)
        project.geom = plots_union(project.municipality_id, project.cadastral_ids)
        project.full_clean(exclude=["municipality", "geom", "offer"])
        project.save()
        audit_change(user, project, before, snapshot(project, [*PROJECT_FIELDS, "version"]),
                     municipality_id=project.municipality_id)
    return project


def worksheet_save(user: Any, project_id: int, expected_version: int | None,
                   params: dict[str, Any], years: list[dict[str, Decimal]]) -> PppProject:
    """Replace the preliminary assessment's worksheet (its parameters and yearly figures).
    The risk matrix must name a bearer for each risk (rules.classify); the discount rate is
    the project's parameter."""
    with transaction.atomic():
        project = locked_update(PppProject.objects.filter(pk=project_id), expected_version,
                                stale=_stale(), gone=_("The project no longer exists."))
        _require_edit(user, project.municipality_id)
        if not years:
            raise ValidationError(_("The worksheet needs at least one year."))
        if Decimal(params["discount_rate"]) <= -1:
            raise ValidationError({"discount_rate": _("The discount rate must be above -1.")})
        before = snapshot(project, [*WORKSHEET_FIELDS, "version"])
        before["years"] = [[str(getattr(c, f)) for f in CASHFLOW_FIELDS]
                           for c in project.cashflows.order_by("year_index")]
        for key in WORKSHEET_FIELDS:
            setattr(project, key, params[key])
        project.bump()
        project.full_clean(exclude=["municipality", "geom", "offer"])
        project.save()
        project.cashflows.all().delete()
        PppCashflow.objects.bulk_create(
            PppCashflow(project=project, year_index=i, **{f: row.get(f) or 0
                                                          for f in CASHFLOW_FIELDS})
            for i, row in enumerate(years))
        after = snapshot(project, [*WORKSHEET_FIELDS, "version"])
        after["years"] = [[str(row.get(f) or 0) for f in CASHFLOW_FIELDS] for row in years]
        audit_change(user, project, before, after, municipality_id=project.municipality_id,
                     detail=Note(gettext_noop("preliminary assessment")))
    return project


def _add_part(user: Any, project: PppProject, part: Any, kind: str) -> Any:
    _require_edit(user, project.municipality_id)
    with transaction.atomic():
        part.full_clean(exclude=["project"])
        part.save()
        fields = [f.name for f in part._meta.fields if f.name not in ("id", "project")]
        audit_change(user, part, None, snapshot(part, fields), object_type=kind,
                     municipality_id=project.municipality_id,
                     detail=Note(gettext_noop("project %(project)s"),
                                 project=project.pk))
    return part


def milestone_add(user: Any, project: PppProject, data: dict[str, Any]) -> PppMilestone:
    """Add a stage's document or deadline to the project."""
    return _add_part(user, project, PppMilestone(project=project, **data), "ppp_milestone")


def obligation_add(user: Any, project: PppProject, data: dict[str, Any]) -> PppObligation:
    """Add a dated obligation of the contract (the partner's or the municipality's)."""
    return _add_part(user, project, PppObligation(project=project, **data), "ppp_obligation")

