"""The law of municipal property and leases as pure functions (no Django, no database).

Sources (see ../shared/domain/legal-facts.md §6, ustawa o gospodarce nieruchomościami, UGN):
- art. 35 ust. 1, 1b: a lease, rental or free use is announced in a public notice (wykaz) hung for
  21 days; not needed for a fixed term of up to 3 months (unless another contract follows).
- art. 37 ust. 4: a fixed term over 3 years, or an open term, needs a tender unless the council
  consents to waive it.
- art. 72 ust. 3: the annual perpetual-usufruct fee is 0.3 / 1 / 2 / 3 % of the land value by
  purpose; art. 71 ust. 4: due 31 March (UNCONFIRMED, a parameter here).
- art. 77 ust. 1, 2a: the fee is updated no more often than every 3 years; when the new fee is
  more than double the old one, the first year pays double the old fee and the surplus is spread
  in two equal parts over the next two years.
- art. 78 ust. 1: the authority gives notice of the current fee in writing by 31 December,
  offering the new fee; the updated fee applies from 1 January of the year after the year of the
  notice (legal-facts §6, SECONDARY: the deadline and the one-year lag are parameters here).

Every statutory number is a keyword parameter with the statutory value as its default, so a
change in the act (or a confirmed different reading) is data, not a code change.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

GROSZ = Decimal("0.01")

NOTICE_DAYS = 21  # art. 35 ust. 1 UGN
NOTICE_EXEMPT_MONTHS = 3  # art. 35 ust. 1b UGN
TENDER_THRESHOLD_YEARS = 3  # art. 37 ust. 4 UGN
# Drawn edges never match a cadastral boundary exactly: a leased area may stick out of its plots
# by this much (metres) and two leases may share this much area (m²) without counting as overlap.
EDGE_TOLERANCE_M = 0.01
OVERLAP_TOLERANCE_M2 = 0.01


def money(value: Decimal) -> Decimal:
    """Round to grosze, half up (the usual rounding of amounts in contracts)."""
    return Decimal(value).quantize(GROSZ, rounding=ROUND_HALF_UP)


# --- terms, notice and procedure -------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def term_exceeds(start: date, end: date | None, *, years: int = 0, months: int = 0) -> bool:
    """True when the term [start, end] is longer than ``years``+``months`` (open term: True).

    ``end`` is the last day of the lease, so a lease 2024-01-01 … 2026-12-31 lasts exactly three
    years and does not exceed three years.
    """
    if end is None:
        return True
    limit = add_months(start, years * 12 + months)
    return end >= limit


def requires_notice(start: date, end: date | None, *, follow_up: bool = False,
                    exempt_months: int = NOTICE_EXEMPT_MONTHS) -> bool:
    """art. 35 ust. 1b: fixed terms up to 3 months are exempt unless another contract follows."""
    if follow_up:
        return True
    return term_exceeds(start, end, months=exempt_months)


def requires_tender(start: date, end: date | None, *,
                    threshold_years: int = TENDER_THRESHOLD_YEARS) -> bool:
    """art. 37 ust. 4: over 3 years (or an open term) → tender, unless the council waives it."""
    return term_exceeds(start, end, years=threshold_years)


def notice_earliest_contract_date(posted_on: date, *, days: int = NOTICE_DAYS) -> date:
    """The first day a contract may be signed: the notice hung ``days`` full days before."""
    return posted_on + timedelta(days=days)


@dataclass(frozen=True)
class Issue:
    """A rule the record breaks: ``code`` for tests and code, ``message`` for people."""

    code: str
    message: str
    params: Mapping[str, object] | None = None


def notice_issues(*, start: date, end: date | None, contract_date: date | None,
                  posted_on: date | None, removed_on: date | None, follow_up: bool = False,
                  days: int = NOTICE_DAYS) -> list[Issue]:
    """What is wrong with the public notice (wykaz) of a lease, if anything."""
    if not requires_notice(start, end, follow_up=follow_up):
        return []
    if posted_on is None:
        return [Issue("notice_missing", "a public notice (wykaz) must be hung for {days} days "
                      "before the contract", {"days": days})]
    issues = []
    if removed_on is not None and removed_on < posted_on + timedelta(days=days - 1):
        issues.append(Issue("notice_too_short",
                            "the notice hung fewer than {days} days ({posted} – {removed})",
                            {"days": days, "posted": posted_on, "removed": removed_on}))
    if contract_date is not None and contract_date < notice_earliest_contract_date(
            posted_on, days=days):
        issues.append(Issue("notice_not_elapsed",
                            "the contract date {contract} comes before the notice has hung "
                            "{days} days (earliest {earliest})",
                            {"contract": contract_date, "days": days,
                             "earliest": notice_earliest_contract_date(posted_on, days=days)}))
    return issues


def procedure_issues(*, start: date, end: date | None, tender: bool,
                     council_consent: bool) -> list[Issue]:
    """art. 37 ust. 4: a long or open-term lease without a tender needs the council's consent."""
    if requires_tender(start, end) and not tender and not council_consent:
        return [Issue("tender_or_consent",
                      "a lease longer than {years} years or for an open term needs a tender or "
                      "the council's consent to waive it", {"years": TENDER_THRESHOLD_YEARS})]
    return []


def term_issues(*, start: date, end: date | None) -> list[Issue]:
    if end is not None and end < start:
        return [Issue("end_before_start", "the end date {end} is before the start date {start}",
                      {"end": end, "start": start})]
    return []


def leases_may_overlap(a_shared: bool, b_shared: bool) -> bool:
    """Two active leases may cover the same land only when both are marked as shared."""
    return a_shared and b_shared


def periods_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Closed date ranges, ``None`` as an open end."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


# --- rent and indexation -----------------------------------------------------------------------


class RentPeriod(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


PERIODS_PER_YEAR = {RentPeriod.MONTHLY: 12, RentPeriod.QUARTERLY: 4, RentPeriod.YEARLY: 1}


class Indexation(StrEnum):
    NONE = "none"
    # Each 1 January (from the second calendar year of the lease) the rent is multiplied by the
    # average annual consumer price index of the previous year published by the President of
    # GUS (e.g. 103.6 = +3.6 %), the usual clause of municipal lease contracts.
    CPI = "cpi"


class MissingIndexError(ValueError):
    def __init__(self, year: int) -> None:
        super().__init__(f"no price index for {year}: add it to the index table")
        self.year = year


def gross(net: Decimal, vat_rate_percent: Decimal) -> Decimal:
    return money(net * (Decimal(100) + vat_rate_percent) / Decimal(100))


def indexed_rent(base: Decimal, start_year: int, year: int, method: Indexation | str,
                 index_table: Mapping[int, Decimal]) -> Decimal:
    """The rent per period in ``year``, each yearly step rounded to grosze as an invoice is."""
    rent = money(base)
    if Indexation(method) == Indexation.NONE or year <= start_year:
        return rent
    for y in range(start_year + 1, year + 1):
        index = index_table.get(y - 1)
        if index is None:
            raise MissingIndexError(y - 1)
        rent = money(rent * Decimal(index) / Decimal(100))
    return rent


def months_in_year(start: date, end: date | None, year: int) -> int:
    """Calendar months of ``year`` the lease touches (a started month is billed in full)."""
    first = max(start, date(year, 1, 1))
    last = date(year, 12, 31) if end is None else min(end, date(year, 12, 31))
    if last < first:
        return 0
    return (last.month - first.month) + 1


@dataclass(frozen=True)
class RentYear:
    year: int
    rent_per_period: Decimal
    months: int
    net: Decimal
    vat: Decimal
    gross: Decimal
    index_applied: Decimal | None


def rent_schedule(*, amount: Decimal, period: RentPeriod | str, vat_rate_percent: Decimal,
                  start: date, end: date | None, method: Indexation | str,
                  index_table: Mapping[int, Decimal], until_year: int | None = None
                  ) -> list[RentYear]:
    """The yearly rent of a lease: rent per period after indexation and the year's total.

    An open-term lease is scheduled up to ``until_year``. When an index is not yet published,
    the schedule stops at the last year that can be computed (the index table is data).
    """
    if end is None:
        if until_year is None:
            raise ValueError("an open-term lease needs until_year for its schedule")
        last_year = until_year
    else:
        last_year = end.year if until_year is None else min(end.year, until_year)
    per_year = PERIODS_PER_YEAR[RentPeriod(period)]
    rows = []
    for year in range(start.year, last_year + 1):
        try:
            rent = indexed_rent(amount, start.year, year, method, index_table)
        except MissingIndexError:
            break
        months = months_in_year(start, end, year)
        net = money(rent * per_year * Decimal(months) / Decimal(12))
        total = gross(net, vat_rate_percent)
        applied = None
        if Indexation(method) == Indexation.CPI and year > start.year:
            applied = Decimal(index_table[year - 1])
        rows.append(RentYear(year, rent, months, net, total - net, total, applied))
    return rows


# --- perpetual usufruct (użytkowanie wieczyste) ------------------------------------------------


class UsufructPurpose(StrEnum):
    DEFENCE_CHARITY = "defence_charity"  # art. 72 ust. 3 pkt 1–3: 0.3 %
    AGRICULTURE = "agriculture"  # pkt 3a: 1 %
    GARAGES = "garages"  # pkt 3b: 1 %
    HOUSING_PUBLIC = "housing_public"  # pkt 4: housing, infrastructure, public, sport: 1 %
    TOURISM = "tourism"  # pkt 4a: 2 %
    OTHER = "other"  # pkt 5: 3 %


USUFRUCT_RATES: dict[str, Decimal] = {
    UsufructPurpose.DEFENCE_CHARITY: Decimal("0.3"),
    UsufructPurpose.AGRICULTURE: Decimal("1"),
    UsufructPurpose.GARAGES: Decimal("1"),
    UsufructPurpose.HOUSING_PUBLIC: Decimal("1"),
    UsufructPurpose.TOURISM: Decimal("2"),
    UsufructPurpose.OTHER: Decimal("3"),
}
USUFRUCT_UPDATE_MIN_YEARS = 3  # art. 77 ust. 1 UGN
USUFRUCT_DUE_MONTH_DAY = (3, 31)  # art. 71 ust. 4 UGN (UNCONFIRMED in legal-facts §9 item 9)
# art. 78 ust. 1 UGN (SECONDARY in legal-facts §6): notice by 31 December, the new fee from
# 1 January of the following year. Parameters, not constants of the code.
USUFRUCT_NOTICE_DEADLINE_MONTH_DAY = (12, 31)
USUFRUCT_NOTICE_LAG_YEARS = 1


def usufruct_annual_fee(land_value: Decimal, purpose: UsufructPurpose | str,
                        rates: Mapping[str, Decimal] = USUFRUCT_RATES) -> Decimal:
    """art. 72 ust. 3: the annual fee as a percentage of the land value."""
    return money(Decimal(land_value) * rates[UsufructPurpose(purpose)] / Decimal(100))


def usufruct_due_date(year: int, month_day: tuple[int, int] = USUFRUCT_DUE_MONTH_DAY) -> date:
    return date(year, *month_day)


def usufruct_update_issues(last_update_year: int | None, effective_year: int, *,
                           min_years: int = USUFRUCT_UPDATE_MIN_YEARS) -> list[Issue]:
    """art. 77 ust. 1: no more often than every ``min_years`` years."""
    if last_update_year is not None and effective_year - last_update_year < min_years:
        return [Issue("update_too_soon",
                      "the fee was last updated in {last}; the next update may take effect in "
                      "{earliest} at the earliest",
                      {"last": last_update_year, "earliest": last_update_year + min_years})]
    return []


def usufruct_update_spread(old_fee: Decimal, new_fee: Decimal, first_year: int
                           ) -> list[tuple[int, Decimal]]:
    """art. 77 ust. 2a: the fees payable in the years after an update.

    When the new fee exceeds double the old one, year 1 pays double the old fee and the surplus
    (new − 2 × old) is added in two equal parts in years 2 and 3; otherwise the new fee applies
    at once. E.g. old 1 000 zł, new 3 000 zł: 2 000, 2 500, 3 000.
    """
    old_fee, new_fee = money(old_fee), money(new_fee)
    double = old_fee * 2
    if new_fee <= double:
        return [(first_year, new_fee)]
    half_surplus = money((new_fee - double) / 2)
    return [(first_year, double), (first_year + 1, double + half_surplus),
            (first_year + 2, new_fee)]


def usufruct_notice_deadline(effective_year: int, *,
                             month_day: tuple[int, int] = USUFRUCT_NOTICE_DEADLINE_MONTH_DAY,
                             lag_years: int = USUFRUCT_NOTICE_LAG_YEARS) -> date:
    """The last day a notice may be given for a fee to take effect on 1 January ``effective_year``.

    art. 78 ust. 1 UGN: the current fee is given notice of in writing by 31 December and the
    updated fee applies from 1 January of the year after the notice. E.g. for 2027: 31 Dec 2026.
    """
    return date(effective_year - lag_years, *month_day)


def usufruct_notice_issues(notice_on: date, effective_year: int, *,
                           month_day: tuple[int, int] = USUFRUCT_NOTICE_DEADLINE_MONTH_DAY,
                           lag_years: int = USUFRUCT_NOTICE_LAG_YEARS) -> list[Issue]:
    """art. 78 ust. 1: whether a notice given on ``notice_on`` makes the fee apply in
    ``effective_year``.

    The rule: the updated fee applies from 1 January of the year after the year in which the
    notice was given by the deadline (31 December). A notice after the deadline is too late for
    that year; a notice given earlier than that year's notice period makes the fee apply sooner,
    so the year entered is wrong either way: the message names the year the notice does give.
    """
    deadline = usufruct_notice_deadline(effective_year, month_day=month_day, lag_years=lag_years)
    if notice_on > deadline:
        return [Issue("update_notice_too_late",
                      "a notice given on {notice} is too late for {year}: it had to be given by "
                      "{deadline}",
                      {"notice": notice_on, "year": effective_year, "deadline": deadline})]
    earlier = usufruct_notice_deadline(effective_year - 1, month_day=month_day,
                                       lag_years=lag_years)
    if notice_on <= earlier:
        applies = notice_on.year + lag_years + (
            1 if notice_on > date(notice_on.year, *month_day) else 0)
        return [Issue("update_notice_other_year",
                      "a notice given on {notice} makes the new fee apply from 1 January "
                      "{applies}, not {year}",
                      {"notice": notice_on, "year": effective_year, "applies": applies})]
    return []


def usufruct_payable(year: int, fee: Decimal, *, previous_fee: Decimal | None,
                     effective_year: int | None) -> Decimal:
    """The fee payable for ``year``: before the update takes effect the previous fee, from then
    on the spread of art. 77 ust. 2a (double the old fee, then the surplus in two halves), after
    the spread the new fee.

    E.g. old 2 000 zł, new 5 000 zł taking effect in 2027: 2026 pays 2 000, 2027 4 000,
    2028 4 500, 2029 on 5 000.
    """
    if previous_fee is None or effective_year is None:
        return money(fee)
    if year < effective_year:
        return money(previous_fee)
    return dict(usufruct_update_spread(previous_fee, fee, effective_year)).get(year, money(fee))
