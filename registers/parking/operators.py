"""Payment operators and the parking sessions they register (start, extend, stop).

Every call carries the operator's own session id: ``(operator, external_id)`` is unique, so a
repeated identical call finds the stored session and answers the same, and a call that does not
fit it (other plate, other times, a session already stopped) is a conflict. The fee is computed
by the tariff in force (``services.fee_for``); an amount paid further from it than
``GEOGMINA_PARKING_AMOUNT_TOLERANCE`` (zł, a setting; default 0.00) is refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from layers.models import Municipality, ParkingZone
from registers.parking import rules, services
from registers.parking.models import Operator, ParkingSession

MAX_EXTERNAL_ID = 64
MAX_STAY_DAYS = 31


class ApiError(Exception):
    """A refused call: HTTP status, a machine code and a message naming the problem."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def as_json(self) -> dict:
        return {"error": self.message, "code": self.code, **self.extra}


# --- operators and their tokens ---------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def operator_create(name: str, municipalities: list[Municipality],
                    channel: str = Operator.Channel.APP) -> tuple[Operator, str]:
    """A new operator serving ``municipalities`` and its token (shown once, stored hashed);
    ``channel``: mobile payment or parking meters (the revenue report's split)."""
    prefix = secrets.token_hex(6)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    op = Operator.objects.create(name=name, channel=channel, token_prefix=prefix,
                                 token_hash=_digest(token))
    op.municipalities.set(municipalities)
    return op, token


def operator_rotate_token(op: Operator) -> str:
    """A new token for ``op``; the old one stops working at once."""
    prefix = secrets.token_hex(6)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    Operator.objects.filter(pk=op.pk).update(token_prefix=prefix, token_hash=_digest(token),
                                             version=op.version + 1)
    return token


def operator_for_token(header: str) -> Operator | None:
    """The active operator whose token is in ``Authorization: Bearer <token>``, or None."""
    scheme, _sep, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or "." not in token or len(token) > 200:
        return None
    prefix = token.split(".", 1)[0]
    op = Operator.objects.filter(token_prefix=prefix, active=True).first()
    if op is None or not constant_time_compare(op.token_hash, _digest(token)):
        return None
    return op


# --- parsing the JSON bodies ------------------------------------------------------------------

def _bad(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid", message, field=field)


def parse_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid", _("the request body is not JSON")) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid", _("the request body must be a JSON object"))
    return body


def external_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EXTERNAL_ID \
            or not value.isprintable():
        raise _bad("session_id", _("session_id must be a text of 1–%(n)s printable characters")
                   % {"n": MAX_EXTERNAL_ID})
    return value


def plate(value: Any) -> str:
    try:
        return rules.normalise_plate(value)
    except ValueError:
        raise _bad("registration_number", _(
            "registration_number %(v)s is malformed: 2–10 letters A–Z and digits with at least "
            "one letter (spaces and hyphens are ignored)") % {"v": json.dumps(value)}) from None


def utc_time(body: dict, name: str) -> datetime:
    raw = body.get(name)
    value = None
    if isinstance(raw, str):
        try:
            value = parse_datetime(raw.strip())
        except ValueError:
            value = None
    if value is None:
        raise _bad(name, _("%(p)s must be a date and time in ISO 8601, e.g. "
                           "2026-03-03T07:30:00Z") % {"p": name})
    if timezone.is_naive(value):
        raise _bad(name, _("%(p)s must name its offset (Z for UTC), e.g. 2026-03-03T07:30:00Z")
                   % {"p": name})
    return value.astimezone(UTC)


def amount(body: dict, name: str = "amount") -> Decimal:
    raw = body.get(name)
    try:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidOperation
        value = Decimal(str(raw))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value >= Decimal("1000000") \
            or value != value.quantize(Decimal("0.01")):
        raise _bad(name, _("%(p)s must be a non-negative amount in zł with at most two "
                           "decimals, e.g. \"7.80\"") % {"p": name})
    return value.quantize(Decimal("0.01"))


def zone_of(op: Operator, body: dict) -> ParkingZone:
    """The zone by id, or the zone at ``location`` {lon, lat} (WGS 84); served towns only."""
    zone = None
    if body.get("zone") is not None:
        raw = body["zone"]
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _bad("zone", _("zone must be the zone's id (a whole number)"))
        zone = ParkingZone.objects.filter(pk=raw, retired_at__isnull=True).first()
        if zone is None:
            raise ApiError(404, "no_zone", _("no parking zone %(v)s") % {"v": raw}, field="zone")
    elif body.get("location") is not None:
        loc = body["location"]
        try:
            lon, lat = float(loc["lon"]), float(loc["lat"])
        except (TypeError, KeyError, ValueError):
            raise _bad("location", _("location must be {\"lon\": …, \"lat\": …} in WGS 84 "
                                     "degrees")) from None
        try:
            served = op.municipalities.values_list("pk", flat=True)
            zones = services.zones_at_point(lon, lat, 4326)
            zone = zones.filter(municipality_id__in=served).first() or zones.first()
        except services.PointError as exc:
            raise _bad("location", str(exc)) from None
        if zone is None:
            raise ApiError(404, "no_zone", _("no paid-parking zone at this point"),
                           field="location")
    else:
        raise _bad("zone", _("give zone (its id) or location {\"lon\", \"lat\"}"))
    if not op.municipalities.filter(pk=zone.municipality_id).exists():
        raise ApiError(403, "foreign_town", _(
            "this operator does not serve the municipality of zone %(code)s")
            % {"code": zone.code})
    return zone


# --- the session calls ------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    body: dict


def session_json(s: ParkingSession) -> dict:
    local = timezone.get_current_timezone()

    def both(t: datetime) -> dict:
        return {"utc": t.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "local": timezone.localtime(t, local).isoformat()}

    return {
        "session_id": s.external_id, "status": s.status, "registration_number": s.plate,
        "zone": {"id": s.zone_id, "code": s.zone.code, "municipality": s.municipality.teryt},
        "start_time": both(s.start_time)["utc"], "end_time": both(s.end_time)["utc"],
        "local": {"start_time": both(s.start_time)["local"],
                  "end_time": both(s.end_time)["local"], "time_zone": str(local)},
        "amount": str(s.amount), "fee": str(s.fee), "currency": "PLN",
        "tariff": {"id": s.tariff_id, "resolution": s.tariff.resolution_number},
        "version": s.version,
    }


def tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "GEOGMINA_PARKING_AMOUNT_TOLERANCE", "0.00")))


def _fee(zone: ParkingZone, start: datetime, end: datetime, paid: Decimal):
    if end <= start:
        raise _bad("end_time", _("end_time must be after start_time"))
    if (end - start).days >= MAX_STAY_DAYS:
        raise _bad("end_time", _("a stay may last at most %(n)s days") % {"n": MAX_STAY_DAYS})
    try:
        result = services.fee_for(zone, start, end)
    except services.TariffError as exc:
        raise ApiError(422, "no_tariff", "; ".join(exc.args[0])) from None
    fee = result.fee.total
    if not rules.amount_matches(paid, fee, tolerance()):
        raise ApiError(422, "amount_mismatch", _(
            "the amount %(paid)s zł does not match the fee %(fee)s zł of the tariff in force "
            "(tolerance %(tol)s zł)") % {"paid": paid, "fee": fee, "tol": tolerance()},
            fee=str(fee))
    return result


def _start_digest(zone: ParkingZone, reg: str, start: datetime, end: datetime,
                  paid: Decimal) -> str:
    text = f"{zone.pk}|{reg}|{start.isoformat()}|{end.isoformat()}|{paid}"
    return hashlib.sha256(text.encode()).hexdigest()


def _load(op: Operator, sid: str, *, lock: bool) -> ParkingSession:
    qs = ParkingSession.objects.select_related("zone", "municipality", "tariff")
    if lock:
        qs = qs.select_for_update(of=("self",))
    s = qs.filter(operator=op, external_id=sid).first()
    if s is None:
        raise ApiError(404, "no_session", _("no session %(id)s of this operator")
                       % {"id": json.dumps(sid)})
    return s


def session_start(op: Operator, body: dict) -> Answer:
    sid = external_id(body.get("session_id"))
    reg = plate(body.get("registration_number"))
    start, end = utc_time(body, "start_time"), utc_time(body, "end_time")
    paid = amount(body)
    zone = zone_of(op, body)
    digest = _start_digest(zone, reg, start, end, paid)
    existing = ParkingSession.objects.filter(operator=op, external_id=sid).first()
    if existing is not None:
        return _repeat(op, sid, digest)
    result = _fee(zone, start, end, paid)
    try:
        with transaction.atomic():
            s = ParkingSession.objects.create(
                operator=op, external_id=sid, municipality_id=zone.municipality_id, zone=zone,
                tariff=result.tariff, plate=reg, start_time=start, end_time=end, amount=paid,
                fee=result.fee.total, start_digest=digest)
    except IntegrityError:  # the same id started at the same moment by a retry
        return _repeat(op, sid, digest)
    s = _load(op, sid, lock=False)
    return Answer(201, session_json(s))


def _repeat(op: Operator, sid: str, digest: str) -> Answer:
    s = _load(op, sid, lock=False)
    if s.start_digest != digest:
        raise ApiError(409, "duplicate_session", _(
            "session %(id)s was already started with other data (plate, zone, times or "
            "amount); use a new session_id") % {"id": json.dumps(sid)})
    return Answer(201, session_json(s))


@transaction.atomic
def session_extend(op: Operator, sid: str, body: dict) -> Answer:
    """A new end and the new total paid; repeating the same extension answers the same."""
    end = utc_time(body, "end_time")
    paid = amount(body)
    s = _load(op, sid, lock=True)
    if s.end_time == end and s.amount == paid and s.status == ParkingSession.Status.ACTIVE:
        return Answer(200, session_json(s))
    if s.status != ParkingSession.Status.ACTIVE:
        raise ApiError(409, "stale_session", _("session %(id)s is stopped: it cannot be "
                                               "extended") % {"id": json.dumps(sid)})
    if end <= s.end_time or paid < s.amount:
        raise ApiError(409, "stale_session", _(
            "session %(id)s already ends at %(end)s with %(amount)s zł paid: an extension must "
            "end later and not lower the amount") % {
            "id": json.dumps(sid), "end": s.end_time.isoformat(), "amount": s.amount})
    result = _fee(s.zone, s.start_time, end, paid)
    s.end_time, s.amount, s.fee, s.version = end, paid, result.fee.total, s.version + 1
    s.save(update_fields=["end_time", "amount", "fee", "version", "updated_at"])
    return Answer(200, session_json(s))


@transaction.atomic
def session_stop(op: Operator, sid: str, body: dict) -> Answer:
    """The car left at ``stop_time`` (not after the paid end); the amount stays as paid."""
    stop = utc_time(body, "stop_time")
    s = _load(op, sid, lock=True)
    if s.status == ParkingSession.Status.STOPPED:
        if s.end_time == stop:
            return Answer(200, session_json(s))
        raise ApiError(409, "stale_session", _("session %(id)s was already stopped at %(t)s")
                       % {"id": json.dumps(sid), "t": s.end_time.isoformat()})
    if stop <= s.start_time or stop > s.end_time:
        raise ApiError(409, "stale_session", _(
            "stop_time must lie within the session (%(start)s – %(end)s)") % {
            "start": s.start_time.isoformat(), "end": s.end_time.isoformat()})
    s.end_time, s.status, s.version = stop, ParkingSession.Status.STOPPED, s.version + 1
    s.save(update_fields=["end_time", "status", "version", "updated_at"])
    return Answer(200, session_json(s))


def session_get(op: Operator, sid: str) -> Answer:
    return Answer(200, session_json(_load(op, sid, lock=False)))
