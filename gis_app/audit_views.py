"""The administrators' audit viewer: who saw or changed what, filtered, paged and exportable.

It lives beside the URL configuration, not in ``gis_app.audit``: it needs the access rules of
``gis_app.accounts`` and the exports of ``layers``, and the dependency contract keeps the audit
app itself independent of both. Its templates and Polish strings are in ``gis_app/audit/``.

An administrator sees the events of the municipalities where they hold ``VIEW_AUDIT``; events
without a municipality (none are written by the registers) are not shown to anyone here. Reading
the log is not itself logged; exporting it is (action ``export``), because an export leaves the
system.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.admin_trail import shared_object_types
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction, AuditEvent
from gis_app.audit_display import change_rows, detail_text, type_choices, type_label
from gis_app.params import page_param
from layers.exports import EXPORT_FORMATS, csv_dialect, write_table
from layers.models import Municipality

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=150)
    municipality = forms.TypedChoiceField(label=gettext_lazy("Municipality"), required=False,
                                          coerce=int, empty_value=None)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False,
                                max_length=128)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, towns: Any = (), object_types: Any = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", gettext_lazy("any"))
        self.fields["action"].choices = [anything, *AuditAction.choices]
        self.fields["municipality"].choices = [anything, *((t.pk, str(t)) for t in towns)]
        self.fields["object_type"].choices = [anything, *type_choices(object_types)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


def scoped_events(user: Any) -> QuerySet[AuditEvent]:
    """Events of the municipalities where ``user`` may read the audit log, and the changes to
    the national parameter tables that every town's calculations use (no town of their own)."""
    towns = municipality_ids(user, Capability.VIEW_AUDIT)
    if not towns:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        Q(municipality_id__in=towns)
        | Q(municipality_id__isnull=True, object_type__in=shared_object_types()))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_events(qs: QuerySet[AuditEvent], data: dict[str, Any]) -> QuerySet[AuditEvent]:
    if data.get("user"):
        qs = qs.filter(username__icontains=data["user"])
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("municipality"):
        qs = qs.filter(municipality_id=data["municipality"])
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"])
    if data.get("object_id"):
        qs = qs.filter(object_id=data["object_id"].strip())
    if data.get("date_from"):
        qs = qs.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):  # inclusive: up to the end of that day
        qs = qs.filter(at__lt=_day_start(data["date_to"]) + timedelta(days=1))
    return qs.order_by("-at", "-id")


def _columns() -> list[tuple[str, str]]:
    return [("at", _("When")), ("username", _("User")), ("action", _("Action")),
            ("object_type", _("Object type")), ("object_id", _("Object id")),
            ("municipality_id", _("Municipality")), ("before", _("Before")),
            ("after", _("After")), ("detail", _("Detail"))]


def _row(event: AuditEvent) -> dict[str, Any]:
    def dump(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    return {"at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
            "username": event.username, "action": event.get_action_display(),
            "object_type": type_label(event.object_type), "object_id": event.object_id,
            "municipality_id": event.municipality_id, "before": dump(event.before),
            "after": dump(event.after), "detail": detail_text(event.detail, event.detail_note)}


@access(Capability.VIEW_AUDIT,
        description="the audit log of the administrator's municipalities and of the national "
                    "parameter tables: filters, paging, CSV/XLSX export (the export is itself "
                    "audited)")
def event_list(request: HttpRequest) -> HttpResponse:
    events = scoped_events(request.user)
    towns = Municipality.objects.filter(
        id__in=municipality_ids(request.user, Capability.VIEW_AUDIT)).order_by("name")
    object_types = events.order_by().values_list("object_type", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, towns=towns, object_types=object_types)
    valid = form.is_valid() if request.GET else True
    data = form.cleaned_data if request.GET and valid else {}
    if request.GET and not valid:
        events = events.none()
    events = filter_events(events, data)
    fmt = request.GET.get("format", "")
    if fmt:
        if fmt not in EXPORT_FORMATS:
            return HttpResponse(_("Unknown export format: %(fmt)s (use csv or xlsx).")
                                % {"fmt": fmt}, status=400, content_type="text/plain")
        if not valid:
            return HttpResponse(_("Invalid filter: %(errors)s")
                                % {"errors": form.errors.as_text()}, status=400,
                                content_type="text/plain")
        rows = [_row(e) for e in events]
        body, _mime = write_table(rows, [(k, str(label)) for k, label in _columns()], fmt,
                                  csv_dialect(request.GET))
        for mid in sorted(municipality_ids(request.user, Capability.VIEW_AUDIT)):
            audit(request.user, AuditAction.EXPORT, "audit_event", "", municipality_id=mid,
                  detail=Note(gettext_noop("audit log export (%(format)s), events: %(count)s; "
                                           "filters: %(filters)s"),
                              format=fmt.upper(), count=len(rows),
                              filters=json.dumps({k: str(v) for k, v in data.items() if v},
                                                 ensure_ascii=False)))
        response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
        return response
    page = Paginator(events, PAGE_SIZE).get_page(page_param(request))
    town_names = {t.pk: str(t) for t in towns}
    for event in page:  # snapshots are keyed by field name; people read the fields' labels
        event.type_label = type_label(event.object_type)
        event.town = town_names.get(event.municipality_id, "")
        event.rows = change_rows(event.object_type, event.before, event.after)
        event.detail_shown = detail_text(event.detail, event.detail_note)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
    })
