"""The import report in the Django admin: runs with counts, their issues inline."""

from __future__ import annotations

from django.contrib import admin

from importers.models import ImportIssue, ImportRun


class ImportIssueInline(admin.TabularInline):
    model = ImportIssue
    extra = 0
    can_delete = False
    fields = ("kind", "feature_type", "object_id", "line", "reason")
    readonly_fields = fields
    max_num = 0
    show_change_link = False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "source", "municipality", "status", "phase", "created",
                    "updated", "unchanged", "retired", "rejected", "history")
    list_filter = ("status", "kind", "municipality")
    search_fields = ("source", "sha256")
    readonly_fields = [f.name for f in ImportRun._meta.fields]
    inlines = [ImportIssueInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportIssue)
class ImportIssueAdmin(admin.ModelAdmin):
    list_display = ("run", "kind", "feature_type", "object_id", "line", "reason")
    list_filter = ("kind", "feature_type")
    search_fields = ("object_id", "reason")
    readonly_fields = ("run", "kind", "feature_type", "object_id", "line", "reason")

    def has_add_permission(self, request) -> bool:
        return False
