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


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on answers carrying owner, tax or other internal data.

    Keyed on the view's access declaration (``@access`` with a capability in
    ``NO_STORE_CAPABILITIES``), on the Django admin, and, for public views whose answer depends
    on the viewer (the parcel card, owner search), on a protected read audited while answering.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from gis_app.audit.log import protected_read

        token = protected_read.set(False)
        try:
            response = self.get_response(request)
            if protected_read.get() or getattr(request, "_geogmina_no_store", False) \
                    or request.path.startswith("/admin/"):
                _no_store(response)
        finally:
            protected_read.reset(token)
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> None:
        from gis_app.accounts.access import NO_STORE_CAPABILITIES

        rule = getattr(view_func, "access_rule", None) or getattr(
            getattr(view_func, "view_class", None), "access_rule", None)
        if rule is not None and (rule.capability in NO_STORE_CAPABILITIES or rule.token):
            request._geogmina_no_store = True  # type: ignore[attr-defined]


def _no_store(response: HttpResponse) -> None:
    from django.utils.cache import patch_cache_control

    if "Cache-Control" in response:
        del response["Cache-Control"]
    patch_cache_control(response, no_store=True, private=True)


class BadParameterMiddleware:
    """A query parameter out of its range (gis_app.params.BadParameter): a 400 naming it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from gis_app.params import BadParameter

        if not isinstance(exception, BadParameter):
            return None
        if wants_json(request):
            return JsonResponse({"error": exception.message, "parameter": exception.parameter},
                                status=400)
        return HttpResponseBadRequest(exception.message, content_type="text/plain; charset=utf-8")


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


def axes_client_ip(request: HttpRequest) -> str | None:
    """The client address django-axes keys lockouts on (with the user name).

    Without ``GEOGMINA_BEHIND_HTTPS_PROXY`` it is REMOTE_ADDR: an X-Forwarded-For header is the
    client's own claim, and honouring it would let anyone dodge a lockout by inventing addresses.
    Behind the documented proxy (nginx ``proxy_set_header X-Forwarded-For
    $proxy_add_x_forwarded_for``) REMOTE_ADDR is the proxy for everyone, so five wrong passwords
    from anybody would lock the user out for everybody; the client is then the *last* entry of
    X-Forwarded-For, the one the proxy appended itself (earlier entries are again the client's
    claims). A malformed entry falls back to REMOTE_ADDR.
    """
    import ipaddress

    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR")
    if not getattr(settings, "GEOGMINA_BEHIND_HTTPS_PROXY", False):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and hops[-1]:
        try:
            return str(ipaddress.ip_address(hops[-1]))
        except ValueError:
            logger.warning("malformed X-Forwarded-For from the proxy: %r", hops[-1][:64])
    return remote


# ---------------------------------------------------------------------------------------------
# Uploads are refused before a byte is spooled.
#
# Django parses a multipart body (and writes every file over FILE_UPLOAD_MAX_MEMORY_SIZE to a
# temporary file) the first time anything reads request.POST or request.FILES: the NUL check
# above and the CSRF check do, long before the view's @access rule runs. So anyone, logged in or
# not, could make the server write hundreds of megabytes to its disk per request. This gate runs
# before both: it resolves the view the request is for and refuses a multipart body, unread,
# when its user may not use that view.


def _upload_refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer to a multipart request its user may not make, given before its body is read
    (the answer the page's own access check would give), or None to let it through."""
    from django.contrib.auth import get_user
    from django.contrib.auth.views import redirect_to_login
    from django.urls import Resolver404, resolve

    from gis_app.accounts.access import has_capability
    from gis_app.permissions import _view_rule

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return _refused(request, _("no page takes uploads at this address"), 404)
    rule = _view_rule(match.func)
    if rule is not None and rule.public:
        return None
    if rule is not None and rule.authenticate is not None:  # a bearer token, not a session
        refusal = rule.authenticate(request)
        return _unread(refusal) if refusal is not None else None
    user = get_user(request)  # the session's user; AuthenticationMiddleware has not run yet
    if rule is None:  # the Django admin: staff only (the admin checks the rest itself)
        if user.is_active and user.is_staff:
            return None
        if not user.is_authenticated:
            return _unread(redirect_to_login(request.get_full_path(), "/admin/login/"))
        return _refused(request, _("staff users only"), 403)
    if not user.is_authenticated:
        if wants_json(request):
            return _unread(JsonResponse({"error": "authentication required"}, status=401))
        return _unread(redirect_to_login(request.get_full_path()))
    if not has_capability(user, rule.capability):
        return _refused(request, _("this upload needs the capability %(capability)s")
                        % {"capability": rule.capability}, 403)
    return None


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    logger.warning("upload refused before reading: %s %s (%s)", request.method, request.path,
                   reason)
    message = _("Upload refused: %(reason)s.") % {"reason": reason}
    if wants_json(request):
        return _unread(JsonResponse({"error": message}, status=status))
    return _unread(HttpResponse(message, status=status,
                                content_type="text/plain; charset=utf-8"))


def _unread(response: HttpResponse) -> HttpResponse:
    # the body was never read: the connection cannot carry another request
    response["Connection"] = "close"
    return response


class UploadGateMiddleware:
    """Answer a multipart request before its body is parsed when its user may not use the view
    it is for (login redirect, 401 or 403, as the view's @access would); place it after
    SessionMiddleware and before anything that reads request.POST."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH") and request.content_type.startswith(
                "multipart/"):
            refusal = _upload_refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)
