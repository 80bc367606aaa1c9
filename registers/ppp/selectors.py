"""Reads of the PPP register, scoped to the towns where the user may read the property
register (VIEW_LEASES): the list, a project with its worksheet's comparison, the payment
schedule with indexation (the leases' rules and price-index table) and the reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from registers.leases.rules import PERIODS_PER_YEAR, RentPeriod, RentYear, rent_schedule
from registers.leases.selectors import price_index_table
from registers.ppp import parameters, rules
from registers.ppp.models import PppObligation, PppProject


def project_queryset(user: Any, capability: Capability = Capability.VIEW_LEASES
                     ) -> QuerySet[PppProject]:
    return (PppProject.objects.filter(municipality_id__in=municipality_ids(user, capability))
            .select_related("municipality").defer("geom"))


def project_get(user: Any, pk: int, capability: Capability = Capability.VIEW_LEASES
                ) -> PppProject | None:
    return project_queryset(user, capability).filter(pk=pk).first()


def project_list(user: Any, *, stage: str = "", route: str = "", q: str = "",
                 municipality_id: int | None = None) -> QuerySet[PppProject]:
    qs = project_queryset(user)
    if stage:
        qs = qs.filter(stage=stage)
    if route:
        qs = qs.filter(route=route)
    if q:
        qs = qs.filter(title__icontains=q) | qs.filter(cadastral_ids__contains=[q.strip()])
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    return qs.order_by("municipality__name", "title", "id")


def open_projects() -> QuerySet[PppProject]:
    """Projects open for partners: public (title, plots, stage, route, contact only)."""
    return (PppProject.objects.filter(open_for_partners=True)
            .exclude(stage__in=[rules.Stage.OPERATION, rules.Stage.CLOSED])
            .select_related("municipality").defer("geom").order_by("municipality__name", "title"))


def card_section(user: Any, parcel: Any) -> dict[str, Any] | None:
    """The parcel card's PPP section: the projects on the plot (every one, with its stage and
    partner, for the property register's readers; the open ones with their contact for
    anyone), or None when there is none to show."""
    qs = (PppProject.objects.filter(municipality_id=parcel.municipality_id,
                                    cadastral_ids__contains=[parcel.cadastral_id])
          .defer("geom").order_by("title", "id"))
    staff = has_capability(user, Capability.VIEW_LEASES, parcel.municipality_id)
    if not staff:
        qs = qs.filter(open_for_partners=True).exclude(
            stage__in=[rules.Stage.OPERATION, rules.Stage.CLOSED])
    projects = [{"id": p.id, "title": p.title, "stage": p.get_stage_display(),
                 "route": p.get_route_display(), "contact": p.contact,
                 "partner_name": p.partner_name if staff else ""} for p in qs[:20]]
    if not projects:
        return None
    return {"staff": staff, "projects": projects, "cadastral_id": parcel.cadastral_id}


# --- the preliminary assessment ----------------------------------------------------------------


def worksheet(project: PppProject) -> tuple[list[rules.Year], list[rules.RiskItem]]:
    """The project's worksheet as the rules' inputs (years and the risk matrix)."""
    rows = list(project.cashflows.order_by("year_index"))
    years = [rules.Year(capex=r.capex, opex=r.opex, user_fees=r.user_fees,
                        availability_payment=r.availability_payment,
                        public_contribution=r.public_contribution) for r in rows]
    risks = []
    for risk, bearer, attr in ((rules.Risk.CONSTRUCTION, project.construction_bearer,
                                "risk_construction"),
                               (rules.Risk.AVAILABILITY, project.availability_bearer,
                                "risk_availability"),
                               (rules.Risk.DEMAND, project.demand_bearer, "risk_demand")):
        risks.append(rules.RiskItem(risk, rules.Bearer(bearer),
                                    tuple(getattr(r, attr) for r in rows),
                                    public_share=project.public_share))
    return years, risks


@dataclass(frozen=True)
class Assessment:
    comparison: rules.Comparison | None
    classification: rules.Classification
    years: list[dict[str, Any]]
    risks: list[rules.RiskItem]


def assessment(project: PppProject) -> Assessment:
    """The comparator, value for money and the classification of the project's worksheet."""
    years, risks = worksheet(project)
    comparison = None
    if years:
        comparison = rules.compare(years, project.discount_rate, risks,
                                   public_keeps_user_fees=project.public_keeps_user_fees)
    rows = []
    for t, row in enumerate(project.cashflows.order_by("year_index")):
        factor = rules.discount_factor(project.discount_rate, t)
        rows.append({"year": t, "row": row,
                     "factor": factor.quantize(Decimal("0.0001")),
                     "psc": comparison.psc_flows[t] if comparison else None,
                     "ppp": comparison.ppp_flows[t] if comparison else None})
    return Assessment(comparison, rules.risk_matrix(risks), rows, risks)


# --- operation: the payment schedule and the reminders -----------------------------------------


def payment_schedule(project: PppProject, until_year: int | None = None) -> list[RentYear]:
    """The municipality's yearly payments to the partner, indexed like a lease's rent."""
    if project.operation_start is None or not project.payment_amount:
        return []
    until = until_year or (date.today().year + 1)
    return rent_schedule(amount=project.payment_amount, period=project.payment_period,
                         vat_rate_percent=project.vat_rate, start=project.operation_start,
                         end=project.operation_end, method=project.indexation,
                         index_table=price_index_table(),
                         until_year=until if project.operation_end is None else None)


PAYMENT_FREQUENCY = {RentPeriod.MONTHLY: rules.Frequency.MONTHLY,
                     RentPeriod.QUARTERLY: rules.Frequency.QUARTERLY,
                     RentPeriod.YEARLY: rules.Frequency.YEARLY}


@dataclass(frozen=True)
class Reminder:
    project_id: int
    project: str
    municipality: str
    kind: str  # "deadline", "obligation", "payment"
    title: str
    party: str
    due_on: date
    overdue: bool
    amount: Decimal | None = None


def reminders(projects: QuerySet[PppProject] | list[PppProject], today: date | None = None,
              days: int = parameters.REMIND_DAYS) -> list[Reminder]:
    """What falls due within ``days`` (and stage deadlines already missed): the stages'
    deadlines not done, the contract's obligations and the municipality's payments (due at
    the start of each period, the year's indexed amount)."""
    from django.utils.translation import gettext as _

    today = today or date.today()
    projects = list(projects)
    by_id = {p.id: p for p in projects}
    out: list[Reminder] = []
    for p in projects:
        for m in p.milestones.all():
            if m.done_on is None and m.due_on is not None and (
                    m.due_on < today or rules.due_within(m.due_on, today, days)):
                out.append(Reminder(p.id, p.title, p.municipality.name, "deadline", m.title,
                                    m.get_stage_display(), m.due_on, m.due_on < today))
        if p.stage == rules.Stage.OPERATION and p.operation_start and p.payment_amount:
            due = rules.next_due(p.operation_start, PAYMENT_FREQUENCY[RentPeriod(p.payment_period)],
                                 today, last=p.operation_end)
            if rules.due_within(due, today, days):
                schedule = {r.year: r for r in payment_schedule(p, until_year=due.year)}
                amount = schedule[due.year].rent_per_period if due.year in schedule else None
                out.append(Reminder(p.id, p.title, p.municipality.name, "payment",
                                    _("availability payment"), _("municipality"), due, False,
                                    amount))
    obligations = PppObligation.objects.filter(project_id__in=list(by_id))
    for o in obligations:
        p = by_id[o.project_id]
        due = rules.next_due(o.first_due, o.frequency, today, last=o.last_due)
        if rules.due_within(due, today, days):
            out.append(Reminder(p.id, p.title, p.municipality.name, "obligation", o.title,
                                o.get_party_display(), due, False))
    return sorted(out, key=lambda r: (r.due_on, r.project, r.title))


def payments_per_year(project: PppProject) -> int:
    return PERIODS_PER_YEAR[RentPeriod(project.payment_period)]
