"""Tariff validation and saving, zone lookup and the fee for a stay (thin over rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layers.domain.srid import STORAGE_SRID
from layers.models import ParkingZone
from layers.points import PointError as PointError  # callers catch it here
from layers.points import stored_point
from registers.common.editing import (
    StaleEditError as StaleEditError,  # callers catch it from the register's services
)
from registers.common.editing import audit_change, locked_update, snapshot
from registers.parking import rules
from registers.parking.models import MinimumWage, Subscription, Tariff


class TariffError(ValueError):
    """The tariff breaks the law or the register's rules: ``messages`` say how."""

    @property
    def messages(self) -> list[str]:
        return list(self.args[0])


STALE_TARIFF = gettext_lazy("Someone else saved this tariff after you opened it. Reload the "
                            "page to see their changes, then edit again.")


def violation_text(v: rules.Violation) -> str:
    params = {k: (_(p) if isinstance(p, str) else p) for k, p in v.params.items()}
    return f"{v.article}: {_(v.template) % params}"


def wage_years(t: Tariff, today: date | None = None) -> list[int]:
    last = (t.valid_to or today or timezone.localdate()).year
    return list(range(t.valid_from.year, max(last, t.valid_from.year) + 1))


def ensure_seed() -> None:
    """Put back missing seed years of the minimum wage (a flushed or hand-pruned table)."""
    from registers.parking.parameters import MINIMUM_WAGES

    known = set(MinimumWage.objects.values_list("year", flat=True))
    for year, amount, source in MINIMUM_WAGES:
        if year not in known:
            MinimumWage.objects.get_or_create(year=year,
                                              defaults={"amount": amount, "source": source})


def tariff_violations(t: Tariff, subscription_kinds: set[str] | None = None) -> list[str]:
    """Messages for every art. 13b/13f rule broken in any year of validity with a known wage."""
    years = wage_years(t)
    ensure_seed()
    wages = dict(MinimumWage.objects.filter(year__in=years).values_list("year", "amount"))
    if not wages:
        return [_("no minimum wage is recorded for %(years)s; add it before the tariff")
                % {"years": ", ".join(str(y) for y in years)}]
    try:
        pure = t.as_rules(subscription_kinds=frozenset())
    except ValueError as exc:
        return [str(exc)]
    out: list[str] = []
    if t.paid_to <= t.paid_from:
        out.append(_("paid hours must end after they start"))
    for year, wage in sorted(wages.items()):
        for v in rules.validate_tariff(pure, wage):
            text = f"{year}: {violation_text(v)}"
            if text not in out:
                out.append(text)
    return out


TARIFF_AUDITED = [
    "zone_id", "resolution_number", "valid_from", "valid_to", "first_hour", "second_hour",
    "third_hour", "later_hours", "step_minutes", "minimum_charge", "paid_weekdays", "paid_from",
    "paid_to", "surcharge", "surcharge_reduced", "surcharge_reduced_days", "surcharge_due_days",
    "surcharge_reminder_days", "parking_card_zero_rate", "version"]


@transaction.atomic
def tariff_save(user: Any, t: Tariff, subscriptions: list[dict] | None = None, *,
                expected_version: int | None = None) -> Tariff:
    """Validate against the law and store the tariff (and its subscriptions) in one go.

    A change of a stored tariff needs the version its form was built from
    (``expected_version``; by default the version ``t`` was loaded at)."""
    before = None
    if t.pk:
        stored = locked_update(Tariff.objects.filter(pk=t.pk),
                               t.version if expected_version is None else expected_version,
                               stale=STALE_TARIFF)
        before = snapshot(stored, TARIFF_AUDITED)
        t.version = stored.version
        t.bump()
    problems = tariff_violations(t)
    overlap = Tariff.objects.filter(zone=t.zone).exclude(pk=t.pk).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=t.valid_from))
    if t.valid_to:
        overlap = overlap.filter(valid_from__lte=t.valid_to)
    if overlap.exists():
        problems.append(_("another tariff of this zone is valid in the same period"))
    pairs = [(s["kind"], s["period_days"]) for s in subscriptions or []]
    if len(pairs) != len(set(pairs)):
        problems.append(_("a subscription of the same kind and period is listed twice"))
    if problems:
        raise TariffError(problems)
    t.save()
    if subscriptions is not None:
        t.subscriptions.all().delete()
        for s in subscriptions:
            Subscription.objects.create(tariff=t, **s)
    audit_change(user, t, before, snapshot(t, TARIFF_AUDITED),
                 municipality_id=t.zone.municipality_id, only_changes=False)
    return t


def tariff_at(zone: ParkingZone, day: date) -> Tariff | None:
    return (Tariff.objects.filter(zone=zone, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .select_related("zone").prefetch_related("subscriptions")
            .order_by("-valid_from").first())


_TARIFF_COLUMNS = [f.attname for f in Tariff._meta.concrete_fields]
TARIFF_IN_FORCE_SQL = f"""
SELECT {", ".join(_TARIFF_COLUMNS)} FROM parking_tariff
WHERE zone_id = %(zone)s AND valid_from <= %(day)s AND (valid_to IS NULL OR valid_to >= %(day)s)
ORDER BY valid_from DESC LIMIT 1
"""


def tariff_in_force(zone: ParkingZone, day: date) -> Tariff | None:
    """``tariff_at`` for a fee: one plain query, no subscriptions loaded (``tariff_rules`` keeps
    them with the tariff's rules); the hot path of the operator API."""
    with connection.cursor() as cur:
        cur.execute(TARIFF_IN_FORCE_SQL, {"zone": zone.pk, "day": day})
        row = cur.fetchone()
    if row is None:
        return None
    tariff = Tariff.from_db(connection.alias, _TARIFF_COLUMNS, row)
    tariff.zone = zone
    return tariff


#: a tariff's pure rules by (id, version, city centre?): a saved change of a tariff or of its
#: subscriptions moves its version on (Subscription.versioned_whole), a zone's kind is in the
#: key, so a stale entry is never used; per process, bounded
_RULES: dict[tuple[int, int, bool], rules.Tariff] = {}
RULES_KEPT = 512


def tariff_rules(tariff: Tariff) -> rules.Tariff:
    """``tariff.as_rules()`` (with its stored subscriptions), built once per tariff version."""
    key = (tariff.pk, tariff.version, tariff.city_centre)
    found = _RULES.get(key)
    if found is None:
        found = tariff.as_rules()
        if len(_RULES) >= RULES_KEPT:
            _RULES.clear()
        _RULES[key] = found
    return found


def zones_at_point(x: float, y: float, srid: int = STORAGE_SRID) -> QuerySet[ParkingZone]:
    """Zones at (easting/longitude, northing/latitude) as the operators' API names them (lon,
    lat); ``PointError`` (with the parameter at fault) for a bad point."""
    return zones_at(stored_point(x, y, srid))


def zones_at(point: Point) -> QuerySet[ParkingZone]:
    """Zones at a point (storage SRID; ``layers.points`` builds it from a query)."""
    return ParkingZone.objects.filter(retired_at__isnull=True,
                                      geom__intersects=point).order_by("code")


@dataclass
class FeeResult:
    zone: ParkingZone
    tariff: Tariff
    fee: rules.Fee

    def as_json(self) -> dict:
        f = self.fee
        return {
            "zone": {"id": self.zone.id, "code": self.zone.code, "name": self.zone.name,
                     "city_centre": self.zone.kind == ParkingZone.Kind.CITY_CENTRE},
            "tariff": {"id": self.tariff.id,
                       "resolution": self.tariff.resolution_number,
                       "valid_from": self.tariff.valid_from.isoformat()},
            "total": str(f.total),
            "currency": "PLN",
            "paid_minutes": f.paid_minutes,
            "exemption": f.exemption,
            "days": [{
                "date": d.day.isoformat(), "from": d.start.time().isoformat("minutes"),
                "to": d.end.time().isoformat("minutes"), "paid_minutes": d.paid_minutes,
                "billed_minutes": d.billed_minutes, "amount": str(d.amount),
                "hours": [{"hour": h, "minutes": m, "rate": str(r), "amount": str(a)}
                          for h, m, r, a in d.hours],
            } for d in f.days],
        }


def fee_for(zone: ParkingZone, start: datetime, end: datetime,
            vehicle: rules.Vehicle = rules.Vehicle.ORDINARY,
            subscription: str | None = None) -> FeeResult:
    """The fee of a stay under the tariff valid on the day it starts (local time)."""
    tz = timezone.get_current_timezone()
    if timezone.is_aware(start):
        start = timezone.make_naive(start, tz)
    if timezone.is_aware(end):
        end = timezone.make_naive(end, tz)
    tariff = tariff_in_force(zone, start.date())
    if tariff is None:
        raise TariffError([_("zone %(code)s has no tariff valid on %(day)s")
                           % {"code": zone.code, "day": start.date().isoformat()}])
    return FeeResult(zone, tariff, rules.calculate_fee(tariff_rules(tariff), start, end, vehicle,
                                                       subscription))
