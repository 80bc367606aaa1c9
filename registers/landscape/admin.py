"""Admin for the landscape register: the yearly advertising fee caps are edited here."""

from django.contrib import admin

from registers.landscape.forms import AreaRuleForm
from registers.landscape.models import (
    AdvertisingFeeCap,
    AreaRule,
    Inspection,
    LandscapeResolution,
)


@admin.register(AdvertisingFeeCap)
class AdvertisingFeeCapAdmin(admin.ModelAdmin):
    list_display = ("year", "fixed", "variable", "source")


@admin.register(AreaRule)
class AreaRuleAdmin(admin.ModelAdmin):
    form = AreaRuleForm  # values checked by rules.parse_value, as on the edit page
    list_display = ("area", "subject", "kind", "value", "citation")
    list_select_related = ("area",)
    list_filter = ("subject", "kind")


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("id", "inspected_at", "inspector", "municipality", "outcome")
    list_select_related = ("inspector", "municipality")
    readonly_fields = ("object", "findings", "outcome", "inspector", "inspected_at", "geom")


@admin.register(LandscapeResolution)
class LandscapeResolutionAdmin(admin.ModelAdmin):
    """The town's landscape resolution: in force from, and the adjustment period for existing
    boards and fences (checked against the statutory minimum in the model's clean)."""

    list_display = ("municipality", "number", "adopted_on", "in_force_on", "adjustment_months")
    list_select_related = ("municipality",)
    exclude = ("version",)
