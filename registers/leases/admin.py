"""Admin for installation administrators: the price-index table and corrections of records.

Officers work in the register's own pages, where every rule is checked and every change is
audit-logged; the admin is for reference data (the CPI table) kept by staff.
"""

from django.contrib import admin

from registers.leases.models import (
    InvestmentOffer,
    Lease,
    LeaseDocument,
    PriceIndex,
    PropertyOverride,
    Usufruct,
)


@admin.register(PriceIndex)
class PriceIndexAdmin(admin.ModelAdmin):
    list_display = ("year", "cpi", "source")


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ("number", "municipality", "lessee_name", "status", "start_date", "end_date")
    list_filter = ("status", "kind", "municipality")
    search_fields = ("number", "lessee_name")
    readonly_fields = ("version", "area_m2")


@admin.register(PropertyOverride, InvestmentOffer, Usufruct)
class VersionedRecordAdmin(admin.ModelAdmin):
    # The version is the pages' optimistic lock (see services): never typed in by hand.
    readonly_fields = ("version",)


admin.site.register(LeaseDocument)
