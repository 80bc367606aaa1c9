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
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from layers.models import Municipality, ParkingZone
from registers.parking import rules, services
from registers.parking.models import Operator, ParkingSession, Tariff

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


_OPERATOR_COLUMNS = [f.attname for f in Operator._meta.concrete_fields]
_SERVED = Operator.municipalities.through._meta.db_table
# the operator and the towns it serves in one round trip (every API call needs both)
OPERATOR_SQL = f"""
SELECT {", ".join(f"o.{c}" for c in _OPERATOR_COLUMNS)},
       ARRAY(SELECT s.municipality_id FROM {_SERVED} s WHERE s.operator_id = o.id)
FROM parking_operator o WHERE o.token_prefix = %s AND o.active
"""


def operator_for_token(header: str) -> Operator | None:
    """The active operator whose token is in ``Authorization: Bearer <token>``, or None.

    The token is looked up on every call (a rotated or deactivated token stops at once); the
    answer carries the towns the operator serves as they were read with it (``served_ids``)."""
    scheme, _sep, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or "." not in token or len(token) > 200:
        return None
    prefix = token.split(".", 1)[0]
    with connection.cursor() as cur:
        cur.execute(OPERATOR_SQL, [prefix])
        row = cur.fetchone()
    if row is None:
        return None
    op = Operator.from_db(connection.alias, _OPERATOR_COLUMNS, row[:-1])
    if not constant_time_compare(op.token_hash, _digest(token)):
        return None
    op._served_ids = frozenset(row[-1])  # type: ignore[attr-defined]
    return op


def served_ids(op: Operator) -> frozenset[int]:
    """The municipalities ``op`` serves: as read with its token, else from the database."""
    served = getattr(op, "_served_ids", None)
    if served is None:
        served = frozenset(op.municipalities.values_list("pk", flat=True))
    return served


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


_ZONE_COLUMNS = [f.attname for f in ParkingZone._meta.concrete_fields
                 if f.attname in {"id", "code", "name", "kind", "municipality_id"}]
_TOWN_COLUMNS = [f.attname for f in Municipality._meta.concrete_fields
                 if f.attname in {"id", "name", "teryt"}]
ZONE_SQL = f"""
SELECT {", ".join(f"z.{c}" for c in _ZONE_COLUMNS)}, {", ".join(f"m.{c}" for c in _TOWN_COLUMNS)}
FROM layers_parkingzone z JOIN layers_municipality m ON m.id = z.municipality_id
WHERE z.id = %s AND z.retired_at IS NULL
"""


def _zone_by_id(pk: int) -> ParkingZone | None:
    """An active zone with its town, without its geometry (the API never needs it)."""
    if not -(2**63) <= pk < 2**63:
        return None
    with connection.cursor() as cur:
        cur.execute(ZONE_SQL, [pk])
        row = cur.fetchone()
    if row is None:
        return None
    zone = ParkingZone.from_db(connection.alias, _ZONE_COLUMNS, row[:len(_ZONE_COLUMNS)])
    zone.municipality = Municipality.from_db(connection.alias, _TOWN_COLUMNS,
                                             row[len(_ZONE_COLUMNS):])
    return zone


def zone_of(op: Operator, body: dict) -> ParkingZone:
    """The zone by id, or the zone at ``location`` {lon, lat} (WGS 84); served towns only."""
    zone = None
    if body.get("zone") is not None:
        raw = body["zone"]
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _bad("zone", _("zone must be the zone's id (a whole number)"))
        zone = _zone_by_id(raw)
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
            served = served_ids(op)
            zones = services.zones_at_point(lon, lat, 4326)
            zone = zones.filter(municipality_id__in=served).first() or zones.first()
        except services.PointError as exc:
            raise _bad("location", str(exc)) from None
        if zone is None:
            raise ApiError(404, "no_zone", _("no paid-parking zone at this point"),
                           field="location")
    else:
        raise _bad("zone", _("give zone (its id) or location {\"lon\", \"lat\"}"))
    if zone.municipality_id not in served_ids(op):
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


_SESSION_COLUMNS = [f.attname for f in ParkingSession._meta.concrete_fields]
_TARIFF_COLUMNS = [f.attname for f in Tariff._meta.concrete_fields]
# a session with its zone (no geometry), town and tariff in one round trip, by hand: the ORM's
# compiling of the same select_related query cost more CPU than running it
LOAD_SQL = f"""
SELECT {", ".join(f"s.{c}" for c in _SESSION_COLUMNS)},
       {", ".join(f"z.{c}" for c in _ZONE_COLUMNS)}, {", ".join(f"m.{c}" for c in _TOWN_COLUMNS)},
       {", ".join(f"t.{c}" for c in _TARIFF_COLUMNS)}
FROM parking_parkingsession s
JOIN layers_parkingzone z ON z.id = s.zone_id
JOIN layers_municipality m ON m.id = s.municipality_id
JOIN parking_tariff t ON t.id = s.tariff_id
WHERE s.operator_id = %s AND s.external_id = %s
"""


def _load(op: Operator, sid: str, *, lock: bool) -> ParkingSession:
    """The operator's session ``sid`` with its zone, town and tariff (locked: FOR UPDATE)."""
    with connection.cursor() as cur:
        cur.execute(LOAD_SQL + (" FOR UPDATE OF s" if lock else ""), [op.pk, sid])
        row = cur.fetchone()
    if row is None:
        raise ApiError(404, "no_session", _("no session %(id)s of this operator")
                       % {"id": json.dumps(sid)})
    db, ns, nz, nm = (connection.alias, len(_SESSION_COLUMNS), len(_ZONE_COLUMNS),
                      len(_TOWN_COLUMNS))
    s = ParkingSession.from_db(db, _SESSION_COLUMNS, row[:ns])
    s.zone = ParkingZone.from_db(db, _ZONE_COLUMNS, row[ns:ns + nz])
    s.municipality = Municipality.from_db(db, _TOWN_COLUMNS, row[ns + nz:ns + nz + nm])
    s.tariff = Tariff.from_db(db, _TARIFF_COLUMNS, row[ns + nz + nm:])
    s.zone.municipality = s.municipality
    s.tariff.zone = s.zone
    return s


# The idempotent start in one statement: a repeated session id inserts nothing (and returns
# no row), so no lookup runs before the insert and no savepoint is needed around it.
START_SQL = """
INSERT INTO parking_parkingsession (version, operator_id, external_id, municipality_id, zone_id,
    tariff_id, plate, start_time, end_time, amount, fee, status, start_digest, created_at,
    updated_at)
VALUES (1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (operator_id, external_id) DO NOTHING
RETURNING id
"""


def _exists(op: Operator, sid: str) -> bool:
    return ParkingSession.objects.filter(operator=op, external_id=sid).exists()


def session_start(op: Operator, body: dict) -> Answer:
    sid = external_id(body.get("session_id"))
    reg = plate(body.get("registration_number"))
    start, end = utc_time(body, "start_time"), utc_time(body, "end_time")
    paid = amount(body)
    zone = zone_of(op, body)
    digest = _start_digest(zone, reg, start, end, paid)
    try:
        result = _fee(zone, start, end, paid)
    except ApiError:
        if _exists(op, sid):  # a repeat is answered by the stored session, whatever the fee
            return _repeat(op, sid, digest)
        raise
    now = timezone.now()
    fee = _cents(result.fee.total)
    with connection.cursor() as cur:
        cur.execute(START_SQL, [op.pk, sid, zone.municipality_id, zone.pk, result.tariff.pk,
                                reg, start, end, paid, fee, ParkingSession.Status.ACTIVE,
                                digest, now, now])
        row = cur.fetchone()
    if row is None:  # the id is taken: a retry, or the same id at the same moment
        return _repeat(op, sid, digest)
    s = ParkingSession(id=row[0], version=1, operator=op, external_id=sid,
                       municipality=zone.municipality, zone=zone, tariff=result.tariff,
                       plate=reg, start_time=start, end_time=end, amount=paid, fee=fee,
                       status=ParkingSession.Status.ACTIVE, start_digest=digest,
                       created_at=now, updated_at=now)
    return Answer(201, session_json(s))


def _cents(value: Decimal) -> Decimal:
    """A money amount as the numeric(8, 2) column gives it back (two decimals)."""
    return value.quantize(Decimal("0.01"))


def _update(s: ParkingSession, **values: Any) -> None:
    """Store ``values`` and the next version of ``s`` (locked by the caller), stamped now."""
    values.update(version=s.version + 1, updated_at=timezone.now())
    columns = ", ".join(f"{name} = %s" for name in values)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE parking_parkingsession SET {columns} WHERE id = %s",
                    [*values.values(), s.pk])
    for name, value in values.items():
        setattr(s, name, value)


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
    _update(s, end_time=end, amount=paid, fee=_cents(result.fee.total))
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
    _update(s, end_time=stop, status=ParkingSession.Status.STOPPED)
    return Answer(200, session_json(s))


def session_get(op: Operator, sid: str) -> Answer:
    return Answer(200, session_json(_load(op, sid, lock=False)))
