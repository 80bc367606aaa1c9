"""Django admin for the spatial register, with a map widget that works without internet."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.gis import admin as gis_admin
from django.core.exceptions import ValidationError

from layers import models
from layers.validators import clean_kw, clean_regon
from layers.widgets import OfflineMapWidget


class MapAdmin(gis_admin.GISModelAdmin):
    gis_widget = OfflineMapWidget
    list_per_page = 50


class SourcedAdmin(MapAdmin):
    readonly_fields = ("source_namespace", "local_id", "version_id", "object_start",
                       "version_start", "version_end", "object_end", "retired_at",
                       "import_run_id", "unresolved_links")

    # A retired record is cadastral history (what the register said until it was retired):
    # it can be viewed, never changed or deleted.
    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _retired(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _retired(obj)


def _retired(obj) -> bool:
    return obj is not None and getattr(obj, "retired_at", None) is not None


@admin.register(models.Municipality)
class MunicipalityAdmin(MapAdmin):
    list_display = ("teryt", "name")
    search_fields = ("teryt", "name")


@admin.register(models.Precinct)
class PrecinctAdmin(SourcedAdmin):
    list_display = ("teryt", "name", "municipality")
    list_filter = ("municipality",)
    search_fields = ("teryt", "name")


class ParcelForm(forms.ModelForm):
    """KW numbers checked by their control digit (a typo names the number)."""

    class Meta:
        model = models.Parcel
        fields = "__all__"  # noqa: DJ007 (the admin's own field set)

    def clean_kw_numbers(self) -> list[str]:
        numbers, errors = [], []
        for kw in self.cleaned_data.get("kw_numbers") or []:
            try:
                numbers.append(clean_kw(kw))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return numbers


class SubjectForm(forms.ModelForm):
    class Meta:
        model = models.Subject
        fields = "__all__"  # noqa: DJ007 (the admin's own field set)

    def clean_regon(self) -> Any:
        return clean_regon(self.cleaned_data.get("regon", ""))


@admin.register(models.Parcel)
class ParcelAdmin(SourcedAdmin):
    form = ParcelForm
    list_display = ("cadastral_id", "precinct", "legal_area_m2", "geom_area_m2", "retired_at")
    list_filter = ("municipality", "precinct")
    search_fields = ("cadastral_id", "number", "kw_numbers")
    raw_id_fields = ("registration_unit", "addresses", "precinct")


@admin.register(models.Building)
class BuildingAdmin(SourcedAdmin):
    list_display = ("building_id", "kind", "storeys_above", "built_up_area_m2")
    list_filter = ("municipality", "kind")
    search_fields = ("building_id",)
    raw_id_fields = ("registration_unit", "addresses", "parcels", "precinct")


@admin.register(models.LandUse)
class LandUseAdmin(SourcedAdmin):
    list_display = ("contour_id", "kind", "ofu", "ozu", "ozk")
    list_filter = ("municipality", "kind", "ofu")
    raw_id_fields = ("parcel", "precinct")


@admin.register(models.ParkingZone)
class ParkingZoneAdmin(SourcedAdmin):
    list_display = ("code", "name", "kind", "municipality")
    list_filter = ("municipality", "kind")


@admin.register(models.LandscapeArea)
class LandscapeAreaAdmin(SourcedAdmin):
    list_display = ("code", "name", "kind", "municipality")
    list_filter = ("municipality", "kind")


@admin.register(models.Address)
class AddressAdmin(SourcedAdmin):
    list_display = ("__str__", "municipality")
    search_fields = ("search_text",)


@admin.register(models.RegistrationUnit)
class RegistrationUnitAdmin(SourcedAdmin):
    list_display = ("unit_id", "kind", "group", "municipality")
    list_filter = ("kind", "group")
    search_fields = ("unit_id",)


class PersonalDataAdmin(SourcedAdmin):
    """Owners and shares are personal data (RODO): in the admin only for superusers (of their
    own towns, gis_app.admin_site), and every list or record shown is audit-logged as a read of
    owner data (gis_app.audit.admin_trail)."""

    def has_module_permission(self, request) -> bool:
        return (request.user.is_active and request.user.is_superuser
                and super().has_module_permission(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return (request.user.is_active and request.user.is_superuser
                and super().has_view_permission(request, obj))

    def has_change_permission(self, request, obj=None) -> bool:
        return (request.user.is_active and request.user.is_superuser
                and super().has_change_permission(request, obj))


@admin.register(models.Subject)
class SubjectAdmin(PersonalDataAdmin):
    list_display = ("name", "kind", "municipality")
    list_filter = ("kind",)
    search_fields = ("search_text",)
    exclude = ("pesel_encrypted",)
    form = SubjectForm


@admin.register(models.Share)
class ShareAdmin(PersonalDataAdmin):
    list_display = ("kind", "subject", "registration_unit", "numerator", "denominator")
    raw_id_fields = ("subject", "registration_unit")


@admin.register(models.FeatureVersion)
class FeatureVersionAdmin(MapAdmin):
    """The cadastral history: archived versions are evidence of what the register said. They
    are read-only here (no add, change or delete, for anyone); reading archived owner versions
    is audited (gis_app.audit.admin_trail)."""

    list_display = ("feature_type", "local_id", "version_id", "version_start", "version_end")
    list_filter = ("feature_type",)
    search_fields = ("local_id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
