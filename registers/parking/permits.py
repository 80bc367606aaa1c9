"""Residents' and business permits (abonament, identyfikator) managed by the zone manager.

A permit is for one vehicle in one zone for one of the periods the tariff in force offers, at
that subscription's price (the resolution's fee: ``Subscription`` of the tariff valid on the
first day). Renewing makes the next permit, from the day after the old one ends, at the price
then in force; cancelling keeps the record with its reason (the check ignores it). Edits use
the editing kernel (version, capability, audit); the plate reaches the audit log only as its
pseudonym.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gis_app.accounts.access import municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note
from layers.models import ParkingZone
from registers.common.editing import audit_change, locked_update, require_capability, snapshot
from registers.parking import rules
from registers.parking.models import Permit, Subscription
from registers.parking.retention import plate_ref
from registers.parking.services import tariff_at

AUDITED = ["zone_id", "kind", "valid_from", "valid_to", "period_days", "price", "cancelled_at",
           "cancel_reason", "renewed_from_id", "version"]
STALE = _("Someone else changed this permit after you opened the list. Reload it.")


def permits_for(user: Any) -> QuerySet[Permit]:
    return Permit.objects.filter(
        municipality_id__in=municipality_ids(user, Capability.MANAGE_PERMITS)).select_related(
        "zone", "municipality")


def zones_for(user: Any) -> QuerySet[ParkingZone]:
    return ParkingZone.objects.filter(
        municipality_id__in=municipality_ids(user, Capability.MANAGE_PERMITS),
        retired_at__isnull=True).select_related("municipality").order_by("code")


def offer(zone: ParkingZone, kind: str, period_days: int, day: date) -> Subscription:
    """The tariff's subscription of this kind and period on ``day``; ValidationError if the
    resolution in force offers none."""
    tariff = tariff_at(zone, day)
    sub = None if tariff is None else tariff.subscriptions.filter(
        kind=kind, period_days=period_days).first()
    if sub is None:
        offered = [] if tariff is None else [str(s) for s in tariff.subscriptions.all()]
        raise ValidationError(_(
            "the tariff of zone %(zone)s in force on %(day)s offers no %(kind)s permit for "
            "%(days)s days (it offers: %(offered)s)") % {
            "zone": zone.code, "day": day.isoformat(), "kind": kind, "days": period_days,
            "offered": ", ".join(offered) or _("none")})
    return sub


def _audit(user: Any, p: Permit, before: dict | None, detail: Note) -> None:
    after = snapshot(p, AUDITED) | {"plate": plate_ref(p.plate)}
    audit_change(user, p, before, after, municipality_id=p.municipality_id, detail=detail)


@transaction.atomic
def create(user: Any, zone: ParkingZone, kind: str, plate: str, valid_from: date,
           period_days: int, renewed_from: Permit | None = None) -> Permit:
    require_capability(user, Capability.MANAGE_PERMITS, zone.municipality_id,
                       _("you do not manage permits in this town"))
    try:
        reg = rules.normalise_plate(plate)
    except ValueError:
        raise ValidationError({"plate": _(
            "the registration number %(v)s is malformed: 2–10 letters A–Z and digits with at "
            "least one letter") % {"v": plate}}) from None
    sub = offer(zone, kind, period_days, valid_from)
    p = Permit.objects.create(
        municipality_id=zone.municipality_id, zone=zone, kind=kind, plate=reg,
        valid_from=valid_from, valid_to=valid_from + timedelta(days=period_days - 1),
        period_days=period_days, price=sub.price, renewed_from=renewed_from)
    _audit(user, p, None, Note(gettext_noop("permit %(permit)s created"), permit=p.pk)
           if renewed_from is None
           else Note(gettext_noop("permit %(old)s renewed as %(new)s"), old=renewed_from.pk,
                     new=p.pk))
    return p


def _locked(user: Any, pk: int, version: int | None) -> Permit:
    p = locked_update(permits_for(user).filter(pk=pk), version, stale=STALE,
                      gone=_("no such permit in your towns"))
    if p.cancelled_at is not None:
        raise ValidationError(_("the permit is cancelled"))
    return p


@transaction.atomic
def renew(user: Any, pk: int, version: int | None) -> Permit:
    """The next permit of the same vehicle, zone, kind and period, from the day after this
    one ends (or today, if it has lapsed), at the price in force then."""
    old = _locked(user, pk, version)
    start = max(old.valid_to + timedelta(days=1), timezone.localdate())
    if old.renewals.filter(cancelled_at__isnull=True).exists():
        raise ValidationError(_("this permit has already been renewed"))
    new = create(user, old.zone, old.kind, old.plate, start, old.period_days, renewed_from=old)
    before = snapshot(old, AUDITED)
    old.bump()
    old.save(update_fields=["version"])
    _audit(user, old, before, Note(gettext_noop("renewed as %(new)s"), new=new.pk))
    return new


@transaction.atomic
def cancel(user: Any, pk: int, version: int | None, reason: str) -> Permit:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": _("give the reason for cancelling the permit")})
    p = _locked(user, pk, version)
    before = snapshot(p, AUDITED)
    p.cancelled_at, p.cancel_reason = timezone.now(), reason[:2000]
    p.bump()
    p.save(update_fields=["cancelled_at", "cancel_reason", "version"])
    _audit(user, p, before, Note(gettext_noop("cancelled")))
    return p
