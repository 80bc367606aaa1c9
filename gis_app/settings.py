"""Settings, read once from the environment into a typed object.

Every variable is documented in the README. Without ``DATABASE_URL`` the project uses its own
embedded PostgreSQL + PostGIS cluster under ``var/`` (see ``gis_app.dbctl``). Secrets have no
production default: with ``GEOGMINA_DEBUG`` off, a missing ``SECRET_KEY`` is an error.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from gis_app import dbctl

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"expected a boolean (1/0, true/false), got {value!r}")


def _int(environ: os._Environ | dict[str, str], name: str, default: int) -> int:
    """A whole number of zero or more; a wrong value names its variable."""
    value = environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ImproperlyConfigured(f"{name} must be a whole number of zero or more, "
                                   f"got {value!r}")
    return number


def _list(value: str | None, default: list[str]) -> list[str]:
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Env:
    """The environment as the project understands it."""

    debug: bool
    # secrets never appear in the repr (a debug page or a log line printing the object)
    secret_key: str = field(repr=False)
    database_url: str = field(repr=False)
    embedded_db: bool
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    var_dir: Path
    media_root: Path
    static_root: Path
    language: str
    pii_key: str = field(repr=False)
    test_db_name: str
    secure_cookies: bool
    ssl_redirect: bool
    hsts_seconds: int
    behind_https_proxy: bool
    raster_tile_cache_mb: int
    raster_tile_cache_prune_minutes: int
    basic_auth_cache_seconds: int
    national_superusers: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: os._Environ | dict[str, str] = os.environ) -> Env:
        debug = _bool(environ.get("GEOGMINA_DEBUG"), default=False)
        var_dir = Path(environ.get("GEOGMINA_VAR_DIR", BASE_DIR / "var")).resolve()
        secret_key = environ.get("SECRET_KEY", "")
        if not secret_key:
            if not debug:
                raise ImproperlyConfigured(
                    "SECRET_KEY is not set. Set it in the environment "
                    "(or GEOGMINA_DEBUG=1 for a development key kept under var/)."
                )
            secret_key = _dev_secret(var_dir / "dev-secret-key")
        pii_key = environ.get("GEOGMINA_PII_KEY", "")
        if not pii_key:
            if not debug:
                raise ImproperlyConfigured(
                    "GEOGMINA_PII_KEY is not set: it protects owners' PESEL numbers at rest."
                )
            pii_key = _dev_secret(var_dir / "dev-pii-key")
        database_url = environ.get("DATABASE_URL", "")
        embedded = not database_url
        if embedded:
            database_url = dbctl.url()
        return cls(
            debug=debug,
            secret_key=secret_key,
            database_url=database_url,
            embedded_db=embedded,
            allowed_hosts=_list(
                environ.get("ALLOWED_HOSTS"), ["127.0.0.1", "localhost"] if debug else []
            ),
            csrf_trusted_origins=_list(environ.get("CSRF_TRUSTED_ORIGINS"), []),
            var_dir=var_dir,
            media_root=Path(environ.get("MEDIA_ROOT", var_dir / "media")),
            static_root=Path(environ.get("STATIC_ROOT", var_dir / "static")),
            language=environ.get("GEOGMINA_LANGUAGE", "pl"),
            pii_key=pii_key,
            test_db_name=environ.get("GEOGMINA_TEST_DB", "test_geogmina"),
            secure_cookies=_bool(environ.get("GEOGMINA_SECURE_COOKIES"), default=not debug),
            ssl_redirect=_bool(environ.get("GEOGMINA_SSL_REDIRECT"), default=not debug),
            hsts_seconds=int(environ.get("GEOGMINA_HSTS_SECONDS", "0" if debug else "31536000")),
            behind_https_proxy=_bool(environ.get("GEOGMINA_BEHIND_HTTPS_PROXY"), default=False),
            raster_tile_cache_mb=_int(environ, "GEOGMINA_RASTER_TILE_CACHE_MB", 2048),
            raster_tile_cache_prune_minutes=_int(
                environ, "GEOGMINA_RASTER_TILE_CACHE_PRUNE_MINUTES", 10),
            basic_auth_cache_seconds=_int(environ, "GEOGMINA_BASIC_AUTH_CACHE_SECONDS", 300),
            national_superusers=_list(environ.get("GEOGMINA_NATIONAL_SUPERUSERS"), []),
        )


def _dev_secret(path: Path) -> str:
    """A development secret that survives restarts but never leaves this machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# Lower case on purpose: Django takes only upper-case names as settings, so the object holding the
# secrets is no setting at all and never appears on the debug 500 page (which prints every
# setting whose name is not SECRET/KEY/PASS/TOKEN…-like in full). The secrets are handed on only
# under such names (SECRET_KEY, GEOGMINA_PII_KEY, DATABASES' PASSWORD).
env = Env.from_environ()

DEBUG = env.debug
SECRET_KEY = env.secret_key
ALLOWED_HOSTS = env.allowed_hosts
CSRF_TRUSTED_ORIGINS = env.csrf_trusted_origins

INSTALLED_APPS = [
    # django.contrib.admin with an audited, town-scoped site (gis_app.admin_site)
    "gis_app.admin_apps.GeogminaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "gis_app",
    "gis_app.accounts",
    "gis_app.audit",
    "layers",
    "layers.tiles",
    "layers.rasters",
    "importers",
    "importers.web",
    "django_tasks",
    "django_tasks_db",
    "registers.taxes",
    "registers.leases",
    "registers.housing",
    "registers.parking",
    "registers.landscape",
    "registers.payments",
    "registers.ppp",
    "map_ui",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (django-csp; the policy is CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    # Reads of tiles, search, OGC API, the card from the replica when there is one (issue #20).
    "gis_app.db_router.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A multipart upload its user may not make is refused before its body is read (spooled to
    # disk), i.e. before the NUL and CSRF checks below read request.POST.
    "gis_app.middleware.UploadGateMiddleware",
    # A NUL in a parameter is a 400, not a database error (PostgreSQL text cannot hold it).
    "gis_app.middleware.RefuseNulMiddleware",
    # A number in the query string out of its range (gis_app.params): a 400 naming it.
    "gis_app.middleware.BadParameterMiddleware",
    # Cache-Control: no-store on answers with owner, tax or other internal data.
    "gis_app.middleware.NoStoreMiddleware",
    # The database down or restarting: a 503 with a message, not a 500 (docs/operations.md).
    "gis_app.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Login throttling (django-axes); last, so it turns a lockout into its own response.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves collected static files (npm packages included) itself, no CDN.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "gis_app.urls"
WSGI_APPLICATION = "gis_app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gis_app" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "map_ui.context_processors.main_menu",
                # {{ CSP_NONCE }}: the per-request nonce of the few inline scripts left
                "csp.context_processors.nonce",
            ],
        },
    },
]

_db = dj_database_url.parse(env.database_url, conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] != "django.contrib.gis.db.backends.postgis":
    raise ImproperlyConfigured(
        f"DATABASE_URL must use the postgis:// scheme, got engine {_db['ENGINE']}"
    )
# ``?host=/path&port=N`` arrives in OPTIONS; tools reading HOST/PORT (psql, ogr2ogr) want them.
for _key in ("host", "port"):
    if _key in _db.get("OPTIONS", {}):
        _db[_key.upper()] = str(_db["OPTIONS"].pop(_key))
_db["TEST"] = {"NAME": env.test_db_name}
DATABASES = {"default": _db}
# A streaming replica for reads (issue #20, gis_app/db_router.py): only with GEOGMINA_REPLICA_URL.
if os.environ.get("GEOGMINA_REPLICA_URL"):
    _replica = dj_database_url.parse(os.environ["GEOGMINA_REPLICA_URL"], conn_max_age=60,
                                     conn_health_checks=True)
    for _key in ("host", "port"):
        if _key in _replica.get("OPTIONS", {}):
            _replica[_key.upper()] = str(_replica["OPTIONS"].pop(_key))
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["gis_app.db_router.PrimaryReplicaRouter"]
GEOGMINA_REPLICA_PIN_SECONDS = _int(os.environ, "GEOGMINA_REPLICA_PIN_SECONDS", 5)
GEOGMINA_REPLICA_MAX_LAG_SECONDS = _int(os.environ, "GEOGMINA_REPLICA_MAX_LAG_SECONDS", 10)
GEOGMINA_DB_ROUTE_HEADER = _bool(os.environ.get("GEOGMINA_DB_ROUTE_HEADER"), default=False)
# Tiles say in a Server-Timing header how long the database and the view took (off by default:
# timings are for measuring, e.g. the browser test of the first tiles, not for the public)
GEOGMINA_SERVER_TIMING = _bool(os.environ.get("GEOGMINA_SERVER_TIMING"), default=False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login throttling: every authentication (the login form, HTTP Basic in the OGC API) goes through
# axes first. Five wrong passwords for one user name from one address lock that pair out for a
# cool-off; other users and other addresses are unaffected. A lockout answers 429 with a page.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Cut over-long user names to axes' column (a 5,000-character name was a 500).
AXES_USERNAME_CALLABLE = "gis_app.middleware.axes_username"
AXES_LOCKOUT_TEMPLATE = "audit/locked_out.html"
# The address a lockout is keyed on: REMOTE_ADDR, or, only behind the documented HTTPS proxy, the
# client address that proxy appended to X-Forwarded-For (the last entry: earlier ones are the
# client's own claims). Without the proxy a client's X-Forwarded-For is ignored, so it cannot
# dodge its lockout; behind it, the proxy's own address no longer locks everybody out at once.
AXES_CLIENT_IP_CALLABLE = "gis_app.middleware.axes_client_ip"
GEOGMINA_BEHIND_HTTPS_PROXY = env.behind_https_proxy
# HTTP Basic (the OGC API) verifies a user name and password with the password hasher (PBKDF2,
# about 0.3 s) once, then remembers the success for this many seconds (0: never) in Django's
# cache: the default per-process LocMemCache, keyed by an HMAC, never the password. Lockouts,
# deactivation and password changes still apply at once (gis_app.accounts.basic_auth).
GEOGMINA_BASIC_AUTH_CACHE_SECONDS = env.basic_auth_cache_seconds

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.language
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.static_root
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from npm (package.json) and are served by the app itself: no CDN.
STATICFILES_DIRS = [
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/ol", NODE_MODULES / "ol"),
    ("vendor/leaflet.vectorgrid", NODE_MODULES / "leaflet.vectorgrid" / "dist"),
    ("vendor/proj4", NODE_MODULES / "proj4" / "dist"),
    ("vendor/leaflet-draw", NODE_MODULES / "leaflet-draw" / "dist"),
    ("vendor/geographiclib-geodesic", NODE_MODULES / "geographiclib-geodesic"),
    # the pages' design system (Pico CSS, the build scoped to class="pico": the map keeps its own)
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
    # the accessibility checker the browser tests run on every page (tests/browser/test_walks.py)
    ("vendor/axe-core", NODE_MODULES / "axe-core"),
    # charts of the parking revenue page (Chart.js and its annotation plugin: the tariff marker)
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/chartjs-plugin-annotation", NODE_MODULES / "chartjs-plugin-annotation" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = env.media_root

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_SECURE = env.secure_cookies
CSRF_COOKIE_SECURE = env.secure_cookies
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp), docs/operations.md "Content-Security-Policy". Scripts only
# from the app itself or carrying the request's nonce (folium's generated map script): data that
# slipped HTML into a page still cannot run. Styles allow 'unsafe-inline' on purpose: Leaflet,
# leaflet-draw and folium write style attributes and <style> blocks, and a style cannot run code.
# Images also from data:/blob: (Leaflet's icons, canvas tiles); no plugins, no framing, no
# <base> elsewhere, no form posting elsewhere. The map page adds the origins of the online base
# maps it offers to img-src (map_ui.views.map_page).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_SSL_REDIRECT = env.ssl_redirect
SECURE_HSTS_SECONDS = env.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.hsts_seconds > 0
SECURE_HSTS_PRELOAD = env.hsts_seconds >= 31536000  # the header only; submitting is a choice
SECURE_REFERRER_POLICY = "same-origin"
if env.behind_https_proxy:
    # Only behind a proxy that sets this header itself (nginx: proxy_set_header X-Forwarded-Proto)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Uploads: refuse oversized requests before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Imports from the browser (importers.web): the largest file an administrator may upload.
GEOGMINA_IMPORT_MAX_BYTES = int(os.environ.get("GEOGMINA_IMPORT_MAX_BYTES",
                                               str(1024 * 1024 * 1024)))

# Background jobs: Django's tasks framework (the django-tasks backport on Django 5.2) with its
# database backend; ``manage.py db_worker`` runs them (``make run`` starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                     "QUEUES": ["default", "imports"]}}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

GEOGMINA_VAR_DIR = env.var_dir
GEOGMINA_PII_KEY = env.pii_key
# Superusers (by user name) whose Django admin covers every town. Any other superuser's admin
# shows and changes only the towns in which he holds the administrator role (gis_app.admin_scope).
GEOGMINA_NATIONAL_SUPERUSERS = env.national_superusers
GEOGMINA_EMBEDDED_DB = env.embedded_db
# Rendered raster tiles (layers.rasters.tiles) are cached on disk under var/cache/rasters. A town's
# orthophoto browsed for months would fill the disk, so the cache is capped: least recently used
# tiles are deleted down to 90 % of the cap (0: no cap; folders of deleted rasters still go), at
# most once per interval from the tile view, in the background (0 minutes: never from the view,
# only by `manage.py prune_tile_cache`, e.g. from cron).
GEOGMINA_RASTER_TILE_CACHE_MB = env.raster_tile_cache_mb
GEOGMINA_RASTER_TILE_CACHE_PRUNE_MINUTES = env.raster_tile_cache_prune_minutes

# The debug 500 page and error e-mails hide settings and request data by name; ours also hides
# database URLs and the PII key under any name (gis_app.debug_filter).
DEFAULT_EXCEPTION_REPORTER_FILTER = "gis_app.debug_filter.SecretsHidingFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Debian 12 ships GDAL 3.6, which cannot block file and network access from spatial-reference
# strings. geogmina never hands a user-supplied SRS string to GDAL: importers map srsName onto an
# EPSG integer first (docs/decisions.md), so the warning is silenced deliberately.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Machine-readable URLs: HTTP Basic, compression, CORS (gis_app/api_http.py) -------------------
# The OGC API and its exports, vector and raster tiles and the JSON API. There HTTP Basic is
# accepted like the login form, and JSON/GeoJSON/MVT/CSV answers are gzip-compressed (HTML pages
# are not: they carry CSRF tokens, see BREACH).
GEOGMINA_API_PATH_RE = r"^/(ogc|tiles|rasters|api)/"
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "gis_app.api_http.ApiGZipMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "gis_app.api_http.BasicAuthMiddleware")
# CORS (django-cors-headers) for tiles and the OGC API only, for the origins listed in
# GEOGMINA_CORS_ORIGINS (comma-separated, e.g. https://maps.example.pl; "*" = any origin).
# Cookies are never sent cross-origin: protected data needs HTTP Basic there.
INSTALLED_APPS.append("corsheaders")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
                  "corsheaders.middleware.CorsMiddleware")
CORS_URLS_REGEX = r"^/(tiles|ogc)/.*$"
GEOGMINA_CORS_ORIGINS = _list(os.environ.get("GEOGMINA_CORS_ORIGINS"), [])
CORS_ALLOW_ALL_ORIGINS = GEOGMINA_CORS_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else GEOGMINA_CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "authorization", "if-none-match", "range"]
CORS_EXPOSE_HEADERS = ["ETag", "Content-Crs", "X-Export-Warnings"]
# Search results show a plot's address (street, number, locality; never a flat number) to the
# public too. UNCONFIRMED: whether a municipality publishes its address points is its choice, so
# this is a setting (GEOGMINA_PUBLIC_ADDRESSES=0 hides them), not a constant.
GEOGMINA_PUBLIC_ADDRESSES = _bool(os.environ.get("GEOGMINA_PUBLIC_ADDRESSES"), default=True)
