"""Reads to a streaming replica, writes to the primary (issue #20).

Only active when ``DATABASES`` holds the replica alias (``GEOGMINA_REPLICA_URL`` set); without it
every query goes to ``default`` as before.

* ``ReplicaRoutingMiddleware`` decides per request: a safe method (GET/HEAD/OPTIONS) on a
  read-only URL prefix (tiles, rasters, OGC API and its exports, search, the parcel card) reads
  from the replica; everything else reads from the primary.
* Session pinning: any non-safe request (a save, a login) sets a short signed cookie; while it is
  valid the same browser reads from the primary, so an officer never sees his save disappear
  because the replica has not replayed it yet.
* ``PrimaryReplicaRouter.db_for_write`` is always ``default``: an audit event written while
  serving a read goes to the primary, and every read after a write in the same request goes to
  the primary too (read your own writes).
* Health: before routing a request to the replica the middleware asks the replica whether it is
  reachable and how far behind it is (``pg_last_xact_replay_timestamp``), cached for
  ``GEOGMINA_REPLICA_HEALTH_CACHE_SECONDS``; a replica that is down or lags more than
  ``GEOGMINA_REPLICA_MAX_LAG_SECONDS`` is skipped, with no error. A replica that dies in the
  middle of a read (the answer is the 503 of ``DatabaseUnavailableMiddleware``) gets the request
  run once more on the primary: a safe method is idempotent. Conversely, when the primary is down
  (a 503) a read skipped from the replica only for its lag runs once more on the replica.

Raw SQL reads use ``read_connection()`` instead of ``django.db.connection``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
PIN_COOKIE = "geogmina_pin"
PIN_SALT = "geogmina.db_router.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_READ_PREFIXES = (
    "/tiles/", "/rasters/", "/ogc/", "/search/", "/api/search", "/api/parcels/", "/parcels/",
)
# Seconds behind the primary; 0 when the replica has replayed all it received while streaming,
# or when the alias is not a standby at all (tests point it at the primary's server).
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0::float8 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS "
    "(SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0::float8 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, 1e9) "
    "END"
)


@dataclass
class _RequestRoute:
    read_alias: str
    wrote: bool = False


_route: contextvars.ContextVar[_RequestRoute | None] = contextvars.ContextVar(
    "geogmina_db_route", default=None)


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def current_read_alias() -> str:
    route = _route.get()
    if route is None or route.wrote:
        return DEFAULT_DB_ALIAS
    return route.read_alias


def read_connection() -> BaseDatabaseWrapper:
    """The connection raw-SQL reads of this request use (the replica or the primary)."""
    return connections[current_read_alias()]


class PrimaryReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads where the middleware decided, writes to the primary."""

    def db_for_read(self, model: type | None, **hints: object) -> str:
        return current_read_alias()

    def db_for_write(self, model: type | None, **hints: object) -> str:
        route = _route.get()
        if route is not None:
            route.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None,
                      **hints: object) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica replays the primary's schema


# --- replica health, cached per process -------------------------------------------------------

@dataclass
class Health:
    usable: bool
    lag_seconds: float | None
    checked_at: float
    reason: str = ""


_health_lock = threading.Lock()
_health: Health | None = None


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def check_replica() -> Health:
    """Ask the replica now: reachable, and how many seconds behind."""
    conn = connections[REPLICA_ALIAS]
    max_lag = _setting("GEOGMINA_REPLICA_MAX_LAG_SECONDS", 10)
    try:
        conn.close_if_unusable_or_obsolete()
        with conn.cursor() as cur:
            cur.execute(LAG_SQL)
            (lag,) = cur.fetchone()
    except DatabaseError as exc:
        with contextlib.suppress(DatabaseError):
            conn.close()
        return Health(False, None, time.monotonic(), f"unreachable: {str(exc).strip()[:200]}")
    lag = float(lag)
    if lag > max_lag:
        return Health(False, lag, time.monotonic(), f"{lag:.1f} s behind (limit {max_lag:g} s)")
    return Health(True, lag, time.monotonic())


def replica_health(*, fresh: bool = False) -> Health:
    """The cached health (``GEOGMINA_REPLICA_HEALTH_CACHE_SECONDS``), or a new check."""
    global _health
    ttl = _setting("GEOGMINA_REPLICA_HEALTH_CACHE_SECONDS", 1.0)
    with _health_lock:
        if (not fresh and _health is not None
                and time.monotonic() - _health.checked_at < ttl):
            return _health
        previous = _health
        _health = check_replica()
        if previous is not None and previous.usable != _health.usable:
            logger.warning("replica %s: %s", "back in use" if _health.usable else "skipped",
                           _health.reason or f"{_health.lag_seconds:.1f} s behind")
        return _health


def reset_health_cache() -> None:
    global _health
    with _health_lock:
        _health = None


# --- the per-request decision -----------------------------------------------------------------

def pin_seconds() -> int:
    return int(getattr(settings, "GEOGMINA_REPLICA_PIN_SECONDS", 5))


def is_pinned(request: HttpRequest) -> bool:
    """True while the browser's last write is younger than the pin (a valid signed cookie)."""
    if PIN_COOKIE not in request.COOKIES:
        return False
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=pin_seconds())
    except (signing.BadSignature, KeyError):
        return False
    return True


def wants_replica(request: HttpRequest) -> bool:
    """Whether this request may read from the replica (before asking the replica's health)."""
    if request.method not in SAFE_METHODS:
        return False
    prefixes = tuple(getattr(settings, "GEOGMINA_REPLICA_READ_PREFIXES", DEFAULT_READ_PREFIXES))
    if not request.path.startswith(prefixes):
        return False
    return not is_pinned(request)


def read_alias_for(request: HttpRequest) -> str:
    if replica_configured() and wants_replica(request) and replica_health().usable:
        return REPLICA_ALIAS
    return DEFAULT_DB_ALIAS


class ReplicaRoutingMiddleware:
    """Sets where this request reads from; pins a browser to the primary after a write.

    Placed before the session and authentication middleware: they read from the database too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        alias = read_alias_for(request)
        token = _route.set(_RequestRoute(alias))
        try:
            response = self.get_response(request)
            if (alias == REPLICA_ALIAS and response.status_code == 503
                    and not replica_health(fresh=True).usable):
                # the replica went away during this read: once more on the primary
                logger.warning("replica failed during %s %s: read again from the primary",
                               request.method, request.path)
                alias = DEFAULT_DB_ALIAS
                _route.set(_RequestRoute(alias))
                response = self.get_response(request)
            elif (alias == DEFAULT_DB_ALIAS and response.status_code == 503
                  and replica_configured() and wants_replica(request)):
                # The primary is down. A replica skipped only for its lag (while the primary is
                # down it streams nothing, so its lag grows) still answers a read: slightly old
                # data beats an error for a map; writes keep failing with their 503.
                health = replica_health(fresh=True)
                if health.lag_seconds is not None:
                    logger.warning("primary unavailable: %s %s read from the replica "
                                   "(%.0f s behind)", request.method, request.path,
                                   health.lag_seconds)
                    alias = REPLICA_ALIAS
                    _route.set(_RequestRoute(alias))
                    response = self.get_response(request)
        finally:
            _route.reset(token)
        if request.method not in SAFE_METHODS and replica_configured():
            response.set_signed_cookie(
                PIN_COOKIE, "1", salt=PIN_SALT, max_age=pin_seconds(), httponly=True,
                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        if getattr(settings, "GEOGMINA_DB_ROUTE_HEADER", False):
            response["X-Geogmina-Read-DB"] = alias
        return response
