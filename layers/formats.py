"""Numbers, money and areas as people read them, in the active language: the one helper every
page, PDF and export of geogmina formats them with (issue #18: "420000,00" beside "14.10 zł"
beside "3,60 zł", plot areas with 13 decimals).

Polish: ``420 000,00 zł``, ``512,00 m²`` (grouped by a no-break space, decimal comma); English:
``420,000.00 zł``. Django's own locale formats decide the separators
(``django.utils.formats.number_format`` with grouping forced), so a language added to
``LANGUAGES`` formats its own way. Templates use the filters of ``{% load geogmina_formats %}``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import get_language

#: Places shown for money (grosze) and for areas in square metres.
MONEY_PLACES = 2
AREA_PLACES = 2
#: What a missing value reads as on a page.
MISSING = "–"
#: Numeric dates per language (Django's format characters): Polish offices write 03.12.2026;
#: any other language gets ISO 8601, which no reader takes for a month-first date.
DATE_FORMATS = {"pl": "d.m.Y"}
DEFAULT_DATE_FORMAT = "Y-m-d"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def number(value: Any, places: int | None = None) -> str:
    """``value`` grouped in thousands with the locale's separators; ``places`` decimals when
    given (rounded half up, as money is), otherwise as many as the value has. Text that is not
    a number comes back as it is; None as an empty string."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    if places is not None:
        amount = amount.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    return number_format(amount, places, use_l10n=True, force_grouping=True)


def rate(value: Any, min_places: int = 2) -> str:
    """A rate or price given to more places than money (tax rates to 4): at least
    ``min_places`` decimals, trailing zeros beyond them dropped (``1,25``, ``0,8975``)."""
    amount = _decimal(value)
    if amount is None:
        return MISSING if value is None or value == "" else str(value)
    exponent = amount.normalize().as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) else 0)
    return number(amount, places)


def percent(fraction: Any, places: int = 2) -> str:
    """A fraction as a percentage: ``0.05`` → ``5,00 %`` (``MISSING`` for None)."""
    amount = _decimal(fraction)
    if amount is None:
        return MISSING if fraction is None or fraction == "" else str(fraction)
    return f"{number(amount * 100, places)}\xa0%"


def money(value: Any, places: int = MONEY_PLACES) -> str:
    """``420 000,00 zł`` (``MISSING`` for None)."""
    if _decimal(value) is None:
        return MISSING if value is None or value == "" else str(value)
    return f"{number(value, places)}\xa0zł"


def area(value: Any, places: int = AREA_PLACES) -> str:
    """``512,00 m²`` (``MISSING`` for None)."""
    if _decimal(value) is None:
        return MISSING if value is None or value == "" else str(value)
    return f"{number(value, places)}\xa0m²"


def _date_format() -> str:
    language = (get_language() or "").split("-")[0]
    return DATE_FORMATS.get(language, DEFAULT_DATE_FORMAT)


def date(value: Any) -> str:
    """``03.12.2026`` in Polish (``2026-12-03`` otherwise); a datetime by its local day;
    ``MISSING`` for None."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if not isinstance(value, dt.date):
        return str(value)
    return date_format(value, _date_format())


def datetime(value: Any) -> str:
    """``03.12.2026 18:40`` in Polish (local time); ``MISSING`` for None."""
    if value is None or value == "":
        return MISSING
    if not isinstance(value, dt.datetime):
        return date(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(local, f"{_date_format()} H:i")


class NumberError(ValueError):
    """Text that is not a number (``out_of_range`` False) or a number outside the bounds."""

    def __init__(self, text: str, out_of_range: bool = False) -> None:
        super().__init__(f"{'out of range' if out_of_range else 'not a number'}: {text!r}")
        self.text = text
        self.out_of_range = out_of_range


_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]")


def parse_decimal(raw: Any, *, minimum: Decimal | int | None = None,
                  maximum: Decimal | int | None = None) -> Decimal | None:
    """A number as people type it and as these pages show it: ``1 234,5``, ``1234.5``,
    ``1\xa0234,50`` (spaces of any kind grouping, a decimal comma or point); None when empty.
    ``NumberError`` when it is not a finite number or lies outside ``minimum``..``maximum``.
    The one parser of the forms, the desk and the API (each names the field in its own error)."""
    text = _SPACES.sub("", "" if raw is None else str(raw))
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise NumberError(str(raw)[:40]) from None
    if not value.is_finite():
        raise NumberError(str(raw)[:40])
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise NumberError(str(raw)[:40], out_of_range=True)
    return value
