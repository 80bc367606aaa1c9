"""Admin: PPP projects with their worksheet years, stage documents and obligations."""

from django.contrib import admin

from registers.ppp.models import PppCashflow, PppMilestone, PppObligation, PppProject


class CashflowInline(admin.TabularInline):
    model = PppCashflow
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = PppMilestone
    extra = 0


class ObligationInline(admin.TabularInline):
    model = PppObligation
    extra = 0


@admin.register(PppProject)
class PppProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "municipality", "stage", "route", "open_for_partners")
    list_filter = ("stage", "route", "municipality")
    readonly_fields = ("geom", "version")
    inlines = [CashflowInline, MilestoneInline, ObligationInline]
