"""Admin for the tax register: an administrator adds each new year's caps, prices and threshold
here (the published values up to 2026 are seeded by migration 0002)."""

from __future__ import annotations

from django.contrib import admin

from registers.taxes import models


@admin.register(models.YearlyParameters)
class YearlyParametersAdmin(admin.ModelAdmin):
    list_display = ("year", "minimum_threshold", "rye_price_per_dt", "timber_price_per_m3")


@admin.register(models.RateCap)
class RateCapAdmin(admin.ModelAdmin):
    list_display = ("year", "category", "cap", "source")
    list_filter = ("year", "category")


@admin.register(models.ConversionFactor)
class ConversionFactorAdmin(admin.ModelAdmin):
    list_display = ("ofu", "soil_class", "district", "factor")
    list_filter = ("district", "ofu")


@admin.register(models.TaxOfficeSettings)
class TaxOfficeSettingsAdmin(admin.ModelAdmin):
    list_display = ("municipality", "organ", "appeal_body", "district", "number_prefix")


class RateInline(admin.TabularInline):
    model = models.Rate
    extra = 0


@admin.register(models.RateResolution)
class RateResolutionAdmin(admin.ModelAdmin):
    list_display = ("municipality", "year", "number", "adopted_on")
    list_filter = ("municipality", "year")
    inlines = [RateInline]

    def get_readonly_fields(self, request, obj=None):
        # rates are checked against the caps by services.resolution_save (the pages); here they
        # can be viewed, not edited, so that no unchecked rate enters
        return ("municipality", "year") if obj else ()

    def has_change_permission(self, request, obj=None):
        return False

# Taxpayers, tax objects and cases are tax secrets: they are shown only by the register's pages,
# which check VIEW_TAX per municipality and write the audit log, never in the admin.
