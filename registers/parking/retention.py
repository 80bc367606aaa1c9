"""Registration numbers are kept only as long as they are needed (RODO art. 5 ust. 1 lit. e).

Two settings, in days (how long the resolution and the enforcement procedure need them is the
town's decision: UNCONFIRMED in legal-facts, so parameters, not constants):

* ``GEOGMINA_PARKING_SESSION_PLATE_DAYS`` (default 90): after a session's end its plate is
  blanked (the session stays, for revenue and occupancy);
* ``GEOGMINA_PARKING_NOTICE_PLATE_DAYS`` (default 365): after a notice is closed (paid or
  cancelled) its plate is blanked. An open notice keeps its plate: it is still being collected;
* ``GEOGMINA_PARKING_PERMIT_PLATE_DAYS`` (default 365): after a permit ended (or was
  cancelled), and after a listed exempt vehicle's entry ended, its plate is blanked.

The audit log is append-only (a trigger refuses UPDATE and DELETE), so a purge could not blank
a plate written there: audit events never carry the plate itself but ``plate_ref(plate)``, a
keyed hash (``gis_app.audit.log.pseudonym``: HMAC-SHA256 under SECRET_KEY, 16 hex digits).
It answers "was this car checked?" for someone who already has the plate and the key, and
reveals no plate to a reader of the log; a plate purged here leaves nothing readable behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from gis_app.audit.log import Note, audit, pseudonym
from gis_app.audit.models import AuditAction
from registers.parking.models import ExemptVehicle, ParkingSession, Permit, SurchargeNotice


def plate_ref(plate: str) -> str:
    """The pseudonym of a (normalised) plate in the audit log: never the plate itself."""
    return pseudonym("plate", plate)


@dataclass(frozen=True)
class Purged:
    sessions: int
    notices: int
    permits: int = 0


def session_days() -> int:
    return int(getattr(settings, "GEOGMINA_PARKING_SESSION_PLATE_DAYS", 90))


def permit_days() -> int:
    return int(getattr(settings, "GEOGMINA_PARKING_PERMIT_PLATE_DAYS", 365))


def notice_days() -> int:
    return int(getattr(settings, "GEOGMINA_PARKING_NOTICE_PLATE_DAYS", 365))


@transaction.atomic
def purge_plates(now: datetime | None = None) -> Purged:
    """Blank the plates past their retention; one audit event says how many."""
    now = now or timezone.now()
    sessions = (ParkingSession.objects.exclude(plate="")
                .filter(end_time__lt=now - timedelta(days=session_days()))
                .update(plate=""))
    notices = (SurchargeNotice.objects.exclude(plate="")
               .exclude(status=SurchargeNotice.Status.ISSUED)
               .filter(closed_at__lt=now - timedelta(days=notice_days()))
               .update(plate=""))
    permit_cut = now - timedelta(days=permit_days())
    permits = (Permit.objects.exclude(plate="")
               .filter(Q(valid_to__lt=permit_cut.date()) | Q(cancelled_at__lt=permit_cut))
               .update(plate=""))
    permits += (ExemptVehicle.objects.exclude(plate="")
                .filter(valid_to__lt=permit_cut.date()).update(plate=""))
    audit(None, AuditAction.DELETE, "parking.plates", "",
          detail=Note(gettext_noop(
              "retention purge: session plates: %(sessions)s (> %(session_days)s days after "
              "the end), notice plates: %(notices)s (> %(notice_days)s days after closing), "
              "permit and exempt-vehicle plates: %(permits)s (> %(permit_days)s days after "
              "the end)"),
              sessions=sessions, session_days=session_days(), notices=notices,
              notice_days=notice_days(), permits=permits, permit_days=permit_days()))
    return Purged(sessions, notices, permits)
