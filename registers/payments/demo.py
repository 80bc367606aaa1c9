"""Demo payments for any town with the tax demo loaded: a bank with individual accounts, the
year's charges from the tax roll's instalment plan, and two bank statements (camt.053 for the
first half of the year, MT940 for the second) imported through the real service, so the map
shows taxpayers who paid, paid in part, paid late (interest), overpaid and did not pay; two
payments nobody can be identified by wait in the clarification queue; reminders for what is
overdue on 25 November, some delivered (so the enforcement list is not empty).

Re-running changes nothing: the statements are recognised, charges already due are kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from layers.models import Municipality
from registers.payments import samples, services
from registers.payments.models import BankSettings, Charge, IndividualAccount, Reminder

DEMO_SETTLEMENT = "10201026"  # a settlement number with a valid check digit
DEMO_PREFIX = "1805"
COLLECTION = "63102010260000000000000000"


def load_demo(municipality: Municipality, user=None) -> dict[str, int]:
    year = timezone.localdate().year
    if not BankSettings.objects.filter(municipality=municipality).exists():
        services.bank_settings_save(user, municipality, DEMO_SETTLEMENT, DEMO_PREFIX,
                                    bank_name="Bank demonstracyjny")
    services.ensure_accounts(municipality.pk)
    try:
        services.post_liability_charges(municipality.pk, year)
    except ValidationError:
        return {"charges": 0}
    accounts = dict(IndividualAccount.objects.filter(municipality=municipality)
                    .values_list("taxpayer_id", "nrb"))
    charges: dict[int, list[Charge]] = {}
    for c in Charge.objects.filter(municipality=municipality, year=year,
                                   kind=Charge.Kind.INSTALMENT).order_by("due_date", "number"):
        charges.setdefault(c.taxpayer_id, []).append(c)
    credits: list[samples.Credit] = []
    for i, tid in enumerate(sorted(charges)):
        mine, nrb, kind = charges[tid], accounts.get(tid), i % 10
        if nrb is None:
            continue
        if kind <= 5:  # paid on time
            credits += [samples.Credit(c.due_date - timedelta(days=2), c.amount, nrb)
                        for c in mine]
        elif kind == 6:  # paid the first two only
            credits += [samples.Credit(c.due_date - timedelta(days=1), c.amount, nrb)
                        for c in mine[:2]]
        elif kind == 8:  # paid each instalment 30 days late, the amount without interest
            credits += [samples.Credit(c.due_date + timedelta(days=30), c.amount, nrb,
                                       title=f"rata {c.number}/{year}") for c in mine]
        elif kind == 9:  # the whole year at once, 50 zł too much
            total = sum((c.amount for c in mine), Decimal("0")) + Decimal("50.00")
            credits.append(samples.Credit(mine[0].due_date - timedelta(days=5), total, nrb))
        # kind 7: nothing paid
    credits += [samples.Credit(date(year, 4, 2), Decimal("87.00"), COLLECTION,
                               title="podatek", payer_name="Nieznany Wpłacający"),
                samples.Credit(date(year, 10, 7), Decimal("120.50"), COLLECTION,
                               title="opłata", payer_name="A. B.")]
    today = timezone.localdate()
    credits = sorted((c for c in credits if c.booked_on < today), key=lambda c: c.booked_on)
    first = [c for c in credits if c.booked_on.month <= 6]
    second = [c for c in credits if c.booked_on.month > 6]
    imported = 0
    if first:
        imported += services.import_statement(user, municipality, samples.camt053(
            COLLECTION, f"DEMO-{year}-H1", first), "demo-h1.xml").new
    if second:
        imported += services.import_statement(user, municipality, samples.mt940(
            COLLECTION, f"DEMO-{year}-H2", second), "demo-h2.sta").new
    reminders = 0
    reminder_day = date(year, 11, 25)
    if reminder_day < today and not Reminder.objects.filter(
            municipality=municipality, issued_on=reminder_day).exists():
        issued = services.issue_reminders(user, municipality.pk, reminder_day)
        reminders = len(issued)
        services.reminders_delivered(user, issued[::2], reminder_day + timedelta(days=3))
    return {"charges": sum(len(v) for v in charges.values()), "payments": imported,
            "reminders": reminders}
