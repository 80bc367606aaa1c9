"""The demo town's payments: paid, partly paid, late (interest), overpaid and unpaid taxpayers
through the real statement import; the map status shows all of them; a re-run changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from layers.models import Municipality
from registers.payments import demo, services
from registers.payments.models import Charge, LedgerEntry, Payment, Reminder
from registers.taxes import demo as tax_demo

pytestmark = pytest.mark.django_db


def test_demo_town_has_paid_partly_paid_and_overdue_taxpayers(settings, tmp_path):
    settings.GEOGMINA_VAR_DIR = tmp_path
    call_command("load_demo", "--parcels", "200", "--no-hooks")
    town = Municipality.objects.get(teryt="180501_1")
    tax_demo.load_demo(town)
    result = demo.load_demo(town)
    assert result["charges"] > 0 and result["payments"] > 0
    assert Payment.objects.filter(municipality=town, status="queued").count() == 2
    assert LedgerEntry.objects.filter(municipality=town, kind="interest_accrued").exists()
    assert LedgerEntry.objects.filter(municipality=town, kind="overpayment").exists()
    today = timezone.localdate()
    with connection.cursor() as cur:
        cur.execute("""SELECT DISTINCT s.status FROM layers_parcel p
                       CROSS JOIN LATERAL taxes_parcel_tax_status(p.municipality_id,
                                                                  p.cadastral_id, %s) s
                       WHERE p.municipality_id = %s""", [today, town.pk])
        statuses = {row[0] for row in cur.fetchall()}
    assert {"paid", "in_arrears"} <= statuses
    partly = Charge.objects.filter(municipality=town, principal_open__gt=0) \
        .exclude(principal_open=F("amount")).exists()
    assert partly
    if today.month == 12:
        assert Reminder.objects.filter(municipality=town).exists()
    counts = (Payment.objects.count(), LedgerEntry.objects.count(), Charge.objects.count())
    demo.load_demo(town)  # again: nothing changes
    assert (Payment.objects.count(), LedgerEntry.objects.count(),
            Charge.objects.count()) == counts
    for tid in Charge.objects.filter(municipality=town).values_list(
            "taxpayer_id", flat=True).distinct()[:40]:
        assert services.replay_taxpayer(tid) == services.stored_steps(tid)

