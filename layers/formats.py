"""Numbers, money and areas as people read them, in the active language: the one helper every
page, PDF and export of geogmina formats them with (issue #18: "420000,00" beside "14.10 zł"
beside "3,60 zł", plot areas with 13 decimals).

Polish: ``420 000,00 zł``, ``512,00 m²`` (grouped by a no-break space, decimal comma); English:
``420,000.00 zł``. Django's own locale formats decide the separators
(``django.utils.formats.number_format`` with grouping forced), so a language added to
``LANGUAGES`` formats its own way. Templates use the filters of ``{% load geogmina_formats %}``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format

#: Places shown for money (grosze) and for areas in square metres.
MONEY_PLACES = 2
AREA_PLACES = 2
#: What a missing value reads as on a page.
MISSING = "–"


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
