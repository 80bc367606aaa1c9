"""Identify at a point: what every layer holds under a click, not only the plot.

One section per layer (plot, buildings, paid-parking zone with today's tariff, landscape areas
with their rules, leases, investment offers), each asking its own register; a fixed number of
queries per click. What a viewer may see follows the registers' own rules: zones, landscape
rules and published offers are public law; leases need VIEW_LEASES in their municipality.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_app.accounts.access import municipality_ids
from gis_app.accounts.roles import Capability
from layers import formats
from layers.domain.srid import STORAGE_SRID
from layers.models import Building, LandscapeArea, ParkingZone
from layers.selectors import parcel_at_point, search_scope
from registers.landscape.models import AreaRule
from registers.leases.models import InvestmentOffer, Lease
from registers.parking.services import tariff_at

ITEM_LIMIT = 10  # per section; a point rarely lies in more than two or three features


def _point(lon: float, lat: float) -> Point:
    p = Point(lon, lat, srid=4326)
    p.transform(STORAGE_SRID)
    return p


def _buildings(user: Any, pt: Point) -> list[dict[str, Any]]:
    qs = Building.objects.filter(retired_at__isnull=True, geom__intersects=pt)
    scope = search_scope(user)
    if scope is not None:
        qs = qs.filter(municipality_id__in=scope)
    return [{
        "title": b.building_id,
        "facts": [[_("Kind (KŚT)"), b.kind or "–"],
                  [_("Storeys"), f"{b.storeys_above or '–'}"
                   + (f" + {b.storeys_below}" if b.storeys_below else "")],
                  [_("Built-up area"), formats.area(b.built_up_area_m2)]],
    } for b in qs.order_by("building_id")[:ITEM_LIMIT]]


def _parking(pt: Point) -> list[dict[str, Any]]:
    today = timezone.localdate()
    items = []
    for z in ParkingZone.objects.filter(retired_at__isnull=True, geom__intersects=pt).order_by(
            "code")[:ITEM_LIMIT]:
        t = tariff_at(z, today)
        facts = [[_("Kind"), z.get_kind_display()]]
        if t is not None:
            facts += [[_("Resolution"), t.resolution_number],
                      [_("First hour"), formats.money(t.first_hour)],
                      [_("Paid hours"), f"{t.paid_from:%H:%M}–{t.paid_to:%H:%M}"]]
        else:
            facts.append([_("Tariff"), _("none in force today")])
        items.append({"title": f"{z.code} {z.name}".strip(), "facts": facts})
    return items


def _landscape(pt: Point) -> list[dict[str, Any]]:
    areas = (LandscapeArea.objects.filter(retired_at__isnull=True, geom__intersects=pt)
             .prefetch_related(Prefetch("rules", queryset=AreaRule.objects.order_by("subject",
                                                                                    "id")))
             .order_by("kind", "code")[:ITEM_LIMIT])
    return [{
        "title": f"{a.code} {a.name}".strip(),
        "facts": [[_("Kind"), a.get_kind_display()]],
        "rules": [f"{r.get_subject_display()}: {r.get_kind_display()} = {r.value}"
                  + (f" ({r.citation})" if r.citation else "") for r in a.rules.all()],
    } for a in areas]


def _leases(user: Any, pt: Point) -> list[dict[str, Any]] | None:
    allowed = municipality_ids(user, Capability.VIEW_LEASES)
    if not allowed:
        return None  # the section is not shown at all
    qs = (Lease.objects.filter(municipality_id__in=allowed, geom__intersects=pt)
          .exclude(status=Lease.Status.REFUSED).order_by("-start_date")[:ITEM_LIMIT])
    return [{
        "title": lease.number or f"#{lease.pk}",
        "link": f"/leases/{lease.pk}/",
        "facts": [[_("Lessee"), lease.lessee_name], [_("Status"), lease.get_status_display()],
                  [_("From"), str(lease.start_date or "–")],
                  [_("Until"), str(lease.end_date or "–")],
                  [_("Plots"), ", ".join(lease.cadastral_ids)]],
    } for lease in qs]


def _offers(pt: Point) -> list[dict[str, Any]]:
    qs = InvestmentOffer.objects.filter(published=True, geom__intersects=pt).order_by("title")
    return [{
        "title": o.title,
        "facts": [[_("Offered for"), o.get_mode_display()], [_("Price"), formats.money(o.price)],
                  [_("Plots"), ", ".join(o.cadastral_ids)],
                  [_("Contact"), o.contact or "–"]],
        "text": o.conditions,
    } for o in qs[:ITEM_LIMIT]]


def identify(user: Any, lon: float, lat: float) -> dict[str, Any]:
    """Everything under a WGS 84 point the viewer may see, as card sections."""
    pt = _point(lon, lat)
    sections: list[dict[str, Any]] = []

    def add(key: str, label: str, items: list[dict[str, Any]] | None) -> None:
        if items is not None:
            sections.append({"key": key, "label": label, "items": items})

    add("buildings", _("Buildings"), _buildings(user, pt))
    add("parking", _("Paid-parking zone"), _parking(pt))
    add("landscape", _("Landscape areas"), _landscape(pt))
    add("leases", _("Leases"), _leases(user, pt))
    add("offers", _("Investment offer"), _offers(pt))
    return {"parcel": parcel_at_point(user, lon, lat), "sections": sections,
            "point": {"lon": lon, "lat": lat, "x_northing": round(pt.y, 2),
                      "y_easting": round(pt.x, 2)}}
