"""Protected housing (mieszkania treningowe i wspomagane) as pure functions.

Since 1 November 2023 (Dz.U. 2023 poz. 1693, art. 53 ustawy o pomocy społecznej) protected flats
are training flats (for a fixed period) or assisted flats. The standards come from the 2023
regulation whose published text was not read (legal-facts §5, §9 item 8): the draft says at most
6 persons per flat and at least 12 m² of usable area per person. They are therefore parameters
(``Standard``), stored as data keyed by the date they apply from, never constants in checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class FlatKind(StrEnum):
    TRAINING = "training"  # mieszkanie treningowe: a fixed period of stay (art. 53 ust. 4, 8)
    ASSISTED = "assisted"  # mieszkanie wspomagane


@dataclass(frozen=True)
class Standard:
    """The standards a flat is checked against (draft values by default)."""

    max_persons: int = 6
    min_m2_per_person: Decimal = Decimal("12")


DRAFT_STANDARD = Standard()


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    params: dict[str, object]


def m2_per_person(usable_area_m2: Decimal, persons: int) -> Decimal | None:
    """Usable area per person, to 0.01 m²; None for an empty flat."""
    if persons <= 0:
        return None
    return (Decimal(usable_area_m2) / persons).quantize(Decimal("0.01"), ROUND_HALF_UP)


def flat_issues(*, kind: FlatKind | str, places: int, occupied: int,
                usable_area_m2: Decimal | None, stay_months: int | None,
                standard: Standard = DRAFT_STANDARD) -> list[Issue]:
    """What a flat breaks: the standard is checked for the places offered and the people living
    there, whichever is larger (a flat must fit the people it is meant for)."""
    issues: list[Issue] = []
    persons = max(places, occupied)
    if occupied > places:
        issues.append(Issue("over_capacity", "{occupied} people live in a flat with {places} "
                            "places", {"occupied": occupied, "places": places}))
    if persons > standard.max_persons:
        issues.append(Issue("too_many_persons", "{persons} persons exceed the standard of at "
                            "most {max} per flat", {"persons": persons,
                                                    "max": standard.max_persons}))
    if usable_area_m2 is not None and persons > 0:
        per_person = m2_per_person(usable_area_m2, persons)
        if per_person < standard.min_m2_per_person:
            issues.append(Issue("too_small", "{per_person} m² per person is below the standard "
                                "of {min} m²", {"per_person": per_person,
                                                "min": standard.min_m2_per_person}))
    if FlatKind(kind) == FlatKind.TRAINING and not stay_months:
        issues.append(Issue("stay_period_missing", "a training flat is for a fixed period: "
                            "give the period of stay", {}))
    return issues
