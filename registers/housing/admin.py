"""Admin: the housing standards (data keyed by date) and the flats, for installation staff."""

from django.contrib import admin

from registers.housing.models import HousingResolution, HousingStandard, ProtectedFlat


@admin.register(HousingStandard)
class HousingStandardAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "max_persons", "min_m2_per_person", "source")


@admin.register(ProtectedFlat)
class ProtectedFlatAdmin(admin.ModelAdmin):
    list_display = ("address", "municipality", "kind", "places", "occupied_places",
                    "usable_area_m2")
    list_filter = ("kind", "operator_kind", "municipality")


@admin.register(HousingResolution)
class HousingResolutionAdmin(admin.ModelAdmin):
    """The council's fee table and waiting-list points (residents are never in the admin:
    only the social-welfare officer's pages show them)."""

    list_display = ("number", "municipality", "valid_from", "criterion_single",
                    "criterion_family", "monthly_cost")
    list_filter = ("municipality",)
