"""A register list's export: every row its filters keep, in the list's order, as CSV (Polish
dialect by default, ``?dialect=intl``) or XLSX, audited (issue #18).

The list view builds its rows and pages them with ``gis_app.listing.list_page``; the export of the
same request writes ``listing.page.paginator.object_list`` (the whole filtered, sorted list)
through ``layers.exports.write_table``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers.exports import EXPORT_FORMATS, ExportFormatError, csv_dialect, write_table


def list_export(request: HttpRequest, rows: Iterable[Any], columns: Sequence[tuple[str, Any]],
                name: str, object_type: str, municipalities: Iterable[int], *,
                param: str = "export", action: AuditAction | str = AuditAction.EXPORT,
                row: Callable[[Any], Mapping[str, Any]] | None = None) -> HttpResponse | None:
    """The list as a file when ``?<param>=csv|xlsx`` asks for it, else None.

    ``row`` turns an object of ``rows`` (e.g. a model of a QuerySet) into the export's dict.
    One audit event per municipality in the export's scope, so each town's administrator sees
    it; ``action`` is READ_OWNERS / READ_TAX for personal or tax data (read like the page)."""
    fmt = request.GET.get(param, "")
    if not fmt:
        return None
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(_("Unknown export format %(fmt)s; use csv or xlsx.") % {"fmt": fmt},
                            status=400, content_type="text/plain; charset=utf-8")
    try:
        dialect = csv_dialect(request.GET)
    except ExportFormatError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    data = [row(r) for r in rows] if row else list(rows)
    body, mime = write_table(data, [(k, str(label)) for k, label in columns], fmt, dialect)
    for mid in sorted(set(municipalities)):
        audit(request.user, action, object_type, "", municipality_id=mid,
              detail=Note(gettext_noop("export %(format)s, rows: %(count)s, %(path)s"),
                          format=fmt.upper(), count=len(data),
                          path=request.get_full_path()[:400]))
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
