"""The editing kernel every register uses: optimistic locking, the capability check, the audit
snapshot and the view's form → service → 409/400 round trip, written once.

A register's edit works in four steps, each a function here:

1. ``require_capability(user, Capability.EDIT_X, municipality_id, message)``: may this user
   change this town's records (``user`` None is the system itself: demo data, importers)?
2. ``locked_update(queryset, expected_version, stale=…, gone=…)`` inside a transaction: the
   row locked (``SELECT … FOR UPDATE``), refused with ``StaleEditError`` when it is not at the
   version the officer's form was built from; the caller changes it and calls ``bump()``.
3. ``snapshot(obj, fields)`` before and after, ``changes(before, after)`` for what moved, and
   ``audit_change(...)`` to write it (the audit viewer shows the fields by their labels,
   registered here from every ``Versioned`` model's ``audit_type``).
4. In the view, ``submit(form, save)`` (or ``attempt(save)`` for a form-less POST) runs the
   service and answers 200/302, 409 for a stale version and 400 for a refusal, with the
   messages on the form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from django import forms
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gis_app.accounts.access import has_capability
from gis_app.accounts.roles import Capability
from gis_app.audit import labels as audit_labels
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction, AuditEvent

T = TypeVar("T")
V = TypeVar("V", bound="Versioned")

#: What an edit view answers when the service refused the edit as stale (``StaleEditError``).
STALE_STATUS = 409
#: What an edit view answers for an invalid form or a change the rules refuse.
INVALID_STATUS = 400


class StaleEditError(ValidationError):
    """The record changed since the officer opened it (optimistic locking): views answer 409.

    A ``ValidationError``, because it is a problem of the submitted form (built from an old
    version) that the officer resolves by reloading; it carries a message for people, in their
    language. Views must catch it before ``ValidationError`` (``submit``/``attempt`` do).
    """

    def __init__(self, message: Any = None, code: str = "stale", params: Any = None) -> None:
        super().__init__(message or gettext(
            "Someone else saved this after you opened it. Reload the page to see their "
            "changes, then edit again."), code=code, params=params)


class Versioned(models.Model):
    """A register record edited through pages: ``version`` is its optimistic lock.

    Every saved change of the record moves the version on by one (``bump()``; the Django
    admin's audited save does it too, see gis_app.audit.admin_trail). A subclass names its
    ``audit_type``, the ``object_type`` of its audit events, so the audit viewer can show the
    snapshot's fields by their labels.
    """

    audit_type: ClassVar[str] = ""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("audit_type"):
            audit_labels.register(cls.audit_type, cls)

    def bump(self) -> None:
        """Move the version on: called once per saved change, after the before-snapshot."""
        self.version += 1


def check_version(current: int | None, expected: int | None, *, stale: Any = None) -> None:
    """Refuse (``StaleEditError``) unless the stored version is the one the form was built
    from; None on either side means "no record" (a form built before the record existed)."""
    if current != expected:
        raise StaleEditError(stale)


def posted_version(data: Mapping[str, Any]) -> int | None:
    """The version a page posted back in its ``version`` field (None: empty or not a number,
    i.e. the record did not exist when the page was built)."""
    raw = str(data.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


def locked_update(queryset: QuerySet[V], expected_version: int | None, *,
                  stale: Any | Callable[[V], Any] = None, gone: Any = None) -> V | None:
    """The one row of ``queryset``, locked until the transaction ends, at the version the
    officer's form was built from.

    Call inside ``transaction.atomic()``. A missing row raises ``ValidationError(gone)`` when
    the record must exist (``gone`` given); otherwise it is None when none was expected
    (``expected_version`` None: the caller creates it) and stale when one was. A row that
    exists although the form was built without one, or that moved on since, raises
    ``StaleEditError(stale)`` (``stale`` may be a function of the stored row, for a message
    naming its version).
    """
    row = queryset.select_for_update().order_by().first()
    if row is None:
        if gone is not None:
            raise ValidationError(gone)
        if expected_version is None:
            return None
        raise StaleEditError(stale)
    if row.version != expected_version:
        raise StaleEditError(stale(row) if callable(stale) else stale)
    return row


def require_capability(user: Any, capability: Capability, municipality_id: int,
                       message: Any) -> None:
    """Refuse (``PermissionDenied(message)``) unless ``user`` holds ``capability`` in the
    municipality. ``user`` None is the system itself (demo data, importers); views always pass
    ``request.user``, which is never None (AnonymousUser for the public)."""
    if user is None:
        return
    if not has_capability(user, capability, municipality_id):
        raise PermissionDenied(message)


# --- audit -------------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A field value as the audit log stores it: numbers, text, lists and None as they are;
    decimals, dates and times as text; geometries as WKT; related rows by primary key."""
    if isinstance(value, Decimal | date | datetime | time):
        return str(value)
    if isinstance(value, GEOSGeometry):
        return value.wkt
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | Mapping[str, str]) -> dict[str, Any]:
    """The record's ``fields`` for the audit log's before/after, keyed by field name (stable
    across languages; the audit viewer shows each by its label, ``field_labels``). A mapping
    {key: field name} keeps a key the register's audit trail already uses."""
    pairs = fields.items() if isinstance(fields, Mapping) else ((f, f) for f in fields)
    return {key: json_value(getattr(obj, name)) for key, name in pairs}


def changes(before: Mapping[str, Any] | None,
            after: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Only what moved: (before, after) narrowed to the keys whose value differs (a create,
    ``before`` None, keeps the whole ``after``)."""
    if before is None:
        return None, dict(after)
    moved = [k for k in after if before.get(k) != after.get(k)]
    moved += [k for k in before if k not in after]
    return ({k: before.get(k) for k in moved if k in before},
            {k: after.get(k) for k in moved if k in after})


def audit_change(user: Any, obj: models.Model, before: Mapping[str, Any] | None,
                 after: Mapping[str, Any], *, municipality_id: int | None,
                 object_type: str | None = None, only_changes: bool = True,
                 detail: Note | str = "") -> AuditEvent:
    """Write the create (``before`` None) or update of ``obj`` to the audit log."""
    if only_changes:
        before, after = changes(before, after)
    return audit(user, AuditAction.CREATE if before is None else AuditAction.UPDATE,
                 object_type or getattr(obj, "audit_type", "") or obj._meta.label_lower,
                 obj.pk, municipality_id=municipality_id, before=before, after=dict(after),
                 detail=detail)


field_labels = audit_labels.field_labels


# --- views -------------------------------------------------------------------------------------


@dataclass
class Outcome(Generic[T]):
    """What became of an edit: ``saved`` with the service's ``result``, or refused with the
    ``status`` the view answers (409 stale, 400 invalid) and the ``messages`` for people."""

    status: int
    result: T | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        return self.status < 300


def _messages(exc: Exception) -> list[str]:
    found = getattr(exc, "messages", None)
    return [str(m) for m in found] if found is not None else [str(exc)]


def attempt(save: Callable[[], T], *, refusals: tuple[type[Exception], ...] = ()) -> Outcome[T]:
    """Run a service call: saved (200), stale (409) or refused (400) with its messages.

    ``refusals`` are a register's own exceptions for bad input besides ``ValidationError``."""
    try:
        return Outcome(200, save())
    except StaleEditError as exc:
        return Outcome(STALE_STATUS, messages=_messages(exc))
    except (ValidationError, *refusals) as exc:
        return Outcome(INVALID_STATUS, messages=_messages(exc))


def submit(form: forms.BaseForm, save: Callable[[dict[str, Any]], T], *,
           refusals: tuple[type[Exception], ...] = ()) -> Outcome[T]:
    """The form round trip of every edit page: an invalid form is 400; a valid one goes to
    ``save(cleaned_data)`` (the service); a stale version is 409 and a refusal 400, their
    messages put on the form (on the field they name when the form has it)."""
    if not form.is_valid():
        return Outcome(INVALID_STATUS)
    try:
        return Outcome(200, save(form.cleaned_data))
    except StaleEditError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return Outcome(STALE_STATUS, messages=list(exc.messages))
    except (ValidationError, *refusals) as exc:
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            name = getattr(exc, "field", None)
            for message in _messages(exc):
                form.add_error(name if name in form.fields else None, message)
        return Outcome(INVALID_STATUS, messages=_messages(exc))
