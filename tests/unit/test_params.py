"""gis_app.params: numbers from the query string, bounded (issue #14)."""

from __future__ import annotations

import pytest

from gis_app.params import BadParameter, bounded_int


@pytest.mark.parametrize(("raw", "expected"), [("7", 7), (" 12 ", 12), ("+3", 3), ("", 5),
                                               (None, 5), ("0", 0), ("100", 100)])
def test_values_in_range(raw, expected):
    assert bounded_int(raw, "n", low=0, high=100, default=5) == expected


@pytest.mark.parametrize("raw", ["9" * 20, "-1", "101", "abc", "1.5", "1e3", "NaN", "٣",
                                 "x" * 10_000, "0x10", "--1", "1_000", "+-1"])
def test_values_refused_name_the_parameter(raw):
    with pytest.raises(BadParameter) as err:
        bounded_int(raw, "expiring", low=0, high=100)
    assert err.value.parameter == "expiring"
    assert "expiring" in err.value.message
