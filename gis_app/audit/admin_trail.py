"""Changes made in the Django admin to register records are audited like the registers' own
(and bump the record's optimistic-locking ``version``, as the registers' pages do).

The registers' pages call ``audit()`` from their services; the Django admin (installation
administrators) can edit some of the same records directly. ``install()`` wraps ``save_model``,
``delete_model`` and ``delete_queryset`` of every ModelAdmin of a register app so such a change
leaves an AuditEvent with who, what, and the record before and after. Register apps are named by
label, not imported: the audit app sits below them.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core import serializers
from django.db import models

from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction

REGISTER_APPS = frozenset({"taxes", "leases", "housing", "parking", "landscape"})
# relations through which a record without its own municipality belongs to one
_OWNER_LINKS = ("zone", "area", "lease", "resolution", "inspection", "taxpayer")


def snapshot(obj: Any) -> dict[str, Any]:
    """The record's fields as JSON-safe values (Decimal and dates as text, geometry as EWKT)."""
    return json.loads(serializers.serialize("json", [obj]))[0]["fields"]


def municipality_of(obj: Any) -> int | None:
    mid = getattr(obj, "municipality_id", None)
    if mid is not None:
        return mid
    for link in _OWNER_LINKS:
        related = getattr(obj, link, None) if hasattr(obj, f"{link}_id") else None
        if related is not None:
            mid = municipality_of(related)
            if mid is not None:
                return mid
    return None


def _belongs_to_a_town(model: type) -> bool:
    names = {f.name for f in model._meta.get_fields()}
    return "municipality" in names or bool(names & set(_OWNER_LINKS))


def shared_object_types(site: admin.AdminSite | None = None) -> frozenset[str]:
    """Register models the admin edits that belong to no town: the national yearly parameters
    (rate caps, minimum wage, price indices …). Their changes carry no municipality, yet they
    change every town's calculations, so every town's audit readers must see them; they hold
    no personal or tax data of anyone."""
    site = site or admin.site
    return frozenset(model._meta.label_lower for model in site._registry
                     if model._meta.app_label in REGISTER_APPS
                     and not _belongs_to_a_town(model))


def _label(obj: Any) -> str:
    return obj._meta.label_lower


def _detail(obj: Any, municipality_id: int | None) -> str:
    if municipality_id is None and not _belongs_to_a_town(type(obj)):
        return "Django admin (shared table: all towns)"
    return "Django admin"


def _wrap(model_admin: admin.ModelAdmin) -> None:
    save_model = model_admin.save_model
    delete_model = model_admin.delete_model
    delete_queryset = model_admin.delete_queryset

    def audited_save(request: Any, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored is not None else None
            if stored is not None and isinstance(getattr(stored, "version", None), int):
                # the registers' pages lock optimistically on ``version``: a page opened before
                # this admin edit must be refused (409), not overwrite it
                obj.version = stored.version + 1
        save_model(request, obj, form, change)
        whole = getattr(obj, "versioned_whole", None)
        if callable(whole):
            # a part of a versioned record (a tariff's subscription, an area's rule): the
            # record's version moves on, so its pages opened before this edit are refused too
            record = whole()
            type(record)._default_manager.filter(pk=record.pk).update(
                version=models.F("version") + 1)
        after = snapshot(obj)
        if before is not None:
            changed = {k for k in after if before.get(k) != after.get(k)}
            before = {k: before.get(k) for k in changed}
            after = {k: after[k] for k in changed}
        mid = municipality_of(obj)
        audit(request.user, AuditAction.UPDATE if change else AuditAction.CREATE, _label(obj),
              obj.pk, municipality_id=mid, before=before, after=after,
              detail=_detail(obj, mid))

    def audited_delete(request: Any, obj: Any) -> None:
        before, pk, mid = snapshot(obj), obj.pk, municipality_of(obj)
        delete_model(request, obj)
        audit(request.user, AuditAction.DELETE, _label(obj), pk, municipality_id=mid,
              before=before, detail=_detail(obj, mid))

    def audited_delete_queryset(request: Any, queryset: Any) -> None:
        rows = [(obj.pk, municipality_of(obj), snapshot(obj)) for obj in queryset]
        delete_queryset(request, queryset)
        for pk, mid, before in rows:
            audit(request.user, AuditAction.DELETE, queryset.model._meta.label_lower, pk,
                  municipality_id=mid, before=before, detail="Django admin (bulk delete)")

    model_admin.save_model = audited_save
    model_admin.delete_model = audited_delete
    model_admin.delete_queryset = audited_delete_queryset


def install(site: admin.AdminSite | None = None) -> int:
    """Wrap the register apps' ModelAdmins of ``site``; returns how many were wrapped."""
    site = site or admin.site
    wrapped = 0
    for model, model_admin in site._registry.items():
        if model._meta.app_label in REGISTER_APPS and not getattr(model_admin, "_audited", False):
            _wrap(model_admin)
            model_admin._audited = True
            wrapped += 1
    return wrapped
