"""Seed values of the payments register (pure data, no Django): the late-payment interest rate
table and the yearly parameters. An administrator extends both tables in the admin.

Art. 56 § 1 o.p.: the basic rate of late-payment interest is 200 % of the NBP lombard rate plus
2 percentage points (not below 8 %). The dated values below follow from the NBP lombard rates as
remembered, NOT read in an official announcement of the Minister of Finance: UNCONFIRMED, to be
checked against the announcements (obwieszczenia MF w sprawie stawki odsetek za zwłokę) before
real use.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

INTEREST_RATES_NOTE = ("UNCONFIRMED: 200 % of the NBP lombard rate + 2 p.p. (art. 56 § 1 o.p.) "
                       "from remembered lombard rates; check the MF announcement")
# (valid from, yearly rate in per cent) — UNCONFIRMED, see the module docstring.
INTEREST_RATES: list[tuple[date, D]] = [
    (date(2023, 10, 5), D("14.50")),
    (date(2025, 5, 8), D("13.50")),
    (date(2025, 7, 3), D("13.00")),
    (date(2025, 9, 4), D("12.50")),
    (date(2025, 10, 9), D("12.00")),
    (date(2025, 11, 6), D("11.50")),
]

# Art. 54 § 1 pkt 5 o.p.: no interest when it would not exceed three times the designated
# operator's additional fee for a registered letter: 8.70 zł (the value issue #16 gives; later
# years UNCONFIRMED). Art. 15 § 1 u.p.e.a.: the cost of a reminder is four times that fee:
# 11.60 zł as remembered — UNCONFIRMED, check the operator's price list for the year.
PARAMETERS: dict[int, dict[str, D | int | str]] = {
    year: {"interest_threshold": D("8.70"), "reminder_cost": D("11.60"),
           "enforcement_after_days": 7,
           "note": "UNCONFIRMED: threshold 8.70 zł per issue #16 (art. 54 § 1 pkt 5 o.p.); "
                   "reminder cost 11.60 zł (art. 15 § 1 u.p.e.a.) remembered, not read; "
                   "7 days from delivery of the reminder before enforcement (art. 15 § 1 "
                   "u.p.e.a.)"}
    for year in (2024, 2025, 2026)
}
