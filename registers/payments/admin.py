"""Admin for the payments register: an administrator extends the late-payment interest rate
table (a new rate from its day) and adds each year's parameters (interest threshold, cost of a
reminder); the seeded values are marked UNCONFIRMED in their note."""

from __future__ import annotations

from django.contrib import admin

from registers.payments import models


@admin.register(models.InterestRate)
class InterestRateAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "annual_percent", "source")


@admin.register(models.PaymentParameters)
class PaymentParametersAdmin(admin.ModelAdmin):
    list_display = ("year", "interest_threshold", "reminder_cost", "enforcement_after_days",
                    "note")
