import pytest

from layers.domain.identifiers import (
    IdentifierError,
    parse_parcel_id,
    parse_unit,
    split_building_id,
)


@pytest.mark.parametrize(
    ("text", "unit", "precinct", "sheet", "number"),
    [
        ("221101_1.0001.161/8", "221101_1", "0001", None, "161/8"),
        ("221101_1.0001.733", "221101_1", "0001", None, "733"),
        ("141201_1.0001.6509/2", "141201_1", "0001", None, "6509/2"),
        ("246901_1.0002.AR_55.6/18", "246901_1", "0002", "AR_55", "6/18"),
        ("180501_1.0003.AR_5.12", "180501_1", "0003", "AR_5", "12"),
        ("180501_1.0003.ar_5.12", "180501_1", "0003", "AR_5", "12"),
        (" 061304_5.0012.809/1 ", "061304_5", "0012", None, "809/1"),
    ],
)
def test_parse_parcel_id(text, unit, precinct, sheet, number):
    pid = parse_parcel_id(text)
    assert (pid.unit, pid.precinct, pid.sheet, pid.number) == (unit, precinct, sheet, number)
    assert str(pid) == text.strip().replace("ar_5", "AR_5")
    assert pid.precinct_id == f"{unit}.{precinct}"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("221101_1.161/8", "two dots"),
        ("22110_1.0001.5", "WWPPGG_R"),
        ("221101_7.0001.5", "unit kind"),
        ("221101_1.001.5", "four digits"),
        ("221101_1.0001.", "malformed"),
        ("221101_1.0001.AR_5.", "malformed"),
        ("221101_1.0001.5;DROP", "malformed"),
    ],
)
def test_parse_parcel_id_errors_name_the_part(text, names):
    with pytest.raises(IdentifierError, match=names):
        parse_parcel_id(text)


def test_unit_and_building_ids():
    assert parse_unit("180501_1") == "180501_1"
    assert split_building_id("146510_8.0501.224_BUD") == ("146510_8.0501", "224")
    assert split_building_id("146516_8.1037.2/351.1_BUD") == ("146516_8.1037", "2/351.1")
    with pytest.raises(IdentifierError, match="_BUD"):
        split_building_id("146510_8.0501.224")
