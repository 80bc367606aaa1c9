"""Tax decisions: the assessment of a taxpayer's year, the register of decisions, amending
decisions and the batch for a whole roll.

Who gets a decision: natural persons (art. 6 ust. 6–7 UPOL, art. 6a UPR, art. 6 UPL; the
obligation arises on delivery, art. 21 § 1 pkt 2 Ordynacji podatkowej). Companies declare and
pay by themselves (DN-1, IR-1, IL-1): they are not in the batch, and issuing one a decision is
refused. A natural person who pays two or three of the taxes in the municipality gets one
combined decision (łączne zobowiązanie pieniężne, art. 6c UPOL).

The numbers come from the pure rules (``rules.py``); the computation runs over chunks of
taxpayers with a fixed number of queries per chunk, so the batch keeps its memory flat and its
time proportional to the number of taxpayers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers.domain.calendar import next_working_day
from registers.common.editing import StaleEditError
from registers.taxes import rules
from registers.taxes.models import (
    Decision,
    DecisionBatch,
    DecisionInstalment,
    DecisionSequence,
    RuralLandObject,
    TaxObject,
    TaxOfficeSettings,
    Taxpayer,
)
from registers.taxes.services import (
    conversion_factors,
    object_base,
    object_line,
    parameters_for,
    rates_for,
    resolution_for,
)
from registers.taxes.signals import decision_issued, decisions_issued

log = logging.getLogger(__name__)
ZERO = Decimal("0")
HA = Decimal("10000")

UNIT = {"land": "m²", "building": "m²", "structure": "zł"}
#: A decision is an administrative act addressed to a Polish taxpayer: its text (object
#: descriptions, reasons) is Polish whatever language the officer's UI speaks.
DECISION_LANGUAGE = "pl"


# ---------------------------------------------------------------------------------------------
# The year's context and the assessment of one taxpayer


@dataclass
class YearContext:
    """What the assessment of one municipality's year needs, read once."""

    municipality_id: int
    year: int
    rates: dict[tuple[str, str], Decimal]
    threshold: Decimal
    rye_price: Decimal | None
    timber_price: Decimal | None
    factors: dict[tuple[str, str, str], Decimal]
    district: str
    resolution_number: str

    @classmethod
    def load(cls, municipality_id: int, year: int) -> YearContext:
        params = parameters_for(year)
        office = TaxOfficeSettings.objects.filter(municipality_id=municipality_id).first()
        resolution = resolution_for(municipality_id, year)
        return cls(municipality_id=municipality_id, year=year,
                   rates=rates_for(municipality_id, year), threshold=params.minimum_threshold,
                   rye_price=params.rye_price_per_dt, timber_price=params.timber_price_per_m3,
                   factors=conversion_factors(), district=office.district if office else "",
                   resolution_number=resolution.number if resolution else "")


@dataclass
class Assessment:
    """A taxpayer's year: the taxes, their lines as the decision prints them, the total and the
    instalments (due dates already on working days)."""

    taxpayer: Taxpayer
    year: int
    kind: str  # Decision.TaxKind value
    parts: dict[str, Decimal]  # tax → whole złoty
    total: Decimal
    below_threshold: bool
    lines: list[dict[str, Any]] = field(default_factory=list)
    instalments: list[tuple[date, Decimal]] = field(default_factory=list)
    first_month: int = 1
    farm: bool | None = None


def _s(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def assess(taxpayer: Taxpayer, ctx: YearContext, objects: Iterable[TaxObject],
           rural: Iterable[RuralLandObject]) -> Assessment:
    """The taxpayer's assessment from its objects (pure rules; no query here)."""
    year, lines, firsts = ctx.year, [], []
    prop_lines = []
    for obj in objects:
        line = object_line(obj, year, ctx.rates)
        if line is None:
            continue
        prop_lines.append(line)
        firsts.append(rules.obligation_first_month(year, obj.arose_on, obj.arose_event or None,
                                                   obj.ceased_on))
        lines.append({
            "tax": "property", "object": obj.get_kind_display(), "category": obj.category,
            "description": rules.CATEGORY_LABELS[obj.category],
            "cadastral_id": obj.cadastral_id, "building_id": obj.building_id,
            "base": _s(object_base(obj)), "unit": UNIT[obj.kind], "rate": _s(line.rate),
            "rate_unit": rules.category_unit(obj.category), "months": line.months,
            "exempt": line.exempt, "basis": obj.exemption_basis if obj.exempt else "",
            "amount": _s(line.amount)})
    parts: dict[str, Decimal] = {}
    if prop_lines:
        parts["property"] = sum((x.amount for x in prop_lines), ZERO)
    agri_in, forest_in, rural_by_id = [], [], {}
    for r in rural:
        months = rules.obligation_months(year, r.arose_on, r.ceased_on)
        if months == 0:
            continue
        rural_by_id[r.pk] = r
        firsts.append(rules.obligation_first_month(year, r.arose_on, None, r.ceased_on))
        basis = r.exemption_basis if r.exempt else ""
        if r.tax == RuralLandObject.Tax.AGRICULTURAL:
            agri_in.append(rules.RuralLine(r.pk, r.ofu, r.soil_class, r.area_ha, months, basis))
        else:
            forest_in.append(rules.ForestLine(r.pk, r.area_ha, r.reserve, r.young_stand, months,
                                              basis))
    farm = None
    if agri_in:
        if ctx.rye_price is None:
            raise ValidationError(f"no rye price for {year}: add it to the yearly parameters")
        agri = rules.agricultural_liability(agri_in, ctx.rye_price, ctx.factors, ctx.district)
        farm = agri.farm
        per_ha = ctx.rye_price * (rules.RYE_DT_PER_CONVERSION_HA_FARM if agri.farm
                                  else rules.RYE_DT_PER_HA_OTHER)
        for res in agri.lines:
            obj = rural_by_id[res.line.object_id]
            lines.append({
                "tax": "agricultural", "object": obj.ofu + obj.soil_class,
                "category": obj.ofu, "description": gettext("farmland") if agri.farm
                else gettext("farmland (not a farm)"),
                "cadastral_id": obj.cadastral_id, "building_id": "",
                "base": _s(res.conversion_ha if agri.farm else res.line.area_ha),
                "unit": "ha przel." if agri.farm else "ha", "rate": _s(per_ha),
                "rate_unit": "zł/ha przel." if agri.farm else "zł/ha",
                "months": res.line.months, "exempt": res.exempt, "basis": res.basis,
                "amount": _s(res.amount)})
        parts["agricultural"] = agri.subtotal
    if forest_in:
        if ctx.timber_price is None:
            raise ValidationError(f"no timber price for {year}: add it to the yearly parameters")
        forest = rules.forest_liability(forest_in, ctx.timber_price)
        for res in forest.lines:
            obj = rural_by_id[res.line.object_id]
            rate = rules.TIMBER_M3_PER_HA * ctx.timber_price / (2 if obj.reserve else 1)
            lines.append({
                "tax": "forest", "object": "Ls", "category": "Ls",
                "description": gettext("forest in a reserve or national park (half rate)")
                if obj.reserve else gettext("forest"),
                "cadastral_id": obj.cadastral_id, "building_id": "",
                "base": _s(res.line.area_ha), "unit": "ha",
                "rate": _s(rules.round_grosz(rate)), "rate_unit": "zł/ha",
                "months": res.line.months, "exempt": res.exempt, "basis": res.basis,
                "amount": _s(res.amount)})
        parts["forest"] = forest.subtotal
    combined = rules.combined_liability(parts, ctx.threshold)
    taxed = {k: v for k, v in combined.parts.items() if v > 0}
    kind = "combined" if len(taxed) > 1 else (next(iter(taxed)) if taxed else "property")
    first = min((m for m in firsts if m is not None), default=1)
    plan = rules.instalment_plan(combined.total, year, first_month=first)
    return Assessment(taxpayer=taxpayer, year=year, kind=kind, parts=taxed,
                      total=combined.total, below_threshold=combined.below_threshold,
                      lines=lines, instalments=plan, first_month=first, farm=farm)


def assessments(taxpayers: list[Taxpayer], ctx: YearContext) -> list[Assessment]:
    """Assess a chunk of taxpayers with two queries (their property and rural objects)."""
    ids = [t.pk for t in taxpayers]
    objs: dict[int, list[TaxObject]] = defaultdict(list)
    for o in TaxObject.objects.filter(taxpayer_id__in=ids).order_by("kind", "cadastral_id",
                                                                      "id"):
        objs[o.taxpayer_id].append(o)
    rural: dict[int, list[RuralLandObject]] = defaultdict(list)
    for r in RuralLandObject.objects.filter(taxpayer_id__in=ids).order_by("cadastral_id", "id"):
        rural[r.taxpayer_id].append(r)
    with translation.override(DECISION_LANGUAGE):  # what a decision says is in Polish
        return [assess(t, ctx, objs.get(t.pk, []), rural.get(t.pk, [])) for t in taxpayers]


def assess_one(user: Any, taxpayer: Taxpayer, year: int) -> Assessment:
    """One taxpayer's assessment (audited read)."""
    result = assessments([taxpayer], YearContext.load(taxpayer.municipality_id, year))[0]
    audit(user, AuditAction.READ_TAX, "taxes.taxpayer", taxpayer.pk,
          municipality_id=taxpayer.municipality_id,
          detail=Note(gettext_noop("assessment for %(year)s"), year=year))
    return result


# ---------------------------------------------------------------------------------------------
# Numbers, the signal


def _allocate_numbers(municipality_id: int, year: int, count: int) -> list[str]:
    """``count`` new decision numbers ``<prefix>.<year>.<seq>`` (row-locked sequence)."""
    prefix = (TaxOfficeSettings.objects.filter(municipality_id=municipality_id)
              .values_list("number_prefix", flat=True).first() or "FN.3120")
    seq, _created = DecisionSequence.objects.select_for_update().get_or_create(
        municipality_id=municipality_id, year=year)
    start = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return [f"{prefix}.{year}.{n:06d}" for n in range(start, start + count)]


def schedule_of(decision: Decision) -> list[tuple[int, date, Decimal]]:
    return [(i.number, i.due_date, i.amount) for i in decision.instalments.order_by("number")]


def payment_accounts(taxpayer_ids: Iterable[int]) -> dict[int, str]:
    """The taxpayers' individual account numbers (mikrorachunki) where one has been given.

    The payments register owns the accounts and declares the reverse relation
    ``Taxpayer.individual_account``; reading it through the ORM lets the decision print the
    number without the tax register importing the payments register (which listens to it)."""
    return dict(Taxpayer.objects.filter(pk__in=list(taxpayer_ids),
                                        individual_account__isnull=False)
                .values_list("pk", "individual_account__nrb"))


def _send_on_commit(decision: Decision, schedule: list[tuple[int, date, Decimal]]) -> None:
    def send() -> None:
        decision_issued.send(
            sender=Decision, decision=decision, municipality_id=decision.municipality_id,
            taxpayer_id=decision.taxpayer_id, year=decision.year, tax_kind=decision.tax_kind,
            decision_number=decision.number, instalments=schedule)

    transaction.on_commit(send)


def _reason(a: Assessment, ctx: YearContext) -> str:
    with translation.override(DECISION_LANGUAGE):
        return _reason_text(a, ctx)


def _reason_text(a: Assessment, ctx: YearContext) -> str:
    text = gettext(
        "The taxpayer holds the objects listed above in the municipality in %(year)d. The tax "
        "was computed from the bases declared or established in the tax register, at the "
        "rates of council resolution %(resolution)s, for the months in which the obligation "
        "existed (art. 6 ust. 1–5 of the act on local taxes).") % {
        "year": a.year, "resolution": ctx.resolution_number or "—"}
    if a.kind == "combined":
        text += " " + gettext(
            "Because the taxpayer is a natural person liable to more than one of the property, "
            "agricultural and forest taxes, they are assessed as one combined liability "
            "(art. 6c of the act on local taxes).")
    if "agricultural" in a.parts:
        text += " " + (gettext(
            "The farmland forms a farm: the agricultural tax is 2.5 q of rye per conversion "
            "hectare in tax district %(district)s (art. 4 and 6 of the act on agricultural "
            "tax).") % {"district": ctx.district or "—"} if a.farm else gettext(
            "The farmland does not form a farm: the agricultural tax is 5 q of rye per "
            "hectare (art. 6 of the act on agricultural tax)."))
    return text


# ---------------------------------------------------------------------------------------------
# Issuing one decision; status changes; amendment


def _create(a: Assessment, ctx: YearContext, number: str, issued_on: date | None,
            status: str, user: Any, batch: DecisionBatch | None = None,
            amends: Decision | None = None, reason: str = "") -> Decision:
    decision = Decision.objects.create(
        municipality_id=ctx.municipality_id, taxpayer=a.taxpayer, year=a.year, tax_kind=a.kind,
        number=number, issued_on=issued_on, amount=a.total,
        parts={k: str(v) for k, v in a.parts.items()}, lines=a.lines, status=status,
        amends=amends, reason=reason or _reason(a, ctx), batch=batch,
        created_by=user if getattr(user, "is_authenticated", False) else None)
    DecisionInstalment.objects.bulk_create([
        DecisionInstalment(decision=decision, number=n, due_date=d, amount=amt)
        for n, (d, amt) in enumerate(a.instalments, 1)])
    return decision


def _check_assessable(a: Assessment) -> None:
    if a.taxpayer.legal_person:
        raise ValidationError(gettext(
            "%(name)s is a company: it declares and pays its taxes itself (DN-1, IR-1, IL-1); "
            "no decision is issued.") % {"name": a.taxpayer.name})
    if a.below_threshold or a.total <= 0:
        raise ValidationError(gettext(
            "No tax is assessed for %(year)d: the amount does not exceed the threshold of "
            "art. 6 ust. 8a (%(amount)s zł).") % {"year": a.year, "amount": a.total})


def decision_prepare(user: Any, taxpayer: Taxpayer, year: int, *,
                     issue_on: date | None = None) -> Decision:
    """Create the taxpayer's decision for ``year``: a draft, or issued on ``issue_on``.

    Refused (ValidationError naming the reason) for a company, below the threshold, or when a
    decision for the same year and tax is already in force (amend it instead).
    """
    ctx = YearContext.load(taxpayer.municipality_id, year)
    a = assessments([taxpayer], ctx)[0]
    _check_assessable(a)
    with transaction.atomic():
        Taxpayer.objects.select_for_update().filter(pk=taxpayer.pk).first()
        existing = Decision.objects.filter(taxpayer=taxpayer, year=year,
                                           status__in=Decision.IN_FORCE).first()
        if existing is not None:
            raise ValidationError(gettext(
                "Decision %(number)s for %(year)d is already in force for this taxpayer; "
                "amend it instead.") % {"number": existing.number, "year": year})
        number = _allocate_numbers(ctx.municipality_id, year, 1)[0]
        status = Decision.Status.ISSUED if issue_on else Decision.Status.DRAFT
        decision = _create(a, ctx, number, issue_on, status, user)
        audit(user, AuditAction.CREATE, "taxes.decision", decision.pk,
              municipality_id=ctx.municipality_id,
              after={"number": number, "status": status, "amount": str(a.total),
                     "kind": a.kind, "year": year})
        if issue_on:
            _send_on_commit(decision, schedule_of(decision))
    return decision


ALLOWED = {
    Decision.Status.DRAFT: {Decision.Status.ISSUED},
    Decision.Status.ISSUED: {Decision.Status.DELIVERED, Decision.Status.EXPIRED},
    Decision.Status.DELIVERED: {Decision.Status.EXPIRED},
}


def _locked(decision: Decision, expected_version: int | None) -> Decision:
    current = Decision.objects.select_for_update().get(pk=decision.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleEditError(gettext("Someone else changed this decision after you opened it. "
                                     "Reload the page and try again."))
    return current


def decision_set_status(user: Any, decision: Decision, status: str, on: date, *,
                        expected_version: int | None = None) -> Decision:
    """Issue a draft (sends ``decision_issued``), record delivery, or mark expired.

    ``on`` is the date of issue, of delivery or of expiry. Other transitions are refused.
    """
    with transaction.atomic():
        current = _locked(decision, expected_version)
        if status not in ALLOWED.get(current.status, set()):
            raise ValidationError(gettext("A decision that is %(old)s cannot become %(new)s.")
                                  % {"old": current.get_status_display(), "new": status})
        before = {"status": current.status, "issued_on": _s(current.issued_on),
                  "delivered_on": _s(current.delivered_on)}
        if status == Decision.Status.ISSUED:
            current.issued_on = on
        elif status == Decision.Status.DELIVERED:
            if on < current.issued_on:
                raise ValidationError(gettext("The delivery date is before the date of issue."))
            current.delivered_on = on
        current.status = status
        current.version += 1
        current.save(update_fields=["status", "issued_on", "delivered_on", "version"])
        audit(user, AuditAction.UPDATE, "taxes.decision", current.pk,
              municipality_id=current.municipality_id, before=before,
              after={"status": status, "on": str(on)})
        if status == Decision.Status.ISSUED:
            _send_on_commit(current, schedule_of(current))
    return current


def amended_schedule(old: list[tuple[int, date, Decimal]], new_total: Decimal, issued_on: date
                     ) -> tuple[list[tuple[date, Decimal]], Decimal]:
    """The schedule of an amending decision, and the amount by which the instalments already
    due exceed the new total (0 when they do not).

    The rule: instalments of the amended decision due before the amending decision's date of
    issue stay as they were (they are due and may be paid or in arrears); the new total less
    what they add up to is spread in equal parts (grosze, remainder on the first) over the
    instalments not yet due, at their dates. When none is left, the rest is one payment due 14
    days after the amending decision (art. 47 § 1 Ordynacji podatkowej: 14 days from delivery;
    the date of issue stands in for delivery here), moved to a working day (art. 12 § 5 OP).
    When the instalments already due exceed the new total, nothing more falls due; the excess
    is returned for the payments register to settle (overpayment, art. 72 ff. OP).
    """
    kept = [(d, a) for _n, d, a in old if d < issued_on]
    open_dates = [d for _n, d, _a in old if d >= issued_on]
    rest = new_total - sum((a for _d, a in kept), ZERO)
    if rest <= 0:
        return kept, -rest
    if not open_dates:
        open_dates = [next_working_day(issued_on + timedelta(days=rules.DAYS_AFTER_DELIVERY))]
    parts = rules.split(rest, [Decimal("1")] * len(open_dates))
    return kept + list(zip(open_dates, parts, strict=True)), ZERO


def decision_amend(user: Any, decision: Decision, issued_on: date, reason: str = "", *,
                   expected_version: int | None = None) -> Decision:
    """Issue an amending decision after an object changed during the year: the year is
    assessed again from the register as it is now, instalments not yet due are re-spread
    (``amended_schedule``) and the amended decision becomes AMENDED. Sends
    ``decision_issued`` with the whole new schedule."""
    taxpayer = decision.taxpayer
    ctx = YearContext.load(decision.municipality_id, decision.year)
    a = assessments([taxpayer], ctx)[0]
    if a.taxpayer.legal_person:
        _check_assessable(a)
    with transaction.atomic():
        current = _locked(decision, expected_version)
        if current.status not in (Decision.Status.ISSUED, Decision.Status.DELIVERED):
            raise ValidationError(gettext("Only an issued or delivered decision can be amended "
                                          "(this one is %(status)s).")
                                  % {"status": current.get_status_display()})
        if current.issued_on and issued_on < current.issued_on:
            raise ValidationError(gettext("The amending decision cannot be dated before the "
                                          "decision it amends."))
        plan, excess = amended_schedule(schedule_of(current), a.total, issued_on)
        a.instalments = plan
        number = _allocate_numbers(ctx.municipality_id, current.year, 1)[0]
        current.status = Decision.Status.AMENDED
        current.version += 1
        current.save(update_fields=["status", "version"])
        with translation.override(DECISION_LANGUAGE):
            text = gettext("Amends decision %(number)s of %(date)s.") % {
                "number": current.number, "date": current.issued_on}
            if reason:
                text += " " + reason
            text += " " + _reason_text(a, ctx)
            if excess:
                text += " " + gettext("The instalments already due exceed the amended tax by "
                                      "%(amount)s zł.") % {"amount": excess}
        new = _create(a, ctx, number, issued_on, Decision.Status.ISSUED, user, amends=current,
                      reason=text)
        audit(user, AuditAction.CREATE, "taxes.decision", new.pk,
              municipality_id=ctx.municipality_id,
              before={"number": current.number, "amount": str(current.amount)},
              after={"number": number, "amends": current.number, "amount": str(a.total),
                     "excess": str(excess)})
        _send_on_commit(new, schedule_of(new))
    return new


# ---------------------------------------------------------------------------------------------
# The batch for a whole roll


def batch_candidates(municipality_id: int) -> QuerySet[Taxpayer]:
    """Natural persons of the municipality, in id order (the batch's resumable cursor)."""
    return Taxpayer.objects.filter(municipality_id=municipality_id,
                                   kind=Taxpayer.Kind.PERSON).order_by("pk")


def batch_start(user: Any, municipality_id: int, year: int, issued_on: date) -> DecisionBatch:
    batch = DecisionBatch.objects.create(
        municipality_id=municipality_id, year=year, issued_on=issued_on,
        total=batch_candidates(municipality_id).count(),
        started_by=user if getattr(user, "is_authenticated", False) else None)
    audit(user, AuditAction.CREATE, "taxes.decisionbatch", batch.pk,
          municipality_id=municipality_id, after={"year": year, "issued_on": str(issued_on),
                                                  "taxpayers": batch.total})
    return batch


def batch_run(batch: DecisionBatch, chunk: int = 500,
              progress: Callable[[int, int], None] | None = None,
              on_decisions: Callable[[list[Decision]], None] | None = None) -> DecisionBatch:
    """Issue the decisions of a batch, ``chunk`` taxpayers per transaction.

    Resumable: each chunk commits its decisions together with the batch's cursor
    (``last_taxpayer_id``), so a run killed at any point continues after the last committed
    chunk; a taxpayer who already has a decision in force for the year is skipped, never
    given a second one. Memory stays flat: one chunk of taxpayers and their objects at a time.
    ``progress(done, issued)`` is called after each chunk; ``on_decisions`` gets each chunk's
    new decisions after commit (e.g. to write their PDFs).
    """
    ctx = YearContext.load(batch.municipality_id, batch.year)
    batch.status = DecisionBatch.Status.RUNNING
    batch.save(update_fields=["status", "updated_at"])
    try:
        while True:
            with transaction.atomic():
                # lock the batch row and read its cursor under the lock: two runs of the same
                # batch (a resume clicked twice) take turns chunk by chunk, never the same one
                cursor = DecisionBatch.objects.select_for_update().values_list(
                    "last_taxpayer_id", flat=True).get(pk=batch.pk)
                taxpayers = list(batch_candidates(batch.municipality_id)
                                 .filter(pk__gt=cursor)[:chunk])
                if not taxpayers:
                    break
                taken = set(Decision.objects.filter(
                    taxpayer_id__in=[t.pk for t in taxpayers], year=batch.year,
                    status__in=Decision.IN_FORCE).values_list("taxpayer_id", flat=True))
                todo = [a for a in assessments([t for t in taxpayers if t.pk not in taken], ctx)
                        if not a.below_threshold and a.total > 0]
                new = _bulk_issue(todo, ctx, batch)
                DecisionBatch.objects.filter(pk=batch.pk).update(
                    done=F("done") + len(taxpayers), issued=F("issued") + len(new),
                    last_taxpayer_id=taxpayers[-1].pk, updated_at=timezone.now())
                if new:
                    audit(None, AuditAction.CREATE, "taxes.decision", "",
                          municipality_id=batch.municipality_id,
                          detail=Note(gettext_noop("batch %(batch)s: decisions: %(count)s, "
                                                   "%(first)s…%(last)s"),
                                      batch=batch.pk, count=len(new), first=new[0].number,
                                      last=new[-1].number))
            batch.refresh_from_db()
            if on_decisions and new:
                on_decisions(new)
            if progress:
                progress(batch.done, batch.issued)
    except Exception as exc:
        DecisionBatch.objects.filter(pk=batch.pk).update(status=DecisionBatch.Status.FAILED,
                                                         error=str(exc)[:2000])
        raise
    DecisionBatch.objects.filter(pk=batch.pk).update(
        status=DecisionBatch.Status.DONE, finished_at=timezone.now(), error="")
    batch.refresh_from_db()
    return batch


def _bulk_issue(todo: list[Assessment], ctx: YearContext, batch: DecisionBatch
                ) -> list[Decision]:
    """Decisions and instalments of a chunk in three statements; one signal per chunk."""
    if not todo:
        return []
    numbers = _allocate_numbers(ctx.municipality_id, ctx.year, len(todo))
    created_by = batch.started_by
    decisions = Decision.objects.bulk_create([
        Decision(municipality_id=ctx.municipality_id, taxpayer=a.taxpayer, year=a.year,
                 tax_kind=a.kind, number=n, issued_on=batch.issued_on, amount=a.total,
                 parts={k: str(v) for k, v in a.parts.items()}, lines=a.lines,
                 status=Decision.Status.ISSUED, reason=_reason(a, ctx), batch=batch,
                 created_by=created_by)
        for a, n in zip(todo, numbers, strict=True)])
    DecisionInstalment.objects.bulk_create([
        DecisionInstalment(decision=d, number=i, due_date=due, amount=amt)
        for d, a in zip(decisions, todo, strict=True)
        for i, (due, amt) in enumerate(a.instalments, 1)])
    schedules = [(d.taxpayer_id, d.year, d.tax_kind, d.number,
                  [(i, due, amt) for i, (due, amt) in enumerate(a.instalments, 1)])
                 for d, a in zip(decisions, todo, strict=True)]

    def send() -> None:  # one signal per chunk: the payments register posts them in bulk
        decisions_issued.send(sender=Decision, municipality_id=ctx.municipality_id,
                              decisions=decisions, schedules=schedules)

    transaction.on_commit(send)
    return decisions
