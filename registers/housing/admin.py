"""Admin: the housing standards (data keyed by date) and the flats, for installation staff."""

from django.contrib import admin

from registers.housing.models import HousingStandard, ProtectedFlat


@admin.register(HousingStandard)
class HousingStandardAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "max_persons", "min_m2_per_person", "source")


@admin.register(ProtectedFlat)
class ProtectedFlatAdmin(admin.ModelAdmin):
    list_display = ("address", "municipality", "kind", "places", "occupied_places",
                    "usable_area_m2")
    list_filter = ("kind", "operator_kind", "municipality")
