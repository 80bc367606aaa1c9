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
# What the replica knows of itself, in one round trip: whether it is a standby, whether its WAL
# receiver is connected (and streaming: the status needs pg_read_all_stats / pg_monitor, else it
# reads NULL), the WAL it has replayed, the newest WAL it knows of (received, written, or
# announced by the primary as the primary's end), and the age of the last replayed transaction.
# The receive position alone is not enough: after a standby restarts, PostgreSQL reports the
# start of the WAL segment it asked for (below what it already replayed) until the primary
# writes something new, so on an idle primary "received = replayed" never becomes true.
STATE_SQL = """
SELECT pg_is_in_recovery(), w.pid IS NOT NULL, w.status,
       pg_last_wal_replay_lsn()::text,
       pg_last_wal_receive_lsn()::text, w.written_lsn::text, w.latest_end_lsn::text,
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS w ON true
"""
NEVER_REPLAYED_LAG = 1e9  # a standby that has replayed no transaction since it started


def parse_lsn(text: str | None) -> int | None:
    """``'16/B374D848'`` -> its byte position (what ``pg_lsn`` compares); None stays None."""
    if not text:
        return None
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class ReplicaState:
    """One answer of ``STATE_SQL``."""

    in_recovery: bool
    receiver_connected: bool
    receiver_status: str | None  # None: no WAL receiver, or the role may not see its status
    replayed_lsn: str | None
    received_lsn: str | None
    written_lsn: str | None  # None unless the role may read pg_stat_wal_receiver's details
    primary_end_lsn: str | None  # the primary's end of WAL as it last told this standby
    last_replay_age: float | None  # seconds since the last replayed commit; None: none yet

    def known_end(self) -> int | None:
        """The newest WAL position this standby knows exists."""
        known = [lsn for lsn in map(parse_lsn, (self.received_lsn, self.written_lsn,
                                                self.primary_end_lsn)) if lsn is not None]
        return max(known) if known else None

    def replayed_all_known(self) -> bool:
        replayed, end = parse_lsn(self.replayed_lsn), self.known_end()
        return replayed is not None and end is not None and replayed >= end

    def lag_seconds(self) -> float:
        """How far behind the primary this replica's data is, in seconds.

        0 when it is not a standby (a promoted replica; the tests' read-only alias), or when it
        streams from the primary and has replayed all WAL it received or was told of (its data
        is the primary's, however long ago the last transaction was: an idle primary is not a
        lagging replica). Otherwise it has WAL to replay, or is cut off from the primary: the
        age of the last transaction it replayed (an upper bound; ``NEVER_REPLAYED_LAG`` when it
        replayed none since it started).
        """
        if not self.in_recovery:
            return 0.0
        streaming = self.receiver_connected and self.receiver_status in (None, "streaming")
        if streaming and self.replayed_all_known():
            return 0.0
        if self.last_replay_age is None:
            return NEVER_REPLAYED_LAG
        return max(0.0, float(self.last_replay_age))

    def describe(self) -> str:
        if not self.in_recovery:
            return "not a standby"
        receiver = (self.receiver_status or "connected") if self.receiver_connected else "none"
        age = ("none replayed" if self.last_replay_age is None
               else f"last replayed {self.last_replay_age:.1f} s ago")
        end = self.known_end()
        known = "none" if end is None else f"{end >> 32:X}/{end & 0xFFFFFFFF:X}"
        return f"WAL receiver {receiver}, replayed {self.replayed_lsn} of {known} known, {age}"


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
            cur.execute(STATE_SQL)
            state = ReplicaState(*cur.fetchone())
    except DatabaseError as exc:
        with contextlib.suppress(DatabaseError):
            conn.close()
        return Health(False, None, time.monotonic(),
                      "unreachable: " + " ".join(str(exc).split())[:200])
    lag = state.lag_seconds()
    if lag > max_lag:
        return Health(False, lag, time.monotonic(),
                      f"{lag:.1f} s behind, limit {max_lag:g} s ({state.describe()})")
    return Health(True, lag, time.monotonic(), state.describe())


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


def route_for(request: HttpRequest) -> tuple[str, str]:
    """Where this request reads from, and why (the ``X-Geogmina-Read-DB-Reason`` header)."""
    if not replica_configured():
        return DEFAULT_DB_ALIAS, "no replica configured"
    if request.method not in SAFE_METHODS:
        return DEFAULT_DB_ALIAS, "not a read"
    if not wants_replica(request):
        return DEFAULT_DB_ALIAS, "pinned after a write" if is_pinned(request) else "not a read URL"
    health = replica_health()
    age = time.monotonic() - health.checked_at
    if health.usable:
        return REPLICA_ALIAS, (f"{health.lag_seconds:.1f} s behind ({health.reason}; "
                               f"checked {age:.1f} s ago)")
    return DEFAULT_DB_ALIAS, f"replica skipped: {health.reason} (checked {age:.1f} s ago)"


def read_alias_for(request: HttpRequest) -> str:
    return route_for(request)[0]


class ReplicaRoutingMiddleware:
    """Sets where this request reads from; pins a browser to the primary after a write.

    Placed before the session and authentication middleware: they read from the database too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        alias, reason = route_for(request)
        token = _route.set(_RequestRoute(alias))
        try:
            response = self.get_response(request)
            if (alias == REPLICA_ALIAS and response.status_code == 503
                    and not replica_health(fresh=True).usable):
                # the replica went away during this read: once more on the primary
                logger.warning("replica failed during %s %s: read again from the primary",
                               request.method, request.path)
                alias, reason = DEFAULT_DB_ALIAS, "replica failed during the read"
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
                    reason = f"primary unavailable ({health.lag_seconds:.1f} s behind)"
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
            # one line of ASCII (a header): an error text may hold newlines or Polish letters
            response["X-Geogmina-Read-DB-Reason"] = " ".join(reason.split()).encode(
                "ascii", "replace").decode()
        return response
