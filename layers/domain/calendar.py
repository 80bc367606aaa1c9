"""The Polish calendar: public holidays and working days (pure Python, no Django).

One calendar for the whole project (taxes, parking): public holidays come from the kept
``holidays`` package (country PL, the list of ustawa z 18.01.1951 o dniach wolnych od pracy, incl.
Christmas Eve from 2025). A working day is neither a Saturday, a Sunday nor a public holiday:
art. 12 § 5 Ordynacji podatkowej moves a deadline that ends on "a day recognised by law as a day
off work or a Saturday" to the next day that is none of these.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY, SUNDAY = 5, 6


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    # Polish names (the package's default language for PL); only public holidays, no
    # "optional" categories.
    return dict(holidays.country_holidays("PL", years=year, language="pl"))


def public_holidays(year: int) -> dict[date, str]:
    """Statutory public holidays (days off work) of ``year``: date → Polish name."""
    return dict(_holidays(year))


def is_public_holiday(d: date) -> bool:
    return d in _holidays(d.year)


def is_working_day(d: date) -> bool:
    """Not a Saturday, not a Sunday, not a public holiday."""
    return d.weekday() not in (SATURDAY, SUNDAY) and not is_public_holiday(d)


def next_working_day(d: date) -> date:
    """``d`` itself when it is a working day, else the first working day after it
    (art. 12 § 5 Ordynacji podatkowej for a due date)."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d
