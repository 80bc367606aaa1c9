"""Request hygiene that every view relies on.

PostgreSQL cannot store or compare a text containing NUL (``\\x00``): psycopg2 raises before the
query runs, so a NUL in any filter, search or form field used to be a 500. No legitimate value of
this application contains one, so the request is refused with a 400 naming the parameter.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from gis_app.accounts.access import wants_json

logger = logging.getLogger(__name__)


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
            if wants_json(request):
                return JsonResponse({"error": message, "parameter": name}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# ---------------------------------------------------------------------------------------------
# The database going away under a running server.
#
# When PostgreSQL restarts (or is briefly unreachable) every view that queries it raises
# OperationalError or InterfaceError. Without this, the visitor gets a bare "Server Error (500)"
# and the log fills with tracebacks that look like bugs. It is not a bug in the request: the
# service is temporarily unavailable, which is what 503 means, with Retry-After so clients and
# proxies wait and try again. The broken connection is closed here so that the very next request
# opens a fresh one (CONN_HEALTH_CHECKS does the same at the start of a request); the app itself
# never needs a restart.

_DB_DOWN_HTML = """<!doctype html>
<html lang="%(lang)s"><head><meta charset="utf-8"><title>%(title)s</title></head>
<body><h1>%(title)s</h1><p>%(message)s</p></body></html>
"""


class DatabaseUnavailableMiddleware:
    """Answer 503 with a clear message when the database is unreachable, never a 500."""

    RETRY_AFTER_SECONDS = 10

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import DatabaseError, InterfaceError, OperationalError, connections

        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # OperationalError also covers a lock timeout or a cancelled statement on a healthy
        # server: those are not "the database is down". Only a dead connection is.
        dead = False
        for conn in connections.all(initialized_only=True):
            if conn.connection is None or not conn.is_usable():
                dead = True
                with contextlib.suppress(DatabaseError):
                    conn.close()
        if not dead and isinstance(exception, OperationalError):
            return None
        logger.warning("database unavailable: %s %s: %s", request.method, request.path,
                       str(exception).splitlines()[0] if str(exception) else type(exception))
        message = _("The database is temporarily unavailable. Please try again in a moment.")
        if wants_json(request):
            response: HttpResponse = JsonResponse(
                {"status": "error", "error": message, "database": "unavailable"}, status=503)
        else:
            response = HttpResponse(
                _DB_DOWN_HTML % {"lang": getattr(request, "LANGUAGE_CODE", "pl"),
                                 "title": _("Service temporarily unavailable"),
                                 "message": message},
                status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


AXES_USERNAME_MAX = 255  # axes' AccessAttempt.username is a varchar(255)


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The user name axes records for a login attempt, cut to what its table holds.

    A 5,000-character user name on the login form or in an HTTP Basic header used to make the
    failed-attempt row overflow (a 500 instead of a refused login). No account has such a name,
    so the cut cannot merge a real user's attempts with another's.
    """
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "POST", {}).get("username")
    return name[:AXES_USERNAME_MAX] if isinstance(name, str) else name
