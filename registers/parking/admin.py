"""Admin for the parking register: the yearly minimum wage is edited here (a parameter table)."""

from django.contrib import admin

from registers.parking.models import (
    Exemption,
    ExemptVehicle,
    MinimumWage,
    Permit,
    Subscription,
    Tariff,
    ZoneCapacity,
)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


@admin.register(MinimumWage)
class MinimumWageAdmin(admin.ModelAdmin):
    list_display = ("year", "amount", "source")


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("zone", "resolution_number", "valid_from", "valid_to", "first_hour")
    list_select_related = ("zone",)
    inlines = [SubscriptionInline]
    readonly_fields = [f.name for f in Tariff._meta.fields]  # edits go through the validated form

    def has_add_permission(self, request):  # tariffs are added through the validated page
        return False


@admin.register(Permit)
class PermitAdmin(admin.ModelAdmin):
    """Residents' and business permits (abonament) per zone, vehicle and period."""

    list_display = ("plate", "zone", "kind", "valid_from", "valid_to", "price")
    list_filter = ("kind",)
    search_fields = ("plate",)
    list_select_related = ("zone",)


class ExemptVehicleInline(admin.TabularInline):
    model = ExemptVehicle
    extra = 0


@admin.register(Exemption)
class ExemptionAdmin(admin.ModelAdmin):
    """Exemptions as data: the road act's (no town) and each resolution's; the vehicles listed
    under a registered one (e.g. the road authority's cars)."""

    list_display = ("kind", "evidence", "municipality", "zone", "legal_basis", "valid_to")
    list_filter = ("kind", "evidence")
    inlines = [ExemptVehicleInline]


@admin.register(ZoneCapacity)
class ZoneCapacityAdmin(admin.ModelAdmin):
    """Each zone's paid bays: the denominator of the revenue page's estimated occupancy."""

    list_display = ("zone", "bays", "source")
    list_select_related = ("zone",)
