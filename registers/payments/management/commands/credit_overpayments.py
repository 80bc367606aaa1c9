"""The daily run of art. 76 § 1 o.p.: every kept overpayment credited against the charges that
have fallen due by the day (imports, allocations, decisions and reminders do it too; this
catches instalments that fall due on a day without any of them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from registers.payments import services
from registers.payments.models import Charge


class Command(BaseCommand):
    help = "Credit kept overpayments against the charges due by a day (art. 76 § 1 o.p.)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None,
                            help="the day (YYYY-MM-DD; default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or timezone.localdate()
        towns = Charge.objects.values_list("municipality_id", flat=True).distinct()
        total = 0
        for municipality_id in sorted(towns):
            with transaction.atomic():
                services._lock(municipality_id)
                total += services.credit_overpayments(municipality_id, day)
        self.stdout.write(f"{total} charges credited from overpayments up to {day}")
