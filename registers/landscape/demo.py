"""Demo data: a landscape resolution with zones A and B, rules, fee rates and boards.

Modelled on Starachowice's Uchwała Nr XV/13/2019 (legal-facts §3.3: zone A with strict limits,
zone B the rest of town); the sizes are illustrative (the real ones are UNCONFIRMED).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Q

from layers.models import LandscapeArea, Municipality, Parcel
from registers.landscape.models import AdvertisingDevice, AdvertisingFeeRate, AreaRule

RESOLUTION = "uchwała Nr XV/13/2019"
ADV, SIGN, FENCE, SMALL = "advertising", "sign", "fence", "small_architecture"
RULES = {
    "A": [
        (ADV, "max_area_m2", "2", f"§ 5 ust. 1 {RESOLUTION}"),
        (ADV, "max_height_m", "3", f"§ 5 ust. 2 {RESOLUTION}"),
        (ADV, "lit_allowed", "no", f"§ 5 ust. 4 {RESOLUTION}"),
        (ADV, "moving_images_allowed", "no", f"§ 5 ust. 4 {RESOLUTION}"),
        (ADV, "mountings_allowed", "building", f"§ 5 ust. 5 {RESOLUTION}"),
        (SIGN, "max_area_m2", "1", f"§ 7 ust. 1 {RESOLUTION}"),
        (SIGN, "placement", "parallel or perpendicular to the front wall",
         f"§ 7 ust. 2 {RESOLUTION}"),
        (FENCE, "max_height_m", "1.5", f"§ 9 ust. 1 {RESOLUTION}"),
        (FENCE, "banned_materials", "prefabricated concrete panels",
         f"§ 9 ust. 2 {RESOLUTION}"),
        (FENCE, "min_see_through", "50", f"§ 9 ust. 3 {RESOLUTION}"),
        (SMALL, "allowed_materials", "wood, stone, steel", f"§ 11 ust. 1 {RESOLUTION}"),
        (SMALL, "allowed_colours", "graphite, black, natural", f"§ 11 ust. 2 {RESOLUTION}"),
    ],
    "B": [
        (ADV, "max_area_m2", "12", f"§ 6 ust. 1 {RESOLUTION}"),
        (ADV, "max_height_m", "6", f"§ 6 ust. 2 {RESOLUTION}"),
        (ADV, "moving_images_allowed", "no", f"§ 6 ust. 4 {RESOLUTION}"),
        (SIGN, "max_area_m2", "3", f"§ 8 ust. 1 {RESOLUTION}"),
        (FENCE, "max_height_m", "1.8", f"§ 10 ust. 1 {RESOLUTION}"),
        (FENCE, "banned_materials", "prefabricated concrete panels",
         f"§ 10 ust. 2 {RESOLUTION}"),
    ],
}
# (zone code, label, area m², height m, lit, mounting, placed from, proceedings started)
BOARDS = [
    ("A", "billboard 12 m² in zone A", D("12"), D("5"), False, "free_standing",
     date(2025, 1, 1), date(2026, 3, 1)),
    ("A", "board 1.5 m² on a shop front", D("1.5"), D("2.5"), False, "building",
     date(2025, 4, 1), None),
    ("B", "billboard 12 m² in zone B", D("12"), D("5"), False, "free_standing",
     date(2025, 1, 1), None),
]


def demo_areas(municipality: Municipality) -> dict[str, LandscapeArea]:
    """Zones "A" and "B" of the town: by code ("A", "Strefa A"), resolution zones first; else the
    first two resolution zones by code (whatever the importer named them)."""
    active = LandscapeArea.objects.filter(municipality=municipality, retired_at__isnull=True)
    zones = active.filter(kind=LandscapeArea.Kind.RESOLUTION_ZONE)
    found: dict[str, LandscapeArea | None] = {}
    for c in ("A", "B"):
        by_code = Q(code__iexact=c) | Q(code__iexact=f"strefa {c}") | Q(code__iexact=f"strefa_{c}")
        found[c] = zones.filter(by_code).order_by("id").first() or \
            active.filter(by_code).order_by("id").first()
    rest = [z for z in zones.order_by("code", "id") if z not in found.values()]
    for code in ("A", "B"):
        if found[code] is None and rest:
            found[code] = rest.pop(0)
    return {c: a for c, a in found.items() if a is not None}


def _inside(area: LandscapeArea, shift: float) -> Point:
    """A point inside the area and outside every form of protection that overlaps it (so the
    demo verdicts come from the resolution alone), nudged along x where it stays inside."""
    free = area.geom
    others = LandscapeArea.objects.filter(
        municipality_id=area.municipality_id, retired_at__isnull=True,
        geom__intersects=area.geom).exclude(kind=LandscapeArea.Kind.RESOLUTION_ZONE)
    for other in others:
        rest = free.difference(other.geom)
        if not rest.empty and rest.area > 1:
            free = rest
    p = free.point_on_surface
    moved = Point(p.x + shift, p.y, srid=area.geom.srid)
    return moved if free.contains(moved) else p


@transaction.atomic
def load_demo(municipality: Municipality) -> dict[str, LandscapeArea]:
    """Rules on zones A/B, the town's 2025–2026 fee rates (at the caps) and three boards.

    Idempotent: rules and boards are replaced, not duplicated.
    """
    areas = demo_areas(municipality)
    for code, area in areas.items():
        area.rules.all().delete()
        AreaRule.objects.bulk_create(
            AreaRule(area=area, subject=s, kind=k, value=v, citation=c)
            for s, k, v, c in RULES[code])
    for year, fixed, variable in ((2025, D("3.72"), D("0.34")), (2026, D("3.89"), D("0.36"))):
        AdvertisingFeeRate.objects.update_or_create(
            municipality=municipality, year=year,
            defaults={"fixed": fixed, "variable": variable,
                      "resolution_number": "demo: uchwała w sprawie opłaty reklamowej"})
    AdvertisingDevice.objects.filter(municipality=municipality,
                                     label__in=[b[1] for b in BOARDS]).delete()
    for i, (code, label, area_m2, height, lit, mounting, since, proceedings) in \
            enumerate(BOARDS):
        area = areas.get(code)
        if area is None:
            continue
        point = _inside(area, shift=3.0 * i)
        parcel = Parcel.objects.filter(retired_at__isnull=True, municipality=municipality,
                                       geom__intersects=point).first()
        AdvertisingDevice.objects.create(
            municipality=municipality, parcel_cadastral_id=parcel.cadastral_id if parcel else "",
            kind=AdvertisingDevice.Kind.BOARD, label=label, area_m2=area_m2, height_m=height,
            lit=lit, mounting=mounting, geom=point, placed_from=since,
            proceedings_started=proceedings)
    return areas
