"""The Django admin is audited like the registers' own pages.

``AuditedAdminMixin`` is part of every ModelAdmin of the project's admin site
(``gis_app.admin_site.GeogminaAdminSite`` mixes it into each class it registers, so a new admin
cannot forget it):

* every change (add, change, delete, bulk delete, inline rows) writes an AuditEvent with who,
  what, the town, and the record before and after (only the changed fields for a change);
  password hashes and encrypted PESELs are never copied into the log;
* a record with an optimistic-locking ``version`` gets it bumped, so a register page opened
  before the admin edit is refused (409) instead of overwriting it;
* reads of owner data (subjects, shares, archived versions of them) and of tax data
  (a taxes model holding taxpayers) through the admin write READ_OWNERS / READ_TAX events like
  the app's own reads: the list (the ids shown), a record's page, its history and its delete
  confirmation.

Other apps are named by label, never imported: the audit app sits below them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.contrib import admin
from django.core import serializers
from django.db import models
from django.utils.translation import gettext_noop

from gis_app.audit.log import Note, audit, pseudonym
from gis_app.audit.models import AuditAction

REGISTER_APPS = frozenset({"taxes", "leases", "housing", "parking", "landscape", "ppp"})
MUNICIPALITY_MODEL = "layers.municipality"
# Owner data (RODO): reading these through the admin is a READ_OWNERS like the app's own reads.
OWNER_MODELS = frozenset({"layers.subject", "layers.share"})
# Archived versions (layers.FeatureVersion) of these feature types hold owner data too.
OWNER_FEATURE_TYPES = frozenset({"subject", "share", "subjects", "shares", "owner", "owners"})
# Values never copied into the audit log, by field name.
REDACTED_FIELDS = frozenset({"password", "pesel_encrypted"})
# Personal data with a retention period (a car's plate): the log, which is never purged, keeps
# only its keyed pseudonym (``log.pseudonym``, the same the registers' own events write).
PSEUDONYMISED_FIELDS = {"plate": "plate"}


def snapshot(obj: Any) -> dict[str, Any]:
    """The record's fields as JSON-safe values (Decimal and dates as text, geometry as EWKT);
    a password hash or an encrypted PESEL is replaced by whether it is set."""
    fields = json.loads(serializers.serialize("json", [obj]))[0]["fields"]
    for name in REDACTED_FIELDS & fields.keys():
        fields[name] = "(set)" if fields[name] else "(empty)"
    for name, kind in PSEUDONYMISED_FIELDS.items():
        if fields.get(name):
            fields[name] = pseudonym(kind, fields[name])
    return fields


@cache
def town_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its municipality's id (``municipality``,
    ``run__municipality``, ``pk`` for Municipality itself), or None for a table of no town
    (national parameters, users, login records)."""
    if model._meta.label_lower == MUNICIPALITY_MODEL:
        return "pk"
    return _town_path(model, depth=3)


def _town_path(model: type[models.Model], depth: int) -> str | None:
    fields = {f.name: f for f in model._meta.concrete_fields}
    field = fields.get("municipality")
    if field is not None and (not field.is_relation
                              or field.related_model._meta.label_lower == MUNICIPALITY_MODEL):
        return "municipality"
    plain = fields.get("municipality_id")
    if plain is not None and not plain.is_relation:
        return "municipality_id"
    if depth <= 1:
        return None
    for field in model._meta.concrete_fields:
        if field.many_to_one and field.related_model is not model:
            if field.related_model._meta.label_lower == MUNICIPALITY_MODEL:
                return field.name
            inner = _town_path(field.related_model, depth - 1)
            if inner is not None:
                return f"{field.name}__{inner}"
    return None


def municipality_of(obj: Any) -> int | None:
    """The id of the town ``obj`` belongs to (None for a record of no town)."""
    path = town_path(type(obj))
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    *links, last = path.split("__")
    for link in links:
        obj = getattr(obj, link, None)
        if obj is None:
            return None
    return getattr(obj, last if last.endswith("_id") else f"{last}_id", None)


def _belongs_to_a_town(model: type) -> bool:
    return town_path(model) is not None


def shared_object_types(site: admin.AdminSite | None = None) -> frozenset[str]:
    """Register models the admin edits that belong to no town: the national yearly parameters
    (rate caps, minimum wage, price indices …). Their changes carry no municipality, yet they
    change every town's calculations, so every town's audit readers must see them; they hold
    no personal or tax data of anyone."""
    site = site or admin.site
    return frozenset(model._meta.label_lower for model in site._registry
                     if model._meta.app_label in REGISTER_APPS
                     and not _belongs_to_a_town(model))


def read_action(obj: Any) -> AuditAction | None:
    """READ_OWNERS / READ_TAX when showing ``obj`` discloses owner or tax data, else None."""
    model = type(obj)
    label = model._meta.label_lower
    if label in OWNER_MODELS:
        return AuditAction.READ_OWNERS
    if label == "layers.featureversion" and str(getattr(obj, "feature_type", "")).lower() \
            in OWNER_FEATURE_TYPES:
        return AuditAction.READ_OWNERS
    if model._meta.app_label == "taxes":
        names = {f.name for f in model._meta.get_fields()}
        if label == "taxes.taxpayer" or "taxpayer" in names:
            return AuditAction.READ_TAX
    return None


INLINE = Note(gettext_noop("Django admin (inline)"))


def _detail(obj: Any, municipality_id: int | None) -> Note:
    if municipality_id is None and not _belongs_to_a_town(type(obj)):
        return Note(gettext_noop("Django admin (shared table: all towns)"))
    return Note(gettext_noop("Django admin"))


def bump_versioned_whole(obj: Any) -> None:
    """A part of a versioned record (a tariff's subscription, an area's rule) moves the record's
    version on, so its pages opened before this edit are refused too."""
    whole = getattr(obj, "versioned_whole", None)
    if callable(whole):
        record = whole()
        type(record)._default_manager.filter(pk=record.pk).update(
            version=models.F("version") + 1)


def audit_change(request: Any, obj: Any, before: dict | None, change: bool,
                 detail: Note | None = None) -> None:
    after = snapshot(obj)
    if before is not None:
        changed = {k for k in after.keys() | before.keys() if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after.get(k) for k in changed}
    mid = municipality_of(obj)
    audit(request.user, AuditAction.UPDATE if change else AuditAction.CREATE,
          obj._meta.label_lower, obj.pk, municipality_id=mid, before=before, after=after,
          detail=detail or _detail(obj, mid))


def audit_reads(request: Any, objects: Iterable[Any], detail: Note) -> None:
    """One event per action and town, naming the records shown."""
    groups: dict[tuple[str, str, int | None], list[str]] = defaultdict(list)
    for obj in objects:
        action = read_action(obj)
        if action is not None:
            groups[(action, obj._meta.label_lower, municipality_of(obj))].append(str(obj.pk))
    for (action, label, mid), ids in groups.items():
        audit(request.user, action, label, ids[0] if len(ids) == 1 else "",
              municipality_id=mid, after={"shown": ids}, detail=detail)


class AuditedAdminMixin:
    """Audits every change and every owner/tax read made through a ModelAdmin."""

    # --- changes ---------------------------------------------------------------------------

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored is not None else None
            if stored is not None and isinstance(getattr(stored, "version", None), int):
                # the registers' pages lock optimistically on ``version``: a page opened before
                # this admin edit must be refused (409), not overwrite it
                obj.version = stored.version + 1
        super().save_model(request, obj, form, change)
        bump_versioned_whole(obj)
        audit_change(request, obj, before, change)

    def delete_model(self, request: Any, obj: Any) -> None:
        before, pk, mid = snapshot(obj), obj.pk, municipality_of(obj)
        label = obj._meta.label_lower
        super().delete_model(request, obj)
        audit(request.user, AuditAction.DELETE, label, pk, municipality_id=mid, before=before,
              detail=_detail(obj, mid))

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        rows = [(obj.pk, municipality_of(obj), snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for pk, mid, before in rows:
            audit(request.user, AuditAction.DELETE, queryset.model._meta.label_lower, pk,
                  municipality_id=mid, before=before,
                  detail=Note(gettext_noop("Django admin (bulk delete)")))

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        """Inline rows (rates of a resolution, subscriptions of a tariff …) are audited each."""
        befores: dict[Any, dict] = {}
        for inline_form in formset.forms:
            instance = inline_form.instance
            if instance.pk is not None and (inline_form.has_changed()
                                            or formset._should_delete_form(inline_form)):
                stored = type(instance)._default_manager.filter(pk=instance.pk).first()
                if stored is not None:
                    befores[instance.pk] = snapshot(stored)
        deleted = [(obj.pk, municipality_of(obj), obj._meta.label_lower)
                   for obj in (f.instance for f in formset.forms
                               if f.instance.pk is not None and formset._should_delete_form(f))]
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_change(request, obj, None, False, detail=INLINE)
        for obj, _fields in formset.changed_objects:
            audit_change(request, obj, befores.get(obj.pk), True, detail=INLINE)
        for pk, mid, label in deleted:
            audit(request.user, AuditAction.DELETE, label, pk, municipality_id=mid,
                  before=befores.get(pk), detail=INLINE)

    # --- reads of owner and tax data ---------------------------------------------------------

    def changelist_view(self, request: Any, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            audit_reads(request, changelist.result_list,
                        Note(gettext_noop("Django admin: list")))
        return response

    def _audit_one(self, request: Any, object_id: Any, detail: Note) -> None:
        if object_id is None:
            return
        try:
            obj = self.get_object(request, admin.utils.unquote(str(object_id)))
        except Exception:  # a malformed id: the view answers for itself, nothing was shown
            return
        if obj is not None:
            audit_reads(request, [obj], detail)

    def change_view(self, request: Any, object_id: Any, form_url: str = "",
                    extra_context: Any = None) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            self._audit_one(request, object_id, Note(gettext_noop("Django admin: record")))
        return response

    def history_view(self, request: Any, object_id: Any, extra_context: Any = None) -> Any:
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            self._audit_one(request, object_id, Note(gettext_noop("Django admin: history")))
        return response

    def delete_view(self, request: Any, object_id: Any, extra_context: Any = None) -> Any:
        if request.method != "POST":
            response = super().delete_view(request, object_id, extra_context)
            if response.status_code == 200:
                self._audit_one(request, object_id,
                                 Note(gettext_noop("Django admin: delete confirmation")))
            return response
        return super().delete_view(request, object_id, extra_context)
