from django.contrib import admin

from gis_app.accounts.models import Grant


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality", "role", "granted_at")
    list_filter = ("role", "municipality")
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
