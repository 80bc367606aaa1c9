"""The one formatting helper (issue #18): money, numbers and areas in the page's language,
weekdays by name, identifiers by their check digits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from layers import formats
from layers.domain.identifiers import kw_check_digit, kw_problem, tax_id_kind

NBSP = "\xa0"


def test_money_numbers_and_areas_in_polish_and_english():
    with translation.override("pl"):
        assert formats.money(Decimal("420000")) == f"420{NBSP}000,00{NBSP}zł"
        assert formats.money("14.1") == f"14,10{NBSP}zł"
        assert formats.area(Decimal("512.0000000000001")) == f"512,00{NBSP}m²"
        assert formats.number(Decimal("1274.285"), 2) == "1274,29".replace("1274", f"1{NBSP}274")
        assert formats.rate(Decimal("1.2500")) == "1,25"
        assert formats.rate(Decimal("0.8975")) == "0,8975"
        assert formats.money(None) == "–" and formats.number(None) == ""
    with translation.override("en"):
        assert formats.money(Decimal("420000")) == f"420,000.00{NBSP}zł"
        assert formats.area(12) == f"12.00{NBSP}m²"


def test_paid_weekdays_read_as_day_names():
    from registers.parking.models import weekdays_text

    with translation.override("pl"):
        assert weekdays_text("0,1,2,3,4") == "Pon – Pt"
        assert weekdays_text("0,2,5") == "Pon, Śr, So"
    with translation.override("en"):
        assert weekdays_text("0-5") == "Mon – Sat"


def test_kw_control_digit():
    # the demo town's register numbers and the published algorithm (weights 1, 3, 7)
    assert kw_check_digit("KS1J", "00012345") == int(
        str(sum(v * w for v, w in zip([21, 28, 1, 20, 0, 0, 0, 1, 2, 3, 4, 5],
                                      [1, 3, 7] * 4, strict=True)) % 10))
    digit = kw_check_digit("KS1J", "00012345")
    assert kw_problem(f"ks1j/00012345/{digit}") is None
    assert kw_problem(f"KS1J/00012345/{(digit + 1) % 10}") == "check_digit"
    assert kw_problem("KS1J/12345/1") == "format"


@pytest.mark.parametrize(("value", "kind"), [
    ("1234563218", "nip"), ("123-456-32-18", "nip"), ("1234567890", None),
    ("123456785", "regon"), ("12345678512347", "regon"), ("123456786", None),
    ("44051401458", "pesel"), ("44051401459", None), ("12 34", None), ("", None),
])
def test_tax_identifiers_by_their_check_digits(value, kind):
    assert tax_id_kind(value) == kind


def test_dates_and_percentages_in_polish_and_english():
    from datetime import date, datetime

    with translation.override("pl"):
        assert formats.date(date(2026, 3, 5)) == "05.03.2026"
        assert formats.datetime(datetime(2026, 3, 5, 9, 7)) == "05.03.2026 09:07"
        assert formats.percent(Decimal("0.055")) == f"5,50{NBSP}%"
    with translation.override("en"):
        assert formats.date(date(2026, 3, 5)) == "2026-03-05"  # never month first
    assert formats.date(None) == formats.MISSING


@pytest.mark.parametrize(("text", "value"), [
    ("1 234,5", Decimal("1234.5")), ("1234.50", Decimal("1234.50")),
    (f"1{NBSP}234,50", Decimal("1234.50")), ("1\u202f000", Decimal("1000")), ("  ", None),
    (None, None), ("0", Decimal("0")),
])
def test_one_number_parser_reads_what_people_type(text, value):
    assert formats.parse_decimal(text) == value


@pytest.mark.parametrize(("text", "out_of_range"), [
    ("12a", False), ("1,2,3", False), ("NaN", False), ("inf", False), ("-1", True),
    ("100001", True),
])
def test_the_number_parser_says_what_is_wrong(text, out_of_range):
    with pytest.raises(formats.NumberError) as caught:
        formats.parse_decimal(text, minimum=0, maximum=100000)
    assert caught.value.out_of_range is out_of_range


def test_no_pdf_keeps_a_formatting_copy_of_its_own():
    """Issue #18: every PDF formats with layers.formats; the private helpers are gone."""
    import re

    from tests.conftest import REPO

    pdfs = ["registers/taxes/pdf.py", "registers/housing/pdf.py", "registers/ppp/pdf.py",
            "registers/payments/pdf.py", "layers/rasters/dossier.py", "map_ui/printing.py"]
    private = re.compile(r"def (zl|num|_pct|_fmt_int)\(|:,\.\d?f\}|\.replace\(\"\.\", \",\"\)|"
                         r"strftime\(\"%d\.%m\.%Y\"\)|:%d\.%m\.%Y\}")
    for name in pdfs:
        source = (REPO / name).read_text()
        assert "formats." in source, name
        assert not private.findall(source), (name, private.findall(source))
