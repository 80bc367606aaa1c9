"""What every machine-readable URL shares: HTTP Basic, compression (CORS: django-cors-headers).

Machine-readable URLs are those matching ``GEOGMINA_API_PATH_RE`` (the OGC API and its exports,
vector and raster tiles, the JSON API). GIS clients (GDAL's ``/vsicurl/``, QGIS, OWSLib) send
HTTP Basic with every request and cannot follow a redirect to an HTML login form, so there:

* a request carrying ``Authorization: Basic …`` is authenticated with the same Django users as
  the login form (``gis_app.accounts.basic_auth``: the hasher runs once per cache period,
  django-axes lockouts apply); wrong credentials get 401 with a Basic challenge;
* a view that would send an anonymous non-browser client to the login page answers 401 with a
  Basic challenge instead, so a client retries with its credentials;
* responses in a text-like format (JSON, GeoJSON, vector tiles, OpenAPI, CSV) are gzip-compressed
  when the client accepts it. Only these: HTML pages carry CSRF tokens, and compressing a secret
  next to reflected input is what BREACH exploits, so pages stay uncompressed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware

DEFAULT_API_PATH_RE = r"^/(ogc|tiles|rasters|api)/"
COMPRESSIBLE = ("application/json", "application/geo+json", "application/vnd.mapbox-vector-tile",
                "application/vnd.oai.openapi+json", "application/schema+json", "text/csv")
CHALLENGE = 'Basic realm="geogmina", charset="UTF-8"'


@cache
def _api_path_re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def is_api_path(path: str) -> bool:
    pattern = getattr(settings, "GEOGMINA_API_PATH_RE", DEFAULT_API_PATH_RE)
    return bool(_api_path_re(pattern).match(path))


def _unauthorized(message: str) -> JsonResponse:
    response = JsonResponse({"code": "Unauthorized", "description": message,
                             "error": message}, status=401)
    response["WWW-Authenticate"] = CHALLENGE
    return response


class BasicAuthMiddleware:
    """HTTP Basic on machine-readable URLs (after AuthenticationMiddleware).

    The check runs in ``process_view``, inside django-axes' middleware, so a locked-out user
    name still gets axes' own answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code == 302 and is_api_path(request.path)
                and not request.user.is_authenticated and not _is_browser(request)
                and response.get("Location", "").startswith(_login_prefix())):
            return _unauthorized("authentication required (a session or HTTP Basic)")
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> HttpResponse | None:
        header = request.headers.get("authorization", "")
        if (header[:6].lower() != "basic " or request.user.is_authenticated
                or not is_api_path(request.path)):
            return None
        from gis_app.accounts.basic_auth import authenticate_basic

        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _unauthorized("malformed HTTP Basic credentials")
        username, _, password = raw.partition(":")
        user = authenticate_basic(request, username, password)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return None  # the view runs as the public; axes answers the lockout (429)
            return _unauthorized("wrong user name or password")
        request.user = user
        return None


def _login_prefix() -> str:
    from django.shortcuts import resolve_url

    return str(resolve_url(settings.LOGIN_URL))


def _is_browser(request: HttpRequest) -> bool:
    return "text/html" in request.headers.get("accept", "")


class ApiGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, limited to machine-readable URLs and text-like formats."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if not is_api_path(request.path) or content_type not in COMPRESSIBLE:
            return response
        return super().process_response(request, response)
