"""Revenue and estimated occupancy per zone, day and hour (zone-local time, Europe/Warsaw).

One set-based query per report: every session is cut into the local hours it touches
(``generate_series`` over its hours), and each piece counts its minutes inside that hour; the
paid hours come from the tariff in force each day (its days, hours and the Polish calendar,
``rules.Schedule.window``), computed in Python per zone and day and handed to the query as
arrays. Estimated occupancy of an hour = occupied session-minutes / (bays × 60); of a day or a
period = the mean over its paid hours. Revenue of a session counts in the hour (and day) it
started, as in the daily report (``selectors.revenue_rows``); permits and surcharges carry only
a date, so they appear in the daily figures, not in the hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from layers.models import ParkingZone
from registers.parking.models import Tariff, ZoneOccupancy

ZERO = Decimal("0")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _tz() -> str:
    return str(timezone.get_current_timezone())


def zones_in(municipality_ids: set[int], zone_id: int | None = None) -> list[ParkingZone]:
    qs = ParkingZone.objects.filter(municipality_id__in=municipality_ids,
                                    retired_at__isnull=True).select_related("municipality")
    if zone_id is not None:
        qs = qs.filter(pk=zone_id)
    return list(qs.order_by("municipality__name", "code"))


def tariffs_by_zone(zone_ids: list[int]) -> dict[int, list[Tariff]]:
    out: dict[int, list[Tariff]] = defaultdict(list)
    for t in Tariff.objects.filter(zone_id__in=zone_ids).order_by("zone_id", "valid_from"):
        out[t.zone_id].append(t)
    return out


def tariff_on(tariffs: list[Tariff], day: date) -> Tariff | None:
    """The tariff in force on ``day`` (the latest that started on or before it and has not
    ended)."""
    found = None
    for t in tariffs:
        if t.valid_from <= day and (t.valid_to is None or day <= t.valid_to):
            found = t
    return found


def paid_windows(zones: list[ParkingZone], period: Period,
                 tariffs: dict[int, list[Tariff]]) -> tuple[list[int], list[datetime],
                                                             list[datetime]]:
    """(zone ids, starts, ends) of every paid window in the period: the tariff in force each
    day, its paid days and hours, public holidays unpaid (one calendar with the fee)."""
    tz = timezone.get_current_timezone()
    ids: list[int] = []
    los: list[datetime] = []
    his: list[datetime] = []
    for z in zones:
        schedules: dict[int, Any] = {}
        for day in period.days:
            t = tariff_on(tariffs.get(z.id, []), day)
            if t is None:
                continue
            if t.pk not in schedules:
                try:
                    schedules[t.pk] = t.as_rules(subscription_kinds=frozenset()).schedule
                except ValueError:
                    schedules[t.pk] = None
            schedule = schedules[t.pk]
            window = schedule.window(day) if schedule else None
            if window:
                ids.append(z.id)
                los.append(timezone.make_aware(window[0], tz))
                his.append(timezone.make_aware(window[1], tz))
    return ids, los, his


HOURLY_SQL = """
WITH s AS (
    SELECT s.zone_id, s.start_time, s.end_time, s.amount, o.channel,
           s.start_time AT TIME ZONE %(tz)s AS lstart, s.end_time AT TIME ZONE %(tz)s AS lend
    FROM parking_parkingsession s JOIN parking_operator o ON o.id = s.operator_id
    WHERE s.zone_id = ANY(%(zones)s)
      AND s.end_time > (%(start)s::timestamp AT TIME ZONE %(tz)s)
      AND s.start_time < (%(stop)s::timestamp AT TIME ZONE %(tz)s)),
hours AS (
    SELECT z.zone_id, h AS lhour
    FROM unnest(%(zones)s::bigint[]) AS z(zone_id)
    CROSS JOIN generate_series(%(start)s::timestamp, %(stop)s::timestamp - interval '1 hour',
                               interval '1 hour') AS h),
occupied AS (
    -- every session cut into the local hours it touches: its minutes inside each hour
    SELECT s.zone_id, h AS lhour,
           -- never below zero (the hour that does not exist when the clocks go forward)
           sum(greatest(extract(epoch FROM
                   least(s.end_time, (h + interval '1 hour') AT TIME ZONE %(tz)s)
                   - greatest(s.start_time, h AT TIME ZONE %(tz)s)), 0)) / 60 AS minutes
    FROM s CROSS JOIN LATERAL generate_series(date_trunc('hour', s.lstart), s.lend,
                                              interval '1 hour') AS h
    WHERE h < s.lend AND h >= %(start)s::timestamp AND h < %(stop)s::timestamp
    GROUP BY 1, 2),
started AS (
    SELECT zone_id, date_trunc('hour', lstart) AS lhour, count(*) AS n,
           sum(amount) FILTER (WHERE channel = 'app') AS app,
           sum(amount) FILTER (WHERE channel = 'meter') AS meter,
           avg(extract(epoch FROM end_time - start_time) / 60) AS minutes
    FROM s WHERE lstart >= %(start)s::timestamp AND lstart < %(stop)s::timestamp
    GROUP BY 1, 2),
w AS (
    SELECT zone_id, lo AT TIME ZONE %(tz)s AS llo, hi AT TIME ZONE %(tz)s AS lhi
    FROM unnest(%(wzones)s::bigint[], %(wlo)s::timestamptz[], %(whi)s::timestamptz[])
         AS w(zone_id, lo, hi)),
paid AS (
    SELECT w.zone_id, h AS lhour,
           sum(extract(epoch FROM least(w.lhi, h + interval '1 hour') - greatest(w.llo, h)))
               / 60 AS minutes
    FROM w CROSS JOIN LATERAL generate_series(date_trunc('hour', w.llo), w.lhi,
                                              interval '1 hour') AS h
    WHERE h < w.lhi
    GROUP BY 1, 2)
SELECT h.zone_id, h.lhour, coalesce(st.n, 0), coalesce(st.app, 0), coalesce(st.meter, 0),
       round(st.minutes), coalesce(oc.minutes, 0), coalesce(p.minutes, 0)
FROM hours h
LEFT JOIN started st ON st.zone_id = h.zone_id AND st.lhour = h.lhour
LEFT JOIN occupied oc ON oc.zone_id = h.zone_id AND oc.lhour = h.lhour
LEFT JOIN paid p ON p.zone_id = h.zone_id AND p.lhour = h.lhour
ORDER BY h.zone_id, h.lhour
"""


def _pct(minutes: float, bays: int | None, hours: int = 1) -> Decimal | None:
    if not bays or hours <= 0:
        return None
    return (Decimal(str(minutes)) * 100 / (Decimal(bays) * 60 * hours)).quantize(
        Decimal("0.1"))


def hourly_rows(municipality_ids: set[int], start: date, end: date,
                zone_id: int | None = None) -> list[dict[str, Any]]:
    """One row per zone and local hour of ``start``..``end`` (inclusive): sessions started in
    the hour and their average stay, revenue by channel (mobile app, parking meter) of those
    sessions, occupied session-minutes inside the hour, the zone's bays, the hour's estimated
    occupancy in per cent (None without a bay count) and whether the tariff charges in it."""
    zones = zones_in(municipality_ids, zone_id) if municipality_ids else []
    if not zones:
        return []
    period = Period(start, end)
    tariffs = tariffs_by_zone([z.id for z in zones])
    wz, wlo, whi = paid_windows(zones, period, tariffs)
    # JIT off: the per-session generate_series is estimated at 1,000 rows each, so the planner
    # would compile (and inline) the query for seconds to save milliseconds (measured in
    # benchmarks/parking_revenue.py: 4.7 s → 2.3 s at 200,000 sessions)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '64MB'")  # hash the hour pieces, no sort on disk
        cur.execute(HOURLY_SQL, {
            "tz": _tz(), "zones": [z.id for z in zones], "start": start,
            "stop": end + timedelta(days=1), "wzones": wz, "wlo": wlo, "whi": whi})
        raw = cur.fetchall()
    by_id = {z.id: z for z in zones}
    bays = _bays(by_id)
    out = []
    for zid, lhour, n, app, meter, avg_minutes, occupied, paid_minutes in raw:
        z = by_id[zid]
        out.append({
            "zone_id": zid, "municipality": z.municipality.name, "zone": z.code,
            "day": lhour.date(), "hour": lhour.hour, "paid": paid_minutes > 0,
            "sessions": n, "avg_minutes": avg_minutes, "app": app, "meter": meter,
            "session_revenue": app + meter, "occupied_minutes": round(float(occupied), 1),
            "bays": bays.get(zid), "occupancy": _pct(float(occupied), bays.get(zid))})
    return out


def _bays(zones: dict[int, ParkingZone]) -> dict[int, int]:
    from registers.parking.models import ZoneCapacity

    return dict(ZoneCapacity.objects.filter(zone_id__in=list(zones)).values_list(
        "zone_id", "bays"))


def day_summary(hours: list[dict[str, Any]]) -> dict[tuple[int, date], dict[str, Any]]:
    """Per (zone, day): paid hours and the mean occupancy over them (None: no paid hour or no
    bay count)."""
    acc: dict[tuple[int, date], list[dict[str, Any]]] = defaultdict(list)
    for h in hours:
        acc[(h["zone_id"], h["day"])].append(h)
    out = {}
    for key, rows in acc.items():
        paid = [r for r in rows if r["paid"]]
        occupied = sum(r["occupied_minutes"] for r in paid)
        bays = rows[0]["bays"]
        out[key] = {"paid_hours": len(paid),
                    "occupancy": _pct(occupied, bays, len(paid)) if paid else None}
    return out


def _mean(values: list[Decimal]) -> Decimal | None:
    return (sum(values, ZERO) / len(values)).quantize(Decimal("0.01")) if values else None


def tariff_changes(tariffs: list[Tariff], days: list[dict[str, Any]],
                   period: Period) -> list[dict[str, Any]]:
    """Each tariff that came into force inside the period (after its first day), with the
    average daily revenue and occupancy over the paid days before it (since the period's start
    or the previous change) and after it (until the next change or the period's end)."""
    changes = [t for t in tariffs if period.start < t.valid_from <= period.end]
    bounds = [period.start] + [t.valid_from for t in changes] + [period.end + timedelta(days=1)]
    paid_days = [d for d in days if d["paid_hours"]]

    def stats(lo: date, hi: date) -> dict[str, Any]:
        sel = [d for d in paid_days if lo <= d["day"] < hi]
        occ = [d["occupancy"] for d in sel if d["occupancy"] is not None]
        return {"from": lo, "to": hi - timedelta(days=1), "days": len(sel),
                "revenue": _mean([d["total"] for d in sel]),
                "occupancy": (sum(occ, ZERO) / len(occ)).quantize(Decimal("0.1"))
                if occ else None}

    out = []
    for i, t in enumerate(changes):
        out.append({"date": t.valid_from, "resolution": t.resolution_number,
                     "first_hour": t.first_hour,
                     "before": stats(bounds[i], bounds[i + 1]),
                     "after": stats(bounds[i + 1], bounds[i + 2])})
    return out


def zone_report(municipality_ids: set[int], zone_id: int, start: date,
                end: date) -> dict[str, Any] | None:
    """The charts' data for one zone: days (revenue by channel incl. permits and surcharges,
    sessions, average stay, occupancy over the paid hours), hours, and tariff changes with
    their before/after. None when the zone is not in the viewer's towns."""
    from registers.parking.selectors import revenue_rows

    zones = zones_in(municipality_ids, zone_id)
    if not zones:
        return None
    z = zones[0]
    hours = hourly_rows({z.municipality_id}, start, end, zone_id=z.id)
    summary = day_summary(hours)
    daily = {r["day"]: r for r in revenue_rows({z.municipality_id}, start, end)
             if r["zone"] == z.code}
    days = []
    for day in Period(start, end).days:
        r = daily.get(day, {})
        s = summary.get((z.id, day), {"paid_hours": 0, "occupancy": None})
        days.append({
            "day": day, "app": r.get("app", ZERO), "meter": r.get("meter", ZERO),
            "permits": r.get("permits", ZERO), "surcharges": r.get("surcharges", ZERO),
            "total": r.get("total", ZERO), "sessions": r.get("sessions", 0),
            "avg_minutes": r.get("avg_minutes"), **s})
    bays = hours[0]["bays"] if hours else None
    return {
        "zone": {"id": z.id, "code": z.code, "name": z.name,
                 "municipality": z.municipality.name, "bays": bays},
        "from": start, "to": end, "days": days,
        "hours": [{k: h[k] for k in ("day", "hour", "paid", "sessions", "avg_minutes", "app",
                                     "meter", "occupied_minutes", "occupancy")}
                  for h in hours],
        "tariff_changes": tariff_changes(tariffs_by_zone([z.id]).get(z.id, []), days,
                                         Period(start, end)),
    }


def refresh_zone_occupancy(municipality_ids: set[int] | None = None, today: date | None = None,
                           days: int = 7) -> int:
    """Store each zone's mean occupancy over the paid hours of the last ``days`` full days
    (yesterday back) and its session revenue, for the map's occupancy layer. Returns the number
    of zones written."""
    from layers.models import Municipality

    today = today or timezone.localdate()
    start, end = today - timedelta(days=days), today - timedelta(days=1)
    towns = municipality_ids if municipality_ids is not None else set(
        Municipality.objects.values_list("id", flat=True))
    hours = hourly_rows(towns, start, end)
    acc: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for h in hours:
        acc[h["zone_id"]].append(h)
    now = timezone.now()
    with transaction.atomic():
        for zid, rows in acc.items():
            paid = [r for r in rows if r["paid"]]
            occupied = sum(r["occupied_minutes"] for r in paid)
            ZoneOccupancy.objects.update_or_create(zone_id=zid, defaults={
                "period_from": start, "period_to": end, "paid_hours": len(paid),
                "occupancy": _pct(occupied, rows[0]["bays"], len(paid)) if paid else None,
                "revenue": sum((r["session_revenue"] for r in rows), ZERO),
                "computed_at": now})
    return len(acc)
