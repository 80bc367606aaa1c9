"""Writing and computing the tax register: resolutions, declarations, the roll, reconciliation.

The roll and the reconciliation are set-based: a fixed handful of SQL statements whatever the
number of objects (``sql/liabilities.sql``, ``sql/reconciliation.sql``). Per-taxpayer pages use
the pure rules on the few objects concerned; the database tests prove both agree.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import (
    gettext,  # not _: this module uses _ for unused values
    gettext_noop,
)

from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers import formats
from layers.domain.text import normalize_text
from layers.exports import DEFAULT_CSV_DIALECT, write_table
from layers.models import Building, Municipality, Parcel
from registers.common.editing import (
    StaleEditError as StaleEditError,  # callers catch it from the register's services
)
from registers.common.editing import audit_change, locked_update, snapshot
from registers.leases import selectors as leases_register
from registers.taxes import rules
from registers.taxes.models import (
    AssessmentYear,
    ConversionFactor,
    Rate,
    RateCap,
    RateResolution,
    ReconciliationCase,
    TaxObject,
    Taxpayer,
    YearlyParameters,
)

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


# ---------------------------------------------------------------------------------------------
# Yearly data (tables seeded from data.py; an administrator adds later years)


def caps_for(year: int) -> dict[str, Decimal]:
    return {c.category: c.cap for c in RateCap.objects.filter(year=year)}


def parameters_for(year: int) -> YearlyParameters:
    """The year's parameters, else the latest earlier year's (so a new year never breaks)."""
    params = YearlyParameters.objects.filter(year__lte=year).order_by("-year").first()
    if params is None:
        raise ValidationError(f"no yearly tax parameters for {year} or before; add them in the "
                              "admin (minimum threshold, rye and timber prices)")
    return params


# ---------------------------------------------------------------------------------------------
# Rate resolutions


def conversion_factors() -> dict[tuple[str, str, str], Decimal]:
    """The art. 4 ust. 5 UPR table (tax district, land use, soil class → conversion factor)."""
    return {(f.district, f.ofu, f.soil_class): f.factor for f in ConversionFactor.objects.all()}


def resolution_for(municipality_id: int, year: int) -> RateResolution | None:
    """The resolution in force in ``year`` (art. 20a: the latest of that year or before)."""
    years = RateResolution.objects.filter(municipality_id=municipality_id,
                                          year__lte=year).values_list("year", flat=True)
    used = rules.rates_year(years, year)
    if used is None:
        return None
    return RateResolution.objects.get(municipality_id=municipality_id, year=used)


def rates_for(municipality_id: int, year: int) -> dict[tuple[str, str], Decimal]:
    """(category, variant) → rate of the resolution in force; empty if none was ever adopted."""
    resolution = resolution_for(municipality_id, year)
    if resolution is None:
        return {}
    return {(r.category, r.variant): r.rate for r in resolution.rates.all()}


def general_rates(municipality_id: int, year: int) -> dict[str, Decimal]:
    """General rate per category; categories the council left out take the year's cap (used
    only to estimate lost revenue, never to assess)."""
    caps = caps_for(year) or caps_for(
        RateCap.objects.filter(year__lte=year).order_by("-year").values_list(
            "year", flat=True).first() or year)
    out = dict(caps)
    out.update({c: r for (c, v), r in rates_for(municipality_id, year).items() if v == ""})
    return out


@dataclass
class RateInput:
    category: str
    rate: Decimal
    variant: str = ""
    description: str = ""


def resolution_save(user: Any, municipality: Municipality, year: int, number: str,
                    adopted_on: date, rates: Iterable[RateInput],
                    resolution: RateResolution | None = None) -> RateResolution:
    """Create or replace a resolution; every rate is checked against the year's cap.

    Raises ``ValidationError`` naming category, rate and cap for each rate above its cap, or
    when the year has no caps yet (an administrator adds them first).
    """
    rates = list(rates)
    caps = caps_for(year)
    if not caps:
        raise ValidationError(gettext(
            "There are no statutory maximum rates for %(year)s yet: an administrator must add "
            "that year's caps first.") % {"year": year})
    # each problem once, on the form's field of the rate (variants: their own field)
    errors: dict[str, list[str]] = {}

    def refuse(r: RateInput, message: str) -> None:
        field = f"rate_{r.category}" if not r.variant else "variants"
        prefix = f"{r.category}/{r.variant}: " if r.variant else ""
        if prefix + message not in errors.setdefault(field, []):
            errors[field].append(prefix + message)

    by_rate = {f"{r.category}/{r.variant}": r.rate for r in rates}
    for r in rates:
        cap = caps.get(r.category)
        unit = rules.category_unit(r.category)
        if cap is None:
            refuse(r, gettext("there is no statutory maximum for this category in %(year)s")
                   % {"year": year})
        elif r.rate > cap:
            refuse(r, gettext("the rate %(rate)s %(unit)s is above the maximum for %(year)s, "
                              "%(cap)s %(unit)s") % {
                "rate": formats.rate(r.rate), "cap": formats.rate(cap), "unit": unit,
                "year": year})
        if r.rate < 0:
            refuse(r, gettext("a rate cannot be negative"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = None
        if resolution is None:
            resolution = RateResolution.objects.create(
                municipality=municipality, year=year, number=number, adopted_on=adopted_on)
            action = AuditAction.CREATE
        else:
            before = {f"{r.category}/{r.variant}": str(r.rate) for r in resolution.rates.all()}
            resolution.number, resolution.adopted_on, resolution.year = number, adopted_on, year
            resolution.save()
            resolution.rates.all().delete()
            action = AuditAction.UPDATE
        Rate.objects.bulk_create([
            Rate(resolution=resolution, category=r.category, variant=r.variant,
                 description=r.description, rate=r.rate) for r in rates])
        audit(user, action, "taxes.rateresolution", resolution.pk,
              municipality_id=municipality.pk, before=before,
              after={"number": number, "year": year,
                     "rates": {k: str(v) for k, v in by_rate.items()}})
    return resolution


# ---------------------------------------------------------------------------------------------
# Liability of a taxpayer (pure rules on the taxpayer's objects)


def object_line(obj: TaxObject, year: int, rates: dict[tuple[str, str], Decimal]
                ) -> rules.ObjectLine | None:
    """One object's line for ``year`` (None when the obligation did not exist that year)."""
    months = rules.obligation_months(year, obj.arose_on, obj.ceased_on,
                                     arose_event=obj.arose_event or None)
    if months == 0:
        return None
    rate = rates.get((obj.category, obj.variant)) if obj.variant else None
    if rate is None:
        rate = rates.get((obj.category, ""))
    return rules.ObjectLine(object_id=obj.pk, category=obj.category, base=object_base(obj),
                            rate=rate if rate is not None else Decimal("0"), months=months,
                            exempt=obj.exempt or rate is None)


def object_base(obj: TaxObject) -> Decimal:
    if obj.kind == TaxObject.Kind.LAND:
        return obj.area_m2
    if obj.kind == TaxObject.Kind.BUILDING:
        return rules.usable_area(obj.usable_full_m2, obj.usable_half_m2 or Decimal("0"),
                                 obj.usable_low_m2 or Decimal("0"))
    return obj.value


@dataclass
class TaxpayerLiability:
    taxpayer: Taxpayer
    year: int
    rows: list[tuple[TaxObject, rules.ObjectLine]]
    joint: list[tuple[TaxObject, rules.ObjectLine]]  # co-owned objects addressed to another
    result: rules.Liability
    instalments: list[tuple[date, Decimal]]
    threshold: Decimal
    resolution: RateResolution | None


def taxpayer_liability(user: Any, taxpayer: Taxpayer, year: int) -> TaxpayerLiability:
    """Per-object breakdown, total, threshold and instalments; the read is audit-logged."""
    rates = rates_for(taxpayer.municipality_id, year)
    threshold = parameters_for(year).minimum_threshold
    own = TaxObject.objects.filter(taxpayer=taxpayer).order_by("kind", "cadastral_id", "id")
    joint = TaxObject.objects.filter(co_owners__taxpayer=taxpayer).exclude(taxpayer=taxpayer)
    rows = [(o, line) for o in own if (line := object_line(o, year, rates)) is not None]
    joint_rows = [(o, line) for o in joint if (line := object_line(o, year, rates)) is not None]
    result = rules.liability([line for _, line in rows], threshold)
    plan = property_instalments(result.tax, year, taxpayer.legal_person, rows)
    audit(user, AuditAction.READ_TAX, "taxes.taxpayer", taxpayer.pk,
          municipality_id=taxpayer.municipality_id,
          detail=Note(gettext_noop("liability for %(year)s"), year=year))
    return TaxpayerLiability(taxpayer=taxpayer, year=year, rows=rows, joint=joint_rows,
                             result=result, instalments=plan, threshold=threshold,
                             resolution=resolution_for(taxpayer.municipality_id, year))


def property_instalments(tax: Decimal, year: int, legal_person: bool,
                         rows: list[tuple[TaxObject, rules.ObjectLine]]
                         ) -> list[tuple[date, Decimal]]:
    """Instalments of the property tax from the obligation's months (see
    ``rules.instalment_plan``): a company's monthly instalments in the months each object was
    subject, in proportion to its yearly tax; a person's from the first month of any
    obligation (no instalment before the obligation arose)."""
    if legal_person:
        weights = rules.monthly_weights(year, [
            (line.amount * 12 / line.months if line.months else Decimal("0"), o.arose_on,
             o.ceased_on, o.arose_event) for o, line in rows if not line.exempt])
        return rules.instalment_plan(tax, year, legal_person=True, month_weights=weights)
    first = min((m for o, _ in rows if (m := rules.obligation_first_month(
        year, o.arose_on, o.arose_event or None, o.ceased_on)) is not None), default=1)
    return rules.instalment_plan(tax, year, first_month=first)


# ---------------------------------------------------------------------------------------------
# Which tax each land-use contour of a parcel falls under (legal-facts §2.3)


def contour_taxes(parcel: Parcel, year: int, business: bool = False) -> list[dict[str, Any]]:
    """Per klasoużytek of the parcel: the tax that applies and, for agricultural land (as
    non-farm land: 5 q of rye per ha) and forest, the year's amount from the rye and timber
    prices. Farms pay per conversion hectare instead (``rules.agricultural_tax(farm=True)``),
    which needs the owner's whole holding: shown as the non-farm amount here."""
    params = parameters_for(year)
    out = []
    for use in parcel.land_uses.all().order_by("ofu", "ozk"):
        decision = rules.land_use_tax(use.ofu, use.ozk, business=business)
        area_ha = (use.area_m2 or Decimal("0")) / rules.M2_PER_HA
        amount = None
        if decision.tax == rules.TaxKind.AGRICULTURAL and params.rye_price_per_dt:
            amount = rules.agricultural_tax(area_ha, params.rye_price_per_dt, farm=False)
        elif decision.tax == rules.TaxKind.FOREST and params.timber_price_per_m3:
            amount = rules.forest_tax(area_ha, params.timber_price_per_m3)
        out.append({"ofu": use.ofu, "ozu": use.ozu, "ozk": use.ozk, "area_m2": use.area_m2,
                    "tax": decision.tax.value, "category": decision.category,
                    "basis": decision.basis, "amount": amount})
    return out


# ---------------------------------------------------------------------------------------------
# The tax roll (set-based)

ROLL_SQL = """
WITH l AS MATERIALIZED (
    SELECT * FROM taxes_object_liabilities(%(m)s, %(y)s)
),
tp AS (
    SELECT taxpayer_id, count(*) AS n, sum(amount) AS subtotal, round(sum(amount)) AS rounded
    FROM l
    GROUP BY taxpayer_id
)
SELECT 'category' AS row_kind, category AS key, count(*) AS n,
       count(*) FILTER (WHERE exempt) AS n_other, sum(base) AS base, sum(amount) AS amount
FROM l
GROUP BY category
UNION ALL
SELECT 'total', NULL, count(*), count(*) FILTER (WHERE rounded > %(thr)s), sum(subtotal),
       sum(CASE WHEN rounded > %(thr)s THEN rounded ELSE 0 END)
FROM tp
"""

ROLL_ROWS_SQL = """
SELECT t.id, t.name, t.kind, t.tax_id, tp.n, tp.subtotal,
       CASE WHEN round(tp.subtotal) > %(thr)s THEN round(tp.subtotal) ELSE 0 END AS tax,
       round(tp.subtotal) <= %(thr)s AS below_threshold
FROM (
    SELECT taxpayer_id, count(*) AS n, sum(amount) AS subtotal
    FROM taxes_object_liabilities(%(m)s, %(y)s)
    GROUP BY taxpayer_id
) AS tp
JOIN taxes_taxpayer AS t ON t.id = tp.taxpayer_id
ORDER BY {order}
"""
# the roll's sortable columns: their SQL (never the request's text)
ROLL_ORDER = {"name": "t.name", "objects": "tp.n", "subtotal": "tp.subtotal", "tax": "tax"}


@dataclass
class Roll:
    municipality_id: int
    year: int
    threshold: Decimal
    categories: list[dict[str, Any]] = field(default_factory=list)
    objects: int = 0
    taxpayers: int = 0
    taxpayers_assessed: int = 0
    subtotal: Decimal = Decimal("0")  # sum of per-object amounts
    assessed_total: Decimal = Decimal("0")  # sum of rounded, above-threshold decisions


def roll(municipality_id: int, year: int) -> Roll:
    """Totals per category and of the decisions, computed in one SQL statement."""
    threshold = parameters_for(year).minimum_threshold
    out = Roll(municipality_id=municipality_id, year=year, threshold=threshold)
    with connection.cursor() as cur:
        cur.execute(ROLL_SQL, {"m": municipality_id, "y": year, "thr": threshold})
        for row_kind, key, n, n_other, base, amount in cur.fetchall():
            if row_kind == "category":
                out.categories.append({"category": key, "label": rules.CATEGORY_LABELS[key],
                                       "objects": n, "exempt": n_other, "base": base,
                                       "amount": amount})
                out.objects += n
            else:
                out.taxpayers, out.taxpayers_assessed = n, n_other
                out.subtotal, out.assessed_total = base or Decimal("0"), amount or Decimal("0")
    out.categories.sort(key=lambda c: c["category"])
    return out


def roll_record(municipality_id: int, year: int, result: Roll) -> None:
    AssessmentYear.objects.update_or_create(
        municipality_id=municipality_id, year=year,
        defaults={"computed_at": timezone.now(), "total": result.assessed_total,
                  "taxpayers_assessed": result.taxpayers_assessed})


def roll_rows(municipality_id: int, year: int, limit: int | None = None,
              offset: int = 0, sort: str = "name") -> Iterator[dict[str, Any]]:
    """Per-taxpayer decisions (one SQL statement), ordered by name or by ``sort`` (a key of
    ``ROLL_ORDER``, ``-key`` descending; an unknown one orders by name)."""
    threshold = parameters_for(year).minimum_threshold
    kinds = dict(Taxpayer.Kind.choices)  # the export shows the label, never the code
    column = ROLL_ORDER.get(sort.lstrip("-"), "t.name")
    direction = "DESC NULLS LAST" if sort.startswith("-") else "ASC NULLS LAST"
    sql = (ROLL_ROWS_SQL.format(order=f"{column} {direction}, t.id {direction.split()[0]}")
           + (" LIMIT %(limit)s OFFSET %(offset)s" if limit else ""))
    with connection.cursor() as cur:
        cur.execute(sql, {"m": municipality_id, "y": year, "thr": threshold,
                          "limit": limit, "offset": offset})
        for tid, name, kind, tax_id, n, subtotal, tax, below in cur.fetchall():
            yield {"taxpayer_id": tid, "name": name, "kind": kind, "tax_id": tax_id,
                   "kind_label": kinds.get(kind, kind),
                   "objects": n, "subtotal": subtotal, "tax": tax, "below_threshold": below}


ROLL_COLUMNS = [("taxpayer_id", "id"), ("name", "podatnik"), ("kind_label", "rodzaj"),
                ("tax_id", "NIP/REGON"), ("objects", "przedmioty"),
                ("subtotal", "suma [zł]"), ("tax", "podatek [zł]"),
                ("below_threshold", "poniżej progu")]


def roll_export(user: Any, municipality_id: int, year: int, fmt: str,
                dialect: str = DEFAULT_CSV_DIALECT) -> tuple[bytes, str]:
    """The roll as CSV/XLSX: one row per taxpayer, then the category totals."""
    result = roll(municipality_id, year)
    rows: list[dict[str, Any]] = list(roll_rows(municipality_id, year))
    rows.append({})
    for c in result.categories:
        rows.append({"name": f"{c['category']} – {c['label']}", "objects": c["objects"],
                     "subtotal": c["amount"]})
    rows.append({"name": "RAZEM", "objects": result.objects, "subtotal": result.subtotal,
                 "tax": result.assessed_total})
    data, mime = write_table(rows, ROLL_COLUMNS, fmt, dialect)
    audit(user, AuditAction.EXPORT, "taxes.roll", f"{municipality_id}/{year}",
          municipality_id=municipality_id,
          detail=Note(gettext_noop("tax roll %(year)s as %(format)s"), year=year,
                      format=fmt.upper()))
    return data, mime


# ---------------------------------------------------------------------------------------------
# Reconciliation with the cadastre


@dataclass(frozen=True)
class ReconciliationParams:
    """Tolerances; defaults overridable in settings (GEOGMINA_TAX_* names)."""

    tol_m2: Decimal = Decimal("1")
    tol_ratio: Decimal = Decimal("0.02")
    footprint_factor: Decimal = Decimal("1.5")
    usable_ratio: Decimal = Decimal("0.8")

    @classmethod
    def from_settings(cls) -> ReconciliationParams:
        return cls(
            tol_m2=Decimal(str(getattr(settings, "GEOGMINA_TAX_AREA_TOLERANCE_M2", "1"))),
            tol_ratio=Decimal(str(getattr(settings, "GEOGMINA_TAX_AREA_TOLERANCE_RATIO",
                                          "0.02"))),
            footprint_factor=Decimal(str(getattr(settings, "GEOGMINA_TAX_FOOTPRINT_FACTOR",
                                                 "1.5"))),
            usable_ratio=Decimal(str(getattr(settings, "GEOGMINA_TAX_USABLE_RATIO", "0.8"))),
        )


OTHER_PROPERTY_OFU = ("B", "Bi", "Bp", "Bz", "K", "Tk", "Ti", "Tp", "Tr")

MERGE_SQL = """
INSERT INTO taxes_reconciliationcase (
    municipality_id, fingerprint, kind, cadastral_id, building_id, tax_object_id,
    estimated_loss, detail, status, status_note, version, still_detected, first_seen_at,
    last_seen_at)
SELECT DISTINCT ON (f.fingerprint)  -- e.g. two buildings sharing an id: one case
       %(m)s, f.fingerprint, f.kind, f.cadastral_id, f.building_id, f.tax_object_id,
       f.estimated_loss, f.detail, 'new', '', 1, true, now(), now()
FROM _tax_found AS f
ORDER BY f.fingerprint, f.estimated_loss DESC
ON CONFLICT (municipality_id, fingerprint) DO UPDATE SET
    kind = EXCLUDED.kind,
    cadastral_id = EXCLUDED.cadastral_id,
    building_id = EXCLUDED.building_id,
    tax_object_id = EXCLUDED.tax_object_id,
    estimated_loss = EXCLUDED.estimated_loss,
    detail = EXCLUDED.detail,
    still_detected = true,
    last_seen_at = now()
"""

RETIRE_SQL = """
UPDATE taxes_reconciliationcase AS c
SET still_detected = false
WHERE c.municipality_id = %(m)s
  AND c.still_detected
  AND NOT EXISTS (SELECT 1 FROM _tax_found AS f WHERE f.fingerprint = c.fingerprint)
"""


@dataclass
class ReconciliationResult:
    found: int
    by_kind: dict[str, int]
    leases_checked: bool
    note: str = ""


def reconcile(municipality_id: int, on_date: date | None = None,
              params: ReconciliationParams | None = None, *, user: Any = None
              ) -> ReconciliationResult:
    """Find every disagreement and merge it into the case list by fingerprint.

    Cases keep their status across runs; a case no longer found is marked
    ``still_detected = False`` (never deleted: the officer's work stays). The run is
    audit-logged (who, the town, the date and what it found) in the same transaction.
    """
    on_date = on_date or timezone.localdate()
    params = params or ReconciliationParams.from_settings()
    rates = general_rates(municipality_id, on_date.year)
    kinds = list(rules.BUILDING_KIND_CATEGORY)
    args = {
        "m": municipality_id, "on": on_date, "tol_m2": params.tol_m2,
        "tol_ratio": params.tol_ratio, "footprint_factor": params.footprint_factor,
        "usable_ratio": params.usable_ratio, "kinds": kinds,
        "cats": [rules.BUILDING_KIND_CATEGORY[k] for k in kinds],
        "rate_cats": list(rates), "rate_values": [rates[c] for c in rates],
        "other_ofu": OTHER_PROPERTY_OFU,
        **{c: rates.get(c, Decimal("0")) for c in ("G1", "G2", "G3")},
    }
    lease_rows, leases_checked, note = _lease_candidates(municipality_id, on_date, rates)
    with transaction.atomic(), connection.cursor() as cur:
        # one big analytical statement: JIT compilation costs more than it saves here (measured
        # 5.8 s → 2.9 s on 100,000 parcels) and the aggregates want memory, not disk
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute("DROP TABLE IF EXISTS _tax_found")
        cur.execute("CREATE TEMP TABLE _tax_found ON COMMIT DROP AS " + _sql("reconciliation.sql"),
                    args)
        if lease_rows:
            cur.executemany(
                "INSERT INTO _tax_found VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)", lease_rows)
        cur.execute(MERGE_SQL, {"m": municipality_id})
        cur.execute(RETIRE_SQL, {"m": municipality_id})
        cur.execute("SELECT kind, count(DISTINCT fingerprint) FROM _tax_found GROUP BY kind")
        by_kind = dict(cur.fetchall())
        audit(user, AuditAction.UPDATE, "taxes.reconciliationcase", "",
              municipality_id=municipality_id,
              after={"on_date": on_date.isoformat(), "found": sum(by_kind.values()),
                     "by_kind": by_kind, "leases_checked": leases_checked},
              detail=Note(gettext_noop("reconciliation run")) if user is not None
              else Note(gettext_noop("reconciliation run (no user: a command)")))
    return ReconciliationResult(found=sum(by_kind.values()), by_kind=by_kind,
                                leases_checked=leases_checked, note=note)


def _lease_candidates(municipality_id: int, on_date: date, rates: dict[str, Decimal]
                      ) -> tuple[list[tuple], bool, str]:
    """Leases of municipal land whose parcels carry no land tax object of the lessee (art. 3
    ust. 1 pkt 4 lit. a: the lessee pays), read from the leases register."""
    leases = leases_register.leases_for_tax_reconciliation(municipality_id, on_date)
    if not leases:
        return [], True, ""
    ids = {cid for lease in leases for cid in lease.get("cadastral_ids", [])}
    holders: dict[str, set[str]] = {}
    for cid, name in TaxObject.objects.filter(
            municipality_id=municipality_id, kind=TaxObject.Kind.LAND, cadastral_id__in=ids
    ).exclude(ceased_on__lt=on_date).values_list("cadastral_id", "taxpayer__name"):
        holders.setdefault(cid, set()).add(normalize_text(name))
    out = []
    for lease in leases:
        lessee = normalize_text(lease.get("lessee_name") or "")
        cids = list(lease.get("cadastral_ids") or [])
        if any(lessee and lessee in holders.get(cid, set()) for cid in cids):
            continue
        area = Decimal(str(lease.get("leased_area_m2") or 0))
        # a company holds land for its business: G1; a person: other land, G3 (an estimate)
        category = "G1" if lease.get("lessee_kind") == "company" else "G3"
        out.append(("lease_untaxed", f"lease_untaxed:{lease['lease_id']}",
                    cids[0] if cids else "", "", None,
                    (area * rates.get(category, Decimal("0"))).quantize(Decimal("0.01")),
                    json.dumps({"lease_id": lease["lease_id"], "lessee": lease.get("lessee_name"),
                                "cadastral_ids": cids, "leased_area_m2": str(area)})))
    return out, True, ""


def case_set_status(user: Any, case: ReconciliationCase, status: str, note: str = "", *,
                    expected_version: int) -> ReconciliationCase:
    """Record the officer's verdict on a case unless a colleague recorded one since the list
    they worked from was served (``expected_version``): two officers working the same list must
    not silently overwrite each other's status and note.

    Only this change bumps the version: a reconciliation run refreshes the estimate but keeps
    the officer's status, so it does not make an open list stale.
    """
    if status not in ReconciliationCase.Status.values:
        raise ValidationError(f"unknown status {status!r}")
    fields = ["status", "status_note", "version"]
    with transaction.atomic():
        current = locked_update(
            ReconciliationCase.objects.filter(pk=case.pk), expected_version,
            stale=gettext("Someone else changed the status of this case after you opened the "
                          "list. Reload the page to see their change, then set the status "
                          "again."),
            gone=gettext("The case no longer exists."))
        audited = {"status": "status", "note": "status_note", "version": "version"}
        before = snapshot(current, audited)
        current.status, current.status_note = status, note
        current.status_changed_by = user if getattr(user, "is_authenticated", False) else None
        current.status_changed_at = timezone.now()
        current.bump()
        current.save(update_fields=[*fields, "status_changed_by", "status_changed_at"])
        audit_change(user, current, before, snapshot(current, audited),
                     municipality_id=current.municipality_id, only_changes=False)
    return current


# ---------------------------------------------------------------------------------------------
# Declarations (IN-1 / DN-1) by CSV


IMPORT_COLUMNS = [
    "taxpayer_ref", "taxpayer_name", "taxpayer_kind", "tax_id", "business", "object_kind",
    "category", "variant", "cadastral_id", "building_id", "area_m2", "usable_full_m2",
    "usable_half_m2", "usable_low_m2", "value", "exempt", "exemption_basis", "arose_on",
    "ceased_on", "declaration", "arose_event", "ceased_event",
]
REQUIRED_COLUMNS = {"taxpayer_ref", "taxpayer_name", "object_kind", "category"}


@dataclass
class ImportResult:
    errors: list[str]
    taxpayers_created: int = 0
    objects_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _decimal(value: str, column: str, errors: list[str], line: int) -> Decimal | None:
    value = (value or "").strip().replace(",", ".").replace(" ", "")
    if not value:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        errors.append(gettext("line %(line)s: %(column)s: not a number (%(value)s)")
                      % {"line": line, "column": column, "value": value})
        return None
    if d < 0 or not d.is_finite():
        errors.append(gettext("line %(line)s: %(column)s: must be a non-negative number "
                              "(%(value)s)") % {"line": line, "column": column, "value": value})
        return None
    return d


def _date(value: str, column: str, errors: list[str], line: int) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(gettext("line %(line)s: %(column)s: not a date YYYY-MM-DD (%(value)s)")
                      % {"line": line, "column": column, "value": value})
        return None


def _bool(value: str) -> bool:
    return (value or "").strip().lower() in {"1", "true", "tak", "t", "yes", "y"}


def declarations_import(user: Any, municipality: Municipality, text: str) -> ImportResult:
    """Import declaration lines; any error rejects the whole file (nothing stored).

    One line = one tax object; taxpayers are matched on ``taxpayer_ref`` within the
    municipality (created when new). Errors name the line and the column.
    """
    errors: list[str] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")),
                            delimiter=";" if text.split("\n", 1)[0].count(";") else ",")
    header = set(reader.fieldnames or [])
    missing = REQUIRED_COLUMNS - header
    if missing:
        return ImportResult(errors=[gettext("line 1: missing columns: %(columns)s")
                                    % {"columns": ", ".join(sorted(missing))}])
    unknown = header - set(IMPORT_COLUMNS)
    if unknown:
        return ImportResult(errors=[gettext("line 1: unknown columns: %(columns)s")
                                    % {"columns": ", ".join(sorted(unknown))}])
    parsed: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for line, row in enumerate(reader, start=2):
        tp = {"ref": (row.get("taxpayer_ref") or "").strip(),
              "name": (row.get("taxpayer_name") or "").strip(),
              "kind": (row.get("taxpayer_kind") or "person").strip() or "person",
              "tax_id": (row.get("tax_id") or "").strip(),
              "business": _bool(row.get("business", ""))}
        if not tp["ref"]:
            errors.append(gettext("line %(line)s: %(column)s: required")
                          % {"line": line, "column": "taxpayer_ref"})
        if not tp["name"]:
            errors.append(gettext("line %(line)s: %(column)s: required")
                          % {"line": line, "column": "taxpayer_name"})
        if tp["kind"] not in Taxpayer.Kind.values:
            errors.append(gettext("line %(line)s: taxpayer_kind: %(kind)s is not person or "
                                  "company") % {"line": line, "kind": tp["kind"]})
        kind = (row.get("object_kind") or "").strip()
        category = (row.get("category") or "").strip().upper()
        obj: dict[str, Any] = {
            "kind": kind, "category": category, "variant": (row.get("variant") or "").strip(),
            "cadastral_id": (row.get("cadastral_id") or "").strip(),
            "building_id": (row.get("building_id") or "").strip(),
            "exempt": _bool(row.get("exempt", "")),
            "exemption_basis": (row.get("exemption_basis") or "").strip(),
            "declaration": (row.get("declaration") or "").strip(),
            "arose_event": (row.get("arose_event") or "").strip(),
            "ceased_event": (row.get("ceased_event") or "").strip(),
        }
        for col in ("area_m2", "usable_full_m2", "usable_half_m2", "usable_low_m2", "value"):
            obj[col] = _decimal(row.get(col, ""), col, errors, line)
        obj["arose_on"] = _date(row.get("arose_on", ""), "arose_on", errors, line)
        obj["ceased_on"] = _date(row.get("ceased_on", ""), "ceased_on", errors, line)
        errors.extend(gettext("line %(line)s: %(problem)s") % {"line": line, "problem": msg}
                      for msg in object_problems(obj))
        parsed.append((line, tp, obj))
    if not parsed and not errors:
        errors.append(gettext("the file holds no declaration lines"))
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult(errors=[])
    with transaction.atomic():
        refs = {tp["ref"] for _, tp, _ in parsed}
        existing = {t.external_ref: t for t in Taxpayer.objects.filter(
            municipality=municipality, external_ref__in=refs)}
        for _, tp, _ in parsed:
            if tp["ref"] not in existing:
                existing[tp["ref"]] = Taxpayer.objects.create(
                    municipality=municipality, external_ref=tp["ref"], name=tp["name"],
                    kind=tp["kind"], tax_id=tp["tax_id"], business=tp["business"])
                result.taxpayers_created += 1
        parcels = dict(Parcel.objects.filter(
            municipality=municipality, retired_at__isnull=True,
            cadastral_id__in={o["cadastral_id"] for _, _, o in parsed}
        ).values_list("cadastral_id", "id"))
        buildings = dict(Building.objects.filter(
            municipality=municipality, retired_at__isnull=True,
            building_id__in={o["building_id"] for _, _, o in parsed}
        ).values_list("building_id", "id"))
        objects = [TaxObject(municipality=municipality, taxpayer=existing[tp["ref"]],
                             parcel_row_id=parcels.get(o["cadastral_id"]),
                             building_row_id=buildings.get(o["building_id"]), **o)
                   for _, tp, o in parsed]
        TaxObject.objects.bulk_create(objects)
        result.objects_created = len(objects)
        audit(user, AuditAction.IMPORT, "taxes.taxobject", "",
              municipality_id=municipality.pk,
              detail=Note(gettext_noop("declarations CSV: objects created: %(objects)s, new "
                                       "taxpayers: %(taxpayers)s"),
                          objects=result.objects_created, taxpayers=result.taxpayers_created))
    return result


def object_problems(obj: dict[str, Any]) -> list[str]:
    """What is wrong with a tax object's data, each ``field: message`` (the field's name, so
    the form puts the message on it and the import names the column; empty: fine)."""
    problems: list[str] = []
    kind, category = obj.get("kind"), obj.get("category")

    def add(field: str, message: str) -> None:
        problems.append(f"{field}: {message}")

    kinds = dict(TaxObject.Kind.choices)
    if kind not in kinds:
        if kind:  # an empty kind is the form's own "required"
            add("object_kind", gettext("%(kind)s is not one of: %(kinds)s")
                % {"kind": kind, "kinds": ", ".join(str(v) for v in kinds.values())})
        return problems
    if category not in rules.CATEGORY_LABELS:
        add("category", gettext("%(category)s is not one of %(categories)s")
            % {"category": category or "–", "categories": ", ".join(rules.CATEGORY_LABELS)})
        return problems
    expected = rules.Category(category).object_kind
    if expected != kind:
        add("category", gettext("%(category)s applies to %(expected)s, not to %(kind)s") % {
            "category": category, "expected": kinds.get(expected, expected),
            "kind": kinds[kind]})
    if kind == "land":
        if obj.get("area_m2") is None:
            add("area_m2", gettext("required for land"))
        if not obj.get("cadastral_id"):
            add("cadastral_id", gettext("required for land"))
    elif kind == "building":
        if obj.get("usable_full_m2") is None:
            add("usable_full_m2", gettext("required for a building (0 if none)"))
        if not (obj.get("building_id") or obj.get("cadastral_id")):
            add("building_id", gettext("give the building id or the parcel id"))
    elif obj.get("value") is None:
        add("value", gettext("required for a structure"))
    if obj.get("exempt") and not obj.get("exemption_basis"):
        add("exemption_basis", gettext("an exemption needs its legal basis"))
    arose, ceased = obj.get("arose_on"), obj.get("ceased_on")
    if arose and ceased and ceased < arose:
        add("ceased_on", gettext("the obligation cannot cease before it arose"))
    event = obj.get("arose_event") or ""
    if event and event not in rules.ObligationEvent.__members__.values():
        add("arose_event", gettext("%(event)s is not one of %(events)s") % {
            "event": event, "events": ", ".join(e.value for e in rules.ObligationEvent)})
    elif event in rules.BUILDING_EVENTS and kind == "land":
        add("arose_event", gettext("this event applies to a building or structure, not land"))
    if event and not arose:
        add("arose_on", gettext("the date of the event is required with the event"))
    ceased_event = obj.get("ceased_event") or ""
    if ceased_event and ceased_event not in rules.CessationEvent.__members__.values():
        add("ceased_event", gettext("%(event)s is not one of %(events)s") % {
            "event": ceased_event, "events": ", ".join(e.value for e in rules.CessationEvent)})
    if ceased_event and not ceased:
        add("ceased_on", gettext("the date of the event is required with the event"))
    return problems
    if category not in rules.CATEGORY_LABELS:
        problems.append(f"category: {category!r} is not one of "
                        f"{', '.join(rules.CATEGORY_LABELS)}")
        return problems
    expected = rules.Category(category).object_kind
    if expected != kind:
        problems.append(f"category: {category} applies to {expected}, not {kind}")
    if kind == "land":
        if obj.get("area_m2") is None:
            problems.append("area_m2: required for land")
        if not obj.get("cadastral_id"):
            problems.append("cadastral_id: required for land")
    elif kind == "building":
        if obj.get("usable_full_m2") is None:
            problems.append("usable_full_m2: required for a building (0 if none)")
        if not (obj.get("building_id") or obj.get("cadastral_id")):
            problems.append("building_id: give the building id or the parcel id")
    elif obj.get("value") is None:
        problems.append("value: required for a structure")
    if obj.get("exempt") and not obj.get("exemption_basis"):
        problems.append("exemption_basis: an exemption needs its legal basis")
    arose, ceased = obj.get("arose_on"), obj.get("ceased_on")
    if arose and ceased and ceased < arose:
        problems.append("ceased_on: before arose_on")
    event = obj.get("arose_event") or ""
    if event and event not in rules.ObligationEvent.__members__.values():
        problems.append(f"arose_event: {event!r} is not one of "
                        f"{', '.join(e.value for e in rules.ObligationEvent)}")
    elif event in rules.BUILDING_EVENTS and kind == "land":
        problems.append(f"arose_event: {event} applies to a building or structure, not land")
    if event and not arose:
        problems.append("arose_on: the date of the event is required with the event")
    ceased_event = obj.get("ceased_event") or ""
    if ceased_event and ceased_event not in rules.CessationEvent.__members__.values():
        problems.append(f"ceased_event: {ceased_event!r} is not one of "
                        f"{', '.join(e.value for e in rules.CessationEvent)}")
    if ceased_event and not ceased:
        problems.append("ceased_on: the date of the event is required with the event")
    return problems
