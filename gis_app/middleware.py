"""Request hygiene that every view relies on.

PostgreSQL cannot store or compare a text containing NUL (``\\x00``): psycopg2 raises before the
query runs, so a NUL in any filter, search or form field used to be a 500. No legitimate value of
this application contains one, so the request is refused with a 400 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


def _nul_parameter(request: HttpRequest) -> str | None:
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.POST)
    for data in sources:
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "\\x00")
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _nul_parameter(request)
        if name is not None:
            message = (_("The parameter %(name)s contains a NUL character.")
                       % {"name": name})
            if "/api/" in request.path or "json" in request.headers.get("accept", ""):
                return JsonResponse({"error": message, "parameter": name}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
