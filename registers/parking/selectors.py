"""Read queries of the parking register: the zones at a plot with their current tariff."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from layers.models import Parcel, ParkingZone
from registers.parking.models import Tariff
from registers.parking.services import tariff_at


def zone_list() -> QuerySet[ParkingZone]:
    """Parking zones and tariffs are public law: every active zone is public."""
    return ParkingZone.objects.filter(retired_at__isnull=True).select_related(
        "municipality").order_by("municipality__name", "code")


def zones_geojson() -> dict[str, Any]:
    """Active zones in WGS 84 for the calculator's map (a town has a handful of zones)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 6)::json,
                'properties', json_build_object('id', id, 'code', code, 'name', name,
                                                'kind', kind)
            )), '[]'::json)
            FROM layers_parkingzone
            WHERE retired_at IS NULL
            """)
        features = cur.fetchone()[0]
    if isinstance(features, str):
        features = json.loads(features)
    return {"type": "FeatureCollection", "features": features}


def tariff_dict(t: Tariff) -> dict[str, Any]:
    return {
        "id": t.id, "resolution_number": t.resolution_number,
        "resolution_date": t.resolution_date, "valid_from": t.valid_from,
        "valid_to": t.valid_to, "rates": [t.first_hour, t.second_hour, t.third_hour,
                                          t.later_hours],
        "step_minutes": t.step_minutes, "minimum_charge": t.minimum_charge,
        "paid_weekdays": t.paid_weekdays, "paid_weekdays_text": t.paid_weekdays_text,
        "paid_from": t.paid_from, "paid_to": t.paid_to,
        "surcharge": t.surcharge, "surcharge_reduced": t.surcharge_reduced,
        "parking_card_zero_rate": t.parking_card_zero_rate,
        "subscriptions": [{"kind": s.get_kind_display(), "period_days": s.period_days,
                           "price": s.price} for s in t.subscriptions.all()],
    }


def card_section(user: Any, parcel: Parcel) -> dict | None:
    """The paid-parking zone(s) over the plot and the tariff valid today (public data).

    None when no zone touches the plot, so the card shows no empty section.
    """
    zones = list(ParkingZone.objects.filter(
        retired_at__isnull=True, municipality_id=parcel.municipality_id,
        geom__intersects=parcel.geom).order_by("code"))
    if not zones:
        return None
    today = timezone.localdate()
    out = []
    for z in zones:
        t = tariff_at(z, today)
        out.append({"id": z.id, "code": z.code, "name": z.name,
                    "city_centre": z.kind == ParkingZone.Kind.CITY_CENTRE,
                    "kind": z.get_kind_display(),
                    "tariff": tariff_dict(t) if t else None})
    return {"zones": out}


def revenue_rows(municipality_ids: set[int], start: Any, end: Any) -> list[dict[str, Any]]:
    """Per zone and local day (start..end inclusive), revenue by channel: operator sessions
    paid by mobile app and by parking meter (by the operator's channel; on the session's start
    day), permits (on their first day, cancelled ones included: they were paid) and surcharges
    paid (on the day paid); the number of sessions and their average duration in minutes."""
    if not municipality_ids:
        return []
    sql = """
    WITH s AS (
        SELECT s.zone_id, (s.start_time AT TIME ZONE %(tz)s)::date AS day, count(*) AS n,
               sum(s.amount) FILTER (WHERE o.channel = 'app') AS app,
               sum(s.amount) FILTER (WHERE o.channel = 'meter') AS meter,
               avg(extract(epoch FROM s.end_time - s.start_time) / 60) AS minutes
        FROM parking_parkingsession s JOIN parking_operator o ON o.id = s.operator_id
        WHERE s.municipality_id = ANY(%(towns)s)
          AND (s.start_time AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(end)s
        GROUP BY 1, 2),
    p AS (
        SELECT zone_id, valid_from AS day, sum(price) AS amount
        FROM parking_permit
        WHERE municipality_id = ANY(%(towns)s) AND valid_from BETWEEN %(start)s AND %(end)s
        GROUP BY 1, 2),
    f AS (
        SELECT zone_id, paid_on AS day, sum(paid_amount) AS amount
        FROM parking_surchargenotice
        WHERE municipality_id = ANY(%(towns)s) AND status = 'paid'
          AND paid_on BETWEEN %(start)s AND %(end)s
        GROUP BY 1, 2)
    SELECT m.name, z.code, d.day, coalesce(s.n, 0), coalesce(s.app, 0) + coalesce(s.meter, 0),
           coalesce(f.amount, 0), coalesce(s.app, 0), coalesce(s.meter, 0),
           coalesce(p.amount, 0), round(s.minutes)
    FROM (SELECT zone_id, day FROM s UNION SELECT zone_id, day FROM f
          UNION SELECT zone_id, day FROM p) d
    JOIN layers_parkingzone z ON z.id = d.zone_id
    JOIN layers_municipality m ON m.id = z.municipality_id
    LEFT JOIN s ON s.zone_id = d.zone_id AND s.day = d.day
    LEFT JOIN p ON p.zone_id = d.zone_id AND p.day = d.day
    LEFT JOIN f ON f.zone_id = d.zone_id AND f.day = d.day
    ORDER BY m.name, z.code, d.day
    """
    with connection.cursor() as cur:
        cur.execute(sql, {"tz": str(timezone.get_current_timezone()),
                          "towns": sorted(municipality_ids), "start": start, "end": end})
        return [{"municipality": r[0], "zone": r[1], "day": r[2], "sessions": r[3],
                 "avg_minutes": r[9], "app": r[6], "meter": r[7],
                 "session_revenue": r[4], "permits": r[8], "surcharges": r[5],
                 "total": r[4] + r[8] + r[5]}
                for r in cur.fetchall()]
