"""Protected-housing standards as parameters (draft: ≤ 6 persons, ≥ 12 m² per person)."""

from decimal import Decimal

from registers.housing.rules import DRAFT_STANDARD, FlatKind, Standard, flat_issues, m2_per_person


def codes(issues):
    return sorted(i.code for i in issues)


def test_six_people_in_60_m2_is_flagged():
    issues = flat_issues(kind=FlatKind.ASSISTED, places=6, occupied=6,
                         usable_area_m2=Decimal("60"), stay_months=None)
    assert codes(issues) == ["too_small"]
    assert issues[0].params["per_person"] == Decimal("10.00")
    assert m2_per_person(Decimal("60"), 6) == Decimal("10.00")


def test_a_flat_within_the_standard_passes():
    assert flat_issues(kind=FlatKind.TRAINING, places=4, occupied=3,
                       usable_area_m2=Decimal("48"), stay_months=12) == []


def test_seven_persons_exceed_the_standard_and_overcrowding_counts_occupants():
    assert codes(flat_issues(kind=FlatKind.ASSISTED, places=7, occupied=0,
                             usable_area_m2=Decimal("120"), stay_months=None)) == [
        "too_many_persons"]
    assert codes(flat_issues(kind=FlatKind.ASSISTED, places=3, occupied=4,
                             usable_area_m2=Decimal("40"), stay_months=None)) == [
        "over_capacity", "too_small"]


def test_standards_are_parameters():
    lenient = Standard(max_persons=7, min_m2_per_person=Decimal("10"))
    assert flat_issues(kind=FlatKind.ASSISTED, places=6, occupied=6,
                       usable_area_m2=Decimal("60"), stay_months=None,
                       standard=lenient) == []
    assert DRAFT_STANDARD.max_persons == 6


def test_training_flat_needs_a_period_of_stay():
    assert codes(flat_issues(kind=FlatKind.TRAINING, places=2, occupied=1,
                             usable_area_m2=Decimal("40"), stay_months=None)) == [
        "stay_period_missing"]
