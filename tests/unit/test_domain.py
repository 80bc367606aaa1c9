import pytest

from layers.domain.codes import (
    KST_2015_TO_2021,
    LAND_USE_LABELS,
    LandUseCode,
    building_kind,
    land_use_label,
)
from layers.domain.srid import STORAGE_SRID, pl2000_zone_srid
from layers.domain.text import normalize_text


def test_storage_srid_is_pl1992():
    assert STORAGE_SRID == 2180


def test_ofu_list_is_the_25_codes_of_the_regulation():
    assert len(LandUseCode) == 25
    assert set(LAND_USE_LABELS) == {c.value for c in LandUseCode}
    assert LandUseCode.ROADS == "dr"  # lower case in the regulation
    assert LandUseCode.MEADOW == "Ł"


@pytest.mark.parametrize(
    ("ofu", "ozu", "ozk", "label"),
    [("B", None, None, "B"), ("R", "R", "IVa", "RIVa"), ("Br", "R", "IVa", "Br-RIVa"),
     ("W", "Ł", "IV", "W-ŁIV"), ("S", "R", "IIIb", "S-RIIIb")],
)
def test_land_use_label(ofu, ozu, ozk, label):
    assert land_use_label(ofu, ozu, ozk) == label


def test_kst_codes_of_both_schemas():
    assert building_kind("m") == "m"
    assert building_kind("110") == "m"
    assert building_kind("101") == "p"
    assert building_kind("999") is None
    assert building_kind(None) is None
    assert len(KST_2015_TO_2021) == 10
    assert set(KST_2015_TO_2021.values()) == set("mgtkzbhpsi")


def test_pl2000_zone_from_easting():
    assert pl2000_zone_srid(7_533_988) == 2178
    assert pl2000_zone_srid(6_551_924) == 2177
    assert pl2000_zone_srid(650_000) is None


@pytest.mark.parametrize(
    ("text", "normal"),
    [("Ulica Żółkiewskiego 5", "ulica zolkiewskiego 5"), ("ŁĄKOWA", "lakowa"),
     ("  Kościuszki,  12a ", "kosciuszki 12a"), ("ul. 3 Maja", "ul 3 maja")],
)
def test_normalize_text(text, normal):
    assert normalize_text(text) == normal
