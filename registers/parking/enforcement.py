"""Enforcement: a controller checks a car at a point and issues surcharge notices.

Registration numbers are personal data: every check and every read of notices is audited
(``read_owners``, the project's personal-data read), and a controller sees only the towns where
he holds ``ENFORCE_PARKING``. The check is one indexed query (``parking_session_check_idx``:
plate, zone, end time); see benchmarks/parking_sessions.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gis_app.accounts.access import municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers.domain.srid import STORAGE_SRID
from layers.models import Municipality, ParkingZone
from layers.points import stored_point
from registers.parking import rules, services
from registers.parking.models import (
    Exemption,
    ExemptVehicle,
    MinimumWage,
    NoticePhoto,
    ParkingSession,
    Permit,
    SurchargeNotice,
    Tariff,
)
from registers.parking.retention import plate_ref

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"),
                 "WEBP": ("image/webp", ".webp")}


class EnforcementError(ValueError):
    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def parse_plate(value: Any) -> str:
    try:
        return rules.normalise_plate(value)
    except ValueError:
        raise EnforcementError("plate", _(
            "the registration number %(v)s is malformed: 2–10 letters A–Z and digits with at "
            "least one letter") % {"v": value}) from None


def parse_point(lon: Any, lat: Any) -> Point:
    try:
        return stored_point(float(lon), float(lat), 4326)
    except (TypeError, ValueError):  # PointError is a ValueError
        raise EnforcementError("position", _(
            "the position is missing or not a point: allow the browser to locate you")) from None


def zone_here(user: Any, at: Point) -> ParkingZone:
    """The active zone at ``at`` in a town where ``user`` enforces; EnforcementError if none."""
    towns = municipality_ids(user, Capability.ENFORCE_PARKING)
    zone = (ParkingZone.objects.filter(retired_at__isnull=True, municipality_id__in=towns,
                                       geom__intersects=at)
            .select_related("municipality").order_by("code").first())
    if zone is None:
        raise EnforcementError("position", _("no paid-parking zone of your town at this point"),
                               404)
    return zone


def valid_session(plate: str, zone: ParkingZone, now: datetime) -> ParkingSession | None:
    """The session covering ``now`` for this plate in this zone (the indexed check)."""
    return (ParkingSession.objects.filter(plate=plate, zone=zone, end_time__gte=now,
                                          start_time__lte=now)
            .select_related("operator").order_by("-end_time").first())


def valid_permit(plate: str, zone: ParkingZone, day: date) -> Permit | None:
    """A permit (subscription) of this plate for this zone valid on ``day`` (indexed)."""
    return (Permit.objects.filter(plate=plate, zone=zone, valid_to__gte=day,
                                  valid_from__lte=day, cancelled_at__isnull=True)
            .order_by("-valid_to").first())


def exemptions_here(zone: ParkingZone, day: date) -> QuerySet[Exemption]:
    """The exemptions in force in this zone on ``day``: the road act's (every town) and the
    town's resolution's (the whole town or this zone)."""
    return (Exemption.objects.filter(Q(municipality__isnull=True)
                                     | Q(municipality_id=zone.municipality_id))
            .filter(Q(zone__isnull=True) | Q(zone=zone), valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day)))


#: the on-site exemptions of a zone and day, kept a minute per process (they change a few
#: times a year; a change saved in this process clears them at once, see ``_forget``)
_ON_SITE: dict[tuple[int, date], tuple[float, list[Exemption]]] = {}
ON_SITE_SECONDS = 60.0


def on_site_exemptions(zone: ParkingZone, day: date) -> list[Exemption]:
    import time

    key = (zone.pk, day)
    hit = _ON_SITE.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    found = list(exemptions_here(zone, day).filter(evidence=Exemption.Evidence.ON_SITE)
                 .order_by("kind", "pk"))
    if len(_ON_SITE) > 1000:
        _ON_SITE.clear()
    _ON_SITE[key] = (now + ON_SITE_SECONDS, found)
    return found


def _forget(**_kw: Any) -> None:
    _ON_SITE.clear()


post_save.connect(_forget, sender=Exemption, dispatch_uid="parking_on_site_exemptions")
post_delete.connect(_forget, sender=Exemption, dispatch_uid="parking_on_site_exemptions_d")


# One round trip answers "may this plate stand here now?": a session covering now, else a
# permit valid today, else the plate listed under a registered exemption in force here; each
# branch an index scan (parking_session_check_idx, parking_permit_check_idx,
# parking_exemptvehicle_idx). The row found is loaded only when there is one.
COVER_SQL = """
(SELECT 1, id FROM parking_parkingsession
  WHERE plate = %(plate)s AND zone_id = %(zone)s AND end_time >= %(now)s
    AND start_time <= %(now)s
  ORDER BY end_time DESC LIMIT 1)
UNION ALL
(SELECT 2, id FROM parking_permit
  WHERE plate = %(plate)s AND zone_id = %(zone)s AND valid_to >= %(day)s
    AND valid_from <= %(day)s AND cancelled_at IS NULL
  ORDER BY valid_to DESC LIMIT 1)
UNION ALL
(SELECT 3, v.id FROM parking_exemptvehicle v
  JOIN parking_exemption e ON e.id = v.exemption_id
  WHERE v.plate = %(plate)s AND v.valid_from <= %(day)s
    AND (v.valid_to IS NULL OR v.valid_to >= %(day)s) AND e.evidence = 'registered'
    AND (e.municipality_id IS NULL OR e.municipality_id = %(town)s)
    AND (e.zone_id IS NULL OR e.zone_id = %(zone)s) AND e.valid_from <= %(day)s
    AND (e.valid_to IS NULL OR e.valid_to >= %(day)s)
  LIMIT 1)
ORDER BY 1 LIMIT 1
"""


def _cover(plate: str, zone: ParkingZone, now: datetime, day: date
           ) -> tuple[ParkingSession | None, Permit | None, Exemption | None]:
    with connection.cursor() as cur:
        cur.execute(COVER_SQL, {"plate": plate, "zone": zone.pk, "now": now, "day": day,
                                "town": zone.municipality_id})
        row = cur.fetchone()
    return _cover_of(row)


def _cover_of(row: tuple | None
              ) -> tuple[ParkingSession | None, Permit | None, Exemption | None]:
    """The session, permit or exemption a cover row (branch, id) names, loaded."""
    if row is None or row[0] is None:
        return None, None, None
    branch, pk = row
    if branch == 1:
        return ParkingSession.objects.select_related("operator").get(pk=pk), None, None
    if branch == 2:
        return None, Permit.objects.get(pk=pk), None
    return None, None, ExemptVehicle.objects.select_related("exemption").get(pk=pk).exemption


@dataclass
class Check:
    plate: str
    zone: ParkingZone
    tariff: Tariff | None
    charged_now: bool
    session: ParkingSession | None
    at: datetime
    permit: Permit | None = None
    exemption: Exemption | None = None
    #: the exemptions a controller may see on site here (offered when the car has no cover)
    on_site: list[Exemption] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return (not self.charged_now or self.session is not None or self.permit is not None
                or self.exemption is not None)

    def as_json(self) -> dict:
        s = self.session
        t = self.tariff
        e = self.exemption
        return {
            "plate": self.plate, "valid": self.valid, "charged_now": self.charged_now,
            "checked_at": timezone.localtime(self.at).isoformat(timespec="seconds"),
            "zone": {"id": self.zone.id, "code": self.zone.code, "name": self.zone.name,
                     "municipality": self.zone.municipality.name},
            "session": None if s is None else {
                "operator": s.operator.name,
                "start": timezone.localtime(s.start_time).isoformat(timespec="minutes"),
                "end": timezone.localtime(s.end_time).isoformat(timespec="minutes")},
            "permit": None if self.permit is None else {
                "kind": self.permit.get_kind_display(),
                "valid_to": self.permit.valid_to.isoformat()},
            "exemption": None if e is None else {
                "id": e.pk, "kind": e.get_kind_display(), "legal_basis": e.legal_basis},
            "exemptions_on_site": [{"id": x.pk, "kind": x.get_kind_display(),
                                    "legal_basis": x.legal_basis} for x in self.on_site],
            "surcharge": None if t is None or t.surcharge is None else str(t.surcharge),
            "surcharge_reduced": None if t is None or t.surcharge_reduced is None
            else str(t.surcharge_reduced),
        }


def _tariff_at(zone: ParkingZone, day: date) -> Tariff | None:
    """The tariff in force, in one query (the check needs no subscriptions)."""
    return (Tariff.objects.filter(zone=zone, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .order_by("-valid_from").first())


_TARIFF_FIELDS = [f.attname for f in Tariff._meta.concrete_fields]
# from_db takes a partial row in the model's field order
_ZONE_FIELDS = [f.attname for f in ParkingZone._meta.concrete_fields
                if f.attname in {"id", "code", "name", "kind", "municipality_id"}]
_TOWN_FIELDS = [f.attname for f in Municipality._meta.concrete_fields
                if f.attname in {"id", "name", "teryt"}]
ZONE_TARIFF_SQL = f"""
SELECT {", ".join(f"t.{c}" for c in _TARIFF_FIELDS)},
       {", ".join(f"z.{c}" for c in _ZONE_FIELDS)}, {", ".join(f"m.{c}" for c in _TOWN_FIELDS)}
FROM layers_parkingzone z
JOIN layers_municipality m ON m.id = z.municipality_id
JOIN parking_tariff t ON t.zone_id = z.id
WHERE z.retired_at IS NULL AND z.municipality_id = ANY(%(towns)s)
  AND ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), {STORAGE_SRID}))
  AND t.valid_from <= %(day)s AND (t.valid_to IS NULL OR t.valid_to >= %(day)s)
ORDER BY z.code, t.valid_from DESC
LIMIT 1
"""


# The zone, its tariff and the plate's cover in one round trip: the cover query (COVER_SQL)
# runs beside the zone as a lateral join; the check uses its answer only in a paid hour.
ZONE_TARIFF_COVER_SQL = ZONE_TARIFF_SQL.replace(
    "\nFROM layers_parkingzone z\n",
    ", cover.branch, cover.pk\nFROM layers_parkingzone z\n").replace(
    "\nWHERE z.retired_at IS NULL",
    "\nLEFT JOIN LATERAL (" + COVER_SQL.replace("%(zone)s", "z.id").replace(
        "%(town)s", "z.municipality_id") + ") AS cover(branch, pk) ON true"
    "\nWHERE z.retired_at IS NULL")


def _zone_and_tariff(user: Any, at: Point, day: date, plate: str | None = None,
                     now: datetime | None = None
                     ) -> tuple[ParkingZone, Tariff | None, tuple | None]:
    """The zone at ``at`` in the controller's towns with its tariff in force and its town, in
    one round trip of hand-written SQL (the ORM's compiling of the same query cost more than
    running it); a zone without a tariff in force in a second query. With ``plate`` and
    ``now`` the same round trip looks for the plate's cover there (COVER_SQL's row)."""
    towns = sorted(municipality_ids(user, Capability.ENFORCE_PARKING))
    params: dict[str, Any] = {"towns": towns, "x": at.x, "y": at.y, "day": day}
    with connection.cursor() as cur:
        if plate is None:
            cur.execute(ZONE_TARIFF_SQL, params)
        else:
            cur.execute(ZONE_TARIFF_COVER_SQL, {**params, "plate": plate, "now": now})
        row = cur.fetchone()
    if row is None:
        return zone_here(user, at), None, None
    nt, nz, nm = len(_TARIFF_FIELDS), len(_ZONE_FIELDS), len(_TOWN_FIELDS)
    db = connection.alias
    tariff = Tariff.from_db(db, _TARIFF_FIELDS, row[:nt])
    zone = ParkingZone.from_db(db, _ZONE_FIELDS, row[nt:nt + nz])  # the rest deferred
    zone.municipality = Municipality.from_db(db, _TOWN_FIELDS, row[nt + nz:nt + nz + nm])
    tariff.zone = zone
    return zone, tariff, (tuple(row[nt + nz + nm:]) if plate is not None else None)


def _on_site_exemption(raw: Any, zone: ParkingZone, day: date) -> Exemption:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        pk = None
    e = exemptions_here(zone, day).filter(pk=pk, evidence=Exemption.Evidence.ON_SITE).first() \
        if pk is not None else None
    if e is None:
        raise EnforcementError("exemption", _(
            "exemption %(v)s is not one seen on site in force in this zone") % {"v": raw})
    return e


def check(user: Any, plate: Any, lon: Any, lat: Any, now: datetime | None = None,
          exemption: Any = None) -> Check:
    """Whether the car may stand here now: a paid hour needs a session covering now, a permit,
    or an exemption (a listed vehicle, or ``exemption``: the id of one the controller saw on
    site, e.g. a parking card on a designated bay)."""
    reg = parse_plate(plate)
    at = parse_point(lon, lat)
    now = now or timezone.now()
    local = timezone.localtime(now)
    day = local.date()
    on_site = exemption not in (None, "")
    zone, tariff, cover = _zone_and_tariff(user, at, day, None if on_site else reg, now)
    charged = False
    if tariff is not None:
        schedule = rules.Schedule(weekdays=rules.parse_weekdays(tariff.paid_weekdays),
                                  start=tariff.paid_from, end=tariff.paid_to)
        window = schedule.window(day)
        naive = timezone.make_naive(now)
        charged = window is not None and window[0] <= naive < window[1]
    session = permit = exempt = None
    if on_site:
        exempt = _on_site_exemption(exemption, zone, day)
    elif charged:
        session, permit, exempt = (_cover_of(cover) if cover is not None
                                   else _cover(reg, zone, now, day))
    result = Check(reg, zone, tariff, charged, session, now, permit, exempt)
    if not result.valid:
        result.on_site = on_site_exemptions(zone, day)
    outcome = Note(gettext_noop("valid")) if result.valid else \
        Note(gettext_noop("no valid session"))
    if permit:
        detail = Note(gettext_noop("%(plate)s in zone %(zone)s (permit): %(outcome)s"),
                      plate=plate_ref(reg), zone=zone.code, outcome=outcome)
    elif exempt:
        detail = Note(gettext_noop("%(plate)s in zone %(zone)s (exemption %(exemption)s: "
                                   "%(kind)s): %(outcome)s"),
                      plate=plate_ref(reg), zone=zone.code, exemption=exempt.pk,
                      kind=dict(Exemption.Kind.choices).get(exempt.kind, exempt.kind),
                      outcome=outcome)
    else:
        detail = Note(gettext_noop("%(plate)s in zone %(zone)s: %(outcome)s"),
                      plate=plate_ref(reg), zone=zone.code, outcome=outcome)
    audit(user, AuditAction.READ_OWNERS, "parking.check", session.pk if session else "",
          municipality_id=zone.municipality_id, detail=detail)
    return result


def surcharge_amounts(tariff: Tariff, day: date) -> tuple[Decimal, Decimal | None]:
    """The resolution's surcharge and reduced surcharge, never above the art. 13f cap."""
    if tariff.surcharge is None:
        raise EnforcementError("tariff", _("the tariff of this zone sets no surcharge: a notice "
                                           "cannot be issued"), 409)
    services.ensure_seed()
    wage = MinimumWage.objects.filter(year=day.year).values_list("amount", flat=True).first()
    cap = rules.caps(wage, tariff.city_centre).surcharge if wage is not None else None
    amount, reduced = tariff.surcharge, tariff.surcharge_reduced
    if cap is not None:
        amount = min(amount, cap)
        reduced = min(reduced, cap) if reduced is not None else None
    return amount, reduced


def validate_photo(f: UploadedFile) -> tuple[str, str]:
    """(content type, extension) of a photo Pillow can read; EnforcementError otherwise."""
    from PIL import Image, UnidentifiedImageError

    if f.size > MAX_PHOTO_BYTES:
        raise EnforcementError("photos", _("photo %(n)s is larger than 10 MB") % {"n": f.name})
    try:
        with Image.open(f) as img:
            fmt = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        fmt = None
    f.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise EnforcementError("photos", _("photo %(n)s is not a JPEG, PNG or WebP image")
                               % {"n": f.name})
    return PHOTO_FORMATS[fmt]


@transaction.atomic
def issue_notice(user: Any, plate: Any, lon: Any, lat: Any,
                 photos: list[UploadedFile] | None = None,
                 now: datetime | None = None) -> SurchargeNotice:
    """Re-check on the server (the page's verdict is not trusted), then issue the notice."""
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        raise EnforcementError("photos", _("at most %(n)s photos") % {"n": MAX_PHOTOS})
    kinds = [validate_photo(p) for p in photos]
    result = check(user, plate, lon, lat, now)
    if result.valid:
        raise EnforcementError("plate", _("the car has a valid session here (or parking is not "
                                          "charged now): no notice"), 409)
    day = timezone.localtime(result.at).date()
    amount, reduced = surcharge_amounts(result.tariff, day)
    t = result.tariff
    notice = SurchargeNotice.objects.create(
        number=f"tmp-{timezone.now().timestamp()}", municipality_id=result.zone.municipality_id,
        zone=result.zone, tariff=t, plate=result.plate, issued_at=result.at,
        geom=parse_point(lon, lat), controller=user, amount=amount, reduced_amount=reduced,
        reduced_until=day + timedelta(days=t.surcharge_reduced_days) if reduced is not None
        else None,
        due_date=day + timedelta(days=t.surcharge_due_days))
    notice.number = f"{result.zone.municipality.teryt}/{day.year}/{notice.pk:06d}"
    notice.save(update_fields=["number"])
    for upload, (ctype, ext) in zip(photos, kinds, strict=True):
        upload.name = f"photo{ext}"
        NoticePhoto.objects.create(notice=notice, file=upload, content_type=ctype,
                                   size=upload.size)
    audit(user, AuditAction.CREATE, "parking.surchargenotice", notice.pk,
          municipality_id=notice.municipality_id,
          after={"number": notice.number, "plate": plate_ref(notice.plate),
                 "zone": result.zone.code, "amount": str(amount), "photos": len(photos)})
    return notice


# --- the notices register (item 3 of #19) -----------------------------------------------------

def notices_for(user: Any) -> QuerySet[SurchargeNotice]:
    return SurchargeNotice.objects.filter(
        municipality_id__in=municipality_ids(user, Capability.MANAGE_SURCHARGES)).select_related(
        "zone", "municipality", "controller", "tariff")


def amount_due(n: SurchargeNotice, on: date) -> Decimal:
    """The reduced amount while its days last, the full amount after."""
    if n.reduced_amount is not None and n.reduced_until is not None and on <= n.reduced_until:
        return n.reduced_amount
    return n.amount


def state(n: SurchargeNotice, today: date) -> str:
    """issued | reminder_due | reminded | ripe (for enforcement) | paid | cancelled."""
    if n.status != SurchargeNotice.Status.ISSUED:
        return n.status
    if today <= n.due_date:
        return "issued"
    if n.reminder_sent_on is None:
        return "reminder_due"
    days = n.tariff.surcharge_reminder_days  # the resolution's parameter (UNCONFIRMED: 7)
    return "ripe" if today > n.reminder_sent_on + timedelta(days=days) else "reminded"


def _locked(user: Any, pk: int, version: int | None) -> SurchargeNotice:
    n = notices_for(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if n is None:
        raise EnforcementError("notice", _("no such notice in your towns"), 404)
    if version is not None and n.version != version:
        raise EnforcementError("version", _("someone else changed this notice after you opened "
                                            "it; reload the list"), 409)
    if n.status != SurchargeNotice.Status.ISSUED:
        raise EnforcementError("status", _("the notice is already %(s)s")
                               % {"s": n.get_status_display()}, 409)
    return n


def _save(user: Any, n: SurchargeNotice, before: dict, fields: list[str]) -> SurchargeNotice:
    n.version += 1
    n.save(update_fields=[*fields, "version"])
    audit(user, AuditAction.UPDATE, "parking.surchargenotice", n.pk,
          municipality_id=n.municipality_id, before=before,
          after={f: str(getattr(n, f)) for f in fields})
    return n


@transaction.atomic
def record_payment(user: Any, pk: int, paid_on: date, paid: Decimal,
                   version: int | None = None) -> SurchargeNotice:
    n = _locked(user, pk, version)
    due = amount_due(n, paid_on)
    if paid < due:
        raise EnforcementError("amount", _("%(paid)s zł is less than the %(due)s zł due on "
                                           "%(day)s") % {"paid": paid, "due": due,
                                                         "day": paid_on.isoformat()})
    before = {"status": n.status}
    n.status, n.paid_on, n.paid_amount = SurchargeNotice.Status.PAID, paid_on, paid
    n.closed_at = timezone.now()
    return _save(user, n, before, ["status", "paid_on", "paid_amount", "closed_at"])


@transaction.atomic
def send_reminder(user: Any, pk: int, today: date, version: int | None = None
                  ) -> SurchargeNotice:
    n = _locked(user, pk, version)
    if state(n, today) != "reminder_due":
        raise EnforcementError("status", _("a reminder is due only after the due date and once"),
                               409)
    before = {"reminder_sent_on": None}
    n.reminder_sent_on = today
    return _save(user, n, before, ["reminder_sent_on"])


@transaction.atomic
def cancel(user: Any, pk: int, reason: str, version: int | None = None) -> SurchargeNotice:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise EnforcementError("reason", _("give the reason for cancelling (e.g. a valid "
                                           "session shown later)"))
    n = _locked(user, pk, version)
    before = {"status": n.status}
    n.status, n.cancel_reason = SurchargeNotice.Status.CANCELLED, reason[:2000]
    n.closed_at = timezone.now()
    return _save(user, n, before, ["status", "cancel_reason", "closed_at"])
