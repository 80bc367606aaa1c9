"""The project's Django admin site: every ModelAdmin audited and scoped to the admin's towns.

``GeogminaAdminSite`` is the default admin site (``gis_app.apps.GeogminaAdminConfig`` replaces
``django.contrib.admin`` in INSTALLED_APPS). Its ``register()`` mixes two classes into every
ModelAdmin it is given, whoever registers it, so a new admin cannot forget either:

``AuditedAdminMixin`` (gis_app.audit.admin_trail)
    every change writes an AuditEvent with before and after; reads of owner and tax data are
    audited like the app's own reads.

``TownScopedAdminMixin`` (below)
    a user's admin covers only the towns (municipalities) in which he holds the administrator
    role, superuser or not, unless his user name is listed in ``GEOGMINA_NATIONAL_SUPERUSERS``
    (and he is a superuser). For a scoped admin:

    * every model that belongs to a town (directly or through its parent records) lists, shows,
      changes and deletes only his towns' rows; foreign-key and many-to-many choices offer only
      his towns' records; a save whose record or any related record lies in another town is
      refused (403) - so he cannot grant himself, or anyone, a role in another town;
    * users: he sees himself and the accounts whose every role lies in his towns (accounts of no
      town included, so he can create one and grant it a role); never another superuser; he
      cannot make anyone a superuser or hand out Django permissions or groups;
    * national tables (the registers' yearly parameters): view only; they change every town;
    * other tables of no town (permission groups, login throttling records): hidden;
    * adding a municipality is national only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models

from gis_app.accounts.roles import Role
from gis_app.audit.admin_trail import (
    MUNICIPALITY_MODEL,
    REGISTER_APPS,
    AuditedAdminMixin,
    town_path,
)

_CACHE_ATTR = "_geogmina_admin_towns"
_NATIONAL = "national"


def admin_town_ids(request: Any) -> set[int] | None:
    """The towns ``request.user`` administers in the Django admin; None: every town."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return None if cached == _NATIONAL else cached
    user = request.user
    if (user.is_active and user.is_superuser
            and user.get_username() in getattr(settings, "GEOGMINA_NATIONAL_SUPERUSERS", ())):
        setattr(request, _CACHE_ATTR, _NATIONAL)
        return None
    ids = set(user.grants.filter(role=Role.ADMINISTRATOR).values_list("municipality_id",
                                                                        flat=True)) \
        if user.is_authenticated else set()
    setattr(request, _CACHE_ATTR, ids)
    return ids


def is_national_table(model: type[models.Model]) -> bool:
    """A register's national parameter table (rate caps, minimum wage …): no town."""
    return model._meta.app_label in REGISTER_APPS and town_path(model) is None


def scope_queryset(queryset: models.QuerySet, ids: set[int] | None) -> models.QuerySet:
    """``queryset`` narrowed to the towns ``ids`` (None: unchanged; no town: empty)."""
    if ids is None:
        return queryset
    model = queryset.model
    if model is _user_model():
        return scope_users(queryset, ids)
    path = town_path(model)
    if path is None:
        return queryset if is_national_table(model) else queryset.none()
    return queryset.filter(**{f"{path}__in": ids})


def _user_model() -> type[models.Model]:
    from django.contrib.auth import get_user_model

    return get_user_model()


def scope_users(queryset: models.QuerySet, ids: set[int], me: Any = None) -> models.QuerySet:
    """Accounts whose every role lies in ``ids`` (or that have none), never a superuser."""
    from gis_app.accounts.models import Grant

    elsewhere = Grant.objects.exclude(municipality_id__in=ids).values("user_id")
    scoped = queryset.exclude(pk__in=elsewhere).exclude(is_superuser=True)
    if me is not None and me.pk is not None:
        scoped = scoped | queryset.filter(pk=me.pk)
    return scoped.distinct()


class TownScopedAdminMixin:
    """Narrows a ModelAdmin to the towns the user administers (see the module docstring)."""

    def _towns(self, request: Any) -> set[int] | None:
        return admin_town_ids(request)

    def _in_scope(self, request: Any, obj: Any) -> bool:
        ids = self._towns(request)
        if ids is None or obj is None:
            return True
        if obj.pk is None:
            return True  # an unsaved record: checked by save_model
        return scope_queryset(type(obj)._default_manager.filter(pk=obj.pk), ids).exists() \
            if not isinstance(obj, _user_model()) \
            else scope_users(_user_model()._default_manager.filter(pk=obj.pk), ids,
                             request.user).exists()

    def _scoped_model(self) -> str:
        """"town", "users", "national" (view only when scoped) or "hidden" (when scoped)."""
        model = self.model
        if model is _user_model():
            return "users"
        if town_path(model) is not None:
            return "town"
        return "national" if is_national_table(model) else "hidden"

    # --- what the admin may see and do ---------------------------------------------------

    def get_queryset(self, request: Any) -> models.QuerySet:
        queryset = super().get_queryset(request)
        ids = self._towns(request)
        if ids is None:
            return queryset
        if self._scoped_model() == "users":
            return scope_users(queryset, ids, request.user)
        return scope_queryset(queryset, ids)

    def has_module_permission(self, request: Any) -> bool:
        if not super().has_module_permission(request):
            return False
        ids = self._towns(request)
        return ids is None or (bool(ids) and self._scoped_model() != "hidden")

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        ids = self._towns(request)
        if ids is None:
            return True
        return bool(ids) and self._scoped_model() != "hidden" and self._in_scope(request, obj)

    def _may_write(self, request: Any, obj: Any) -> bool:
        ids = self._towns(request)
        if ids is None:
            return True
        return (bool(ids) and self._scoped_model() in ("town", "users")
                and self._in_scope(request, obj))

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        if not super().has_add_permission(request, *args):
            return False
        if self.model._meta.label_lower == MUNICIPALITY_MODEL:
            return self._towns(request) is None  # a new town is the national admin's
        return self._may_write(request, None)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    # --- choices offered in forms ----------------------------------------------------------

    def _related_queryset(self, request: Any, model: type[models.Model]) -> models.QuerySet:
        ids = self._towns(request)
        queryset = model._default_manager.all()
        if model is _user_model():
            return scope_users(queryset, ids, request.user) if ids is not None else queryset
        if ids is None or town_path(model) is None:
            return queryset
        return scope_queryset(queryset, ids)

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if "queryset" not in kwargs and self._towns(request) is not None:
            kwargs["queryset"] = self._related_queryset(request, db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if "queryset" not in kwargs and self._towns(request) is not None:
            kwargs["queryset"] = self._related_queryset(request, db_field.related_model)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # --- the last word before anything is written ------------------------------------------

    def check_scope(self, request: Any, obj: Any) -> None:
        """Refuse (403) a record, or a record it refers to, in a town the user does not
        administer; raw-id fields and hand-made POSTs get no further than this."""
        ids = self._towns(request)
        if ids is None:
            return
        if isinstance(obj, _user_model()):
            return
        path = town_path(type(obj))
        if path is None:
            if self._scoped_model() != "town":
                raise PermissionDenied("a national table: only a national administrator")
            return
        from gis_app.audit.admin_trail import municipality_of

        if municipality_of(obj) not in ids:
            raise PermissionDenied("this record belongs to a town you do not administer")
        for field in obj._meta.concrete_fields:
            if field.many_to_one and town_path(field.related_model) is not None:
                target = getattr(obj, field.attname)
                if target is not None and not scope_queryset(
                        field.related_model._default_manager.filter(pk=target), ids).exists():
                    raise PermissionDenied(
                        f"{field.name}: a record of a town you do not administer")

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        self.check_scope(request, obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        for formset in formsets:  # inline rows: each in the user's towns
            for inline_obj in [*formset.new_objects, *(o for o, _ in formset.changed_objects)]:
                self.check_scope(request, inline_obj)

    def delete_model(self, request: Any, obj: Any) -> None:
        if not self._in_scope(request, obj):
            raise PermissionDenied("this record belongs to a town you do not administer")
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: models.QuerySet) -> None:
        ids = self._towns(request)
        if (ids is not None and self._scoped_model() == "town"
                and queryset.exclude(pk__in=scope_queryset(queryset, ids).values("pk")).exists()):
            raise PermissionDenied("records of a town you do not administer")
        super().delete_queryset(request, queryset)


class UserAccountAdminMixin:
    """Accounts: a scoped admin cannot make superusers or hand out Django permissions, and a
    password set through the admin is audited (without the password)."""

    _PRIVILEGES = ("is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if admin_town_ids(request) is not None:
            fields += [name for name in self._PRIVILEGES if name not in fields]
        return fields

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        from django.utils.translation import gettext_noop

        from gis_app.audit.log import Note, audit
        from gis_app.audit.models import AuditAction

        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            audit(request.user, AuditAction.UPDATE, self.model._meta.label_lower, id,
                  before={"password": "(set)"}, after={"password": "(changed)"},
                  detail=Note(gettext_noop("Django admin: password")))
        return response


def _compose(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    if issubclass(admin_class, TownScopedAdminMixin) and issubclass(admin_class,
                                                                   AuditedAdminMixin):
        return admin_class
    bases: tuple[type, ...] = (TownScopedAdminMixin, AuditedAdminMixin, admin_class)
    if hasattr(admin_class, "user_change_password"):
        bases = (UserAccountAdminMixin, *bases)
    return type(admin_class.__name__, bases,
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})


class GeogminaAdminSite(admin.AdminSite):
    """The default admin site: every ModelAdmin registered is audited and town-scoped."""

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        super().register(model_or_iterable, _compose(admin_class or admin.ModelAdmin),
                         **options)
