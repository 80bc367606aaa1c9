"""Numeric query parameters, bounded: a value outside its range is a 400 naming the parameter.

A 20-digit ``offset`` overflowed PostgreSQL's bigint, a year of 99999 its smallint, a huge
``expiring`` Python's date arithmetic: each was a 500. Every view reads a number from the query
string through ``int_param`` (or ``bounded_int`` where the caller reports errors itself), with the
range the value can sensibly take; ``BadParameterMiddleware`` (gis_app.middleware) turns the
error into a 400 whose message names the parameter and its range.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

# Years the registers can hold (tax years, rent years, fee rates): generous on both sides, far
# inside PostgreSQL's smallint and Python's date range.
YEAR_MIN, YEAR_MAX = 1900, 2200
# Page numbers of paged lists; the offsets they make stay far inside a bigint.
PAGE_MAX = 1_000_000
# Day counts (e.g. "expiring within N days"): a century.
DAYS_MAX = 36_500
# Record ids in the query string (municipality=, parcel=, taxpayer=).
ID_MAX = 999_999_999_999
# Row offsets of the OGC API and other offset-paged answers.
OFFSET_MAX = 1_000_000_000


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")


class BadParameter(BadRequest):
    """A query parameter that is not a number or lies outside its range."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def bounded_int(raw: Any, name: str, *, low: int, high: int,
                default: int | None = None) -> int | None:
    """``raw`` (a query string value) as an int in [low, high]; ``default`` when absent or empty.

    Raises BadParameter (a 400) for anything else, with a message naming ``name``."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return default
    text = str(raw).strip()
    # int() accepts 4,300 digits, underscores and non-ASCII digits; nothing legitimate here has
    # more than 12 ASCII digits
    if not _WHOLE_NUMBER.fullmatch(text):
        raise BadParameter(name, _("The parameter %(name)s must be a whole number from "
                                   "%(low)s to %(high)s.") % {"name": name, "low": low,
                                                               "high": high})
    value = int(text)
    if not low <= value <= high:
        raise BadParameter(name, _("The parameter %(name)s must be from %(low)s to %(high)s, "
                                   "not %(value)s.") % {"name": name, "low": low,
                                                        "high": high, "value": text})
    return value


def int_param(request: Any, name: str, *, low: int, high: int,
              default: int | None = None) -> int | None:
    """The query parameter ``name`` of ``request`` through ``bounded_int``."""
    return bounded_int(request.GET.get(name), name, low=low, high=high, default=default)


def year_param(request: Any, name: str = "year", default: int | None = None) -> int | None:
    return int_param(request, name, low=YEAR_MIN, high=YEAR_MAX, default=default)


def page_param(request: Any, name: str = "page", default: int = 1) -> int:
    value = int_param(request, name, low=1, high=PAGE_MAX, default=default)
    assert value is not None
    return value


def id_param(request: Any, name: str) -> int | None:
    """A record id from the query string (None when absent)."""
    return int_param(request, name, low=1, high=ID_MAX)
