"""The 403, 404 and 500 answers (``handler403/404/500`` in gis_app.urls).

A person gets a page in the site's layout that says what happened and where to go on; a machine
client (``wants_json``: API paths, tiles, ``.json`` addresses, Accept: JSON) gets the same status as
JSON, as the 401 and 400 answers already do. The 500 page needs neither the database nor the
request's context processors: it is rendered when something already failed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from gis_app.accounts.access import wants_json


def _json(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "status": status}, status=status)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    message = _("You do not have the permission to open this page.")
    if wants_json(request):
        return _json(403, message)
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    message = _("There is no page at this address.")
    if wants_json(request):
        return _json(404, message)
    return render(request, "404.html", {"message": message, "path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    message = _("Something went wrong on the server. The error has been logged; please try "
                "again later.")
    if wants_json(request):
        return _json(500, message)
    body = loader.get_template("500.html").render({"message": message})
    return HttpResponse(body, status=500)
