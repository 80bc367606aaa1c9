"""Demo data: a landscape resolution with zones A and B, rules, fee rates and boards.

Modelled on Starachowice's Uchwała Nr XV/13/2019 (legal-facts §3.3: zone A with strict limits,
zone B the rest of town); the sizes are illustrative (the real ones are UNCONFIRMED). Each demo
town carries its own resolution: Starachowice its real one (in force 6 January 2020, 12 months to
adjust), any other town a number marked DEMO and built from its TERYT, so no town cites another's
resolution.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Q

from layers.models import LandscapeArea, Municipality, Parcel
from registers.landscape.models import (
    AdvertisingDevice,
    AdvertisingFeeRate,
    AreaRule,
    LandscapeResolution,
)

# (number, adopted on, in force from, adjustment months) of towns whose real resolution is known
REAL_RESOLUTIONS = {
    "261101_1": ("XV/13/2019", date(2019, 12, 19), date(2020, 1, 6), 12),  # Starachowice
}
# Any other demo town: a resolution in force from mid-2024 (its adjustment period is over, so
# the demo boards placed in 2025 are bound from the day they stand).
DEMO_ADOPTED, DEMO_IN_FORCE, DEMO_ADJUSTMENT_MONTHS = date(2024, 5, 28), date(2024, 7, 1), 12
RESOLUTION = "uchwała Nr {number}"
ADV, SIGN, FENCE, SMALL = "advertising", "sign", "fence", "small_architecture"
RULES = {
    "A": [
        (ADV, "max_area_m2", "2", "§ 5 ust. 1 {resolution}"),
        (ADV, "max_height_m", "3", "§ 5 ust. 2 {resolution}"),
        (ADV, "lit_allowed", "no", "§ 5 ust. 4 {resolution}"),
        (ADV, "moving_images_allowed", "no", "§ 5 ust. 4 {resolution}"),
        (ADV, "mountings_allowed", "building", "§ 5 ust. 5 {resolution}"),
        (SIGN, "max_area_m2", "1", "§ 7 ust. 1 {resolution}"),
        (SIGN, "placement", "równolegle lub prostopadle do ściany frontowej",
         "§ 7 ust. 2 {resolution}"),
        (FENCE, "max_height_m", "1.5", "§ 9 ust. 1 {resolution}"),
        (FENCE, "banned_materials", "prefabrykowane płyty betonowe",
         "§ 9 ust. 2 {resolution}"),
        (FENCE, "min_see_through", "50", "§ 9 ust. 3 {resolution}"),
        (SMALL, "allowed_materials", "drewno, kamień, stal", "§ 11 ust. 1 {resolution}"),
        (SMALL, "allowed_colours", "grafitowy, czarny, naturalny", "§ 11 ust. 2 {resolution}"),
    ],
    "B": [
        (ADV, "max_area_m2", "12", "§ 6 ust. 1 {resolution}"),
        (ADV, "max_height_m", "6", "§ 6 ust. 2 {resolution}"),
        (ADV, "moving_images_allowed", "no", "§ 6 ust. 4 {resolution}"),
        (SIGN, "max_area_m2", "3", "§ 8 ust. 1 {resolution}"),
        (FENCE, "max_height_m", "1.8", "§ 10 ust. 1 {resolution}"),
        (FENCE, "banned_materials", "prefabrykowane płyty betonowe",
         "§ 10 ust. 2 {resolution}"),
    ],
}
# The demo boards' labels, as an officer would enter them in the register.
BILLBOARD_A = "Billboard wolnostojący 12 m² (strefa A)"
SHOP_BOARD_A = "Tablica 1,5 m² na elewacji sklepu (strefa A)"
BILLBOARD_B = "Billboard wolnostojący 12 m² (strefa B)"
# (zone code, label, area m², height m, lit, mounting, placed from, proceedings started)
BOARDS = [
    ("A", BILLBOARD_A, D("12"), D("5"), False, "free_standing",
     date(2025, 1, 1), date(2026, 3, 1)),
    ("A", SHOP_BOARD_A, D("1.5"), D("2.5"), False, "building",
     date(2025, 4, 1), None),
    ("B", BILLBOARD_B, D("12"), D("5"), False, "free_standing",
     date(2025, 1, 1), None),
]
# Labels the demo used before (English); a reload replaces those boards too.
OLD_LABELS = ["billboard 12 m² in zone A", "board 1.5 m² on a shop front",
              "billboard 12 m² in zone B"]


def resolution_facts(municipality: Municipality) -> tuple[str, date, date, int]:
    """The town's own landscape resolution: (number, adopted on, in force from, months)."""
    real = REAL_RESOLUTIONS.get(municipality.teryt)
    if real:
        return real
    return (f"DEMO/{municipality.teryt}/2024", DEMO_ADOPTED, DEMO_IN_FORCE,
            DEMO_ADJUSTMENT_MONTHS)


def resolution_name(municipality: Municipality) -> str:
    """How the rules cite the town's resolution: "uchwała Nr …"."""
    return RESOLUTION.format(number=resolution_facts(municipality)[0])


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
    number, adopted, in_force, months = resolution_facts(municipality)
    LandscapeResolution.objects.update_or_create(
        municipality=municipality, number=number,
        defaults={"adopted_on": adopted, "in_force_on": in_force, "adjustment_months": months})
    name = resolution_name(municipality)
    areas = demo_areas(municipality)
    for code, area in areas.items():
        area.rules.all().delete()
        AreaRule.objects.bulk_create(
            AreaRule(area=area, subject=s, kind=k, value=v, citation=c.format(resolution=name))
            for s, k, v, c in RULES[code])
    for year, fixed, variable in ((2025, D("3.72"), D("0.34")), (2026, D("3.89"), D("0.36"))):
        AdvertisingFeeRate.objects.update_or_create(
            municipality=municipality, year=year,
            defaults={"fixed": fixed, "variable": variable,
                      "resolution_number": f"DEMO/{municipality.teryt}/{year - 1} "
                                           f"(opłata reklamowa)"})
    AdvertisingDevice.objects.filter(municipality=municipality,
                                     label__in=[b[1] for b in BOARDS] + OLD_LABELS).delete()
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
