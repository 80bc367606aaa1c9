"""The tile endpoint: a thin view over one SQL function per layer.

Kept thin on purpose: the goal is within 1.15 × the raw SQL function at z14 and +2 ms at z16.
Per request: the viewer's grants (only for a logged-in user) and ONE query that reads the change
counters (the ETag) and, unless the browser's copy is current, runs the tile function.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe
from psycopg2 import sql

from gis_app.accounts.access import OWNER_OR_TAX_CAPABILITIES, access, municipality_ids
from gis_app.audit.log import Note, audit
from gis_app.db_router import read_connection
from layers.domain.tiles import TileAddressError, parse_tile_address
from layers.tiles.registry import TileLayer, tile_layer

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# Bumped whenever a tile function changes shape, so browsers drop tiles cached before it.
TILE_SCHEMA = "1"


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _tile_sql(layer: TileLayer) -> sql.Composed:
    """One round trip: the ETag from the tables' change counters and, unless the browser sent
    that tag, the tile. The tag is NULL (no caching) when a table is not tracked."""
    name = sql.SQL(".").join(sql.Identifier(p) for p in layer.function.split("."))
    return sql.SQL(
        "SELECT s.tag, CASE WHEN s.tag = ANY(%(sent)s) THEN NULL "
        "ELSE {}(%(z)s, %(x)s, %(y)s, %(allowed)s::bigint[]) END, s.version "
        "FROM (SELECT CASE WHEN count(*) = %(ntables)s "
        "THEN md5(%(key)s || string_agg(version::text, '.' ORDER BY table_name)) END AS tag, "
        "CASE WHEN count(*) = %(ntables)s "
        "THEN string_agg(version::text, '.' ORDER BY table_name) END AS version "
        "FROM tiles_table_version WHERE table_name = ANY(%(tables)s)) s"
    ).format(name)


def data_versions(layers: list[TileLayer]) -> dict[str, str]:
    """Each layer's data version (its tables' change counters, as the ETag uses them): the map
    page puts it in the tile URLs as ``?v=``, the key of the edge cache (issue #20)."""
    tables = sorted({t for layer in layers for t in layer.tables})
    with read_connection().cursor() as cur:
        cur.execute("SELECT table_name, version FROM tiles_table_version "
                    "WHERE table_name = ANY(%s)", [tables])
        counters = dict(cur.fetchall())
    out = {}
    for layer in layers:
        names = sorted(set(layer.tables))
        if all(n in counters for n in names):
            out[layer.name] = ".".join(str(counters[n]) for n in names)
    return out


def render_tile(layer: TileLayer, z: int, x: int, y: int, allowed: list[int],
                sent: list[str] | None = None) -> tuple[str | None, bytes | None]:
    """(ETag or None, tile bytes or None when ``sent`` holds the current tag)."""
    etag, data, _version = render_tile_versioned(layer, z, x, y, allowed, sent)
    return etag, data


def render_tile_versioned(layer: TileLayer, z: int, x: int, y: int, allowed: list[int],
                          sent: list[str] | None = None
                          ) -> tuple[str | None, bytes | None, str | None]:
    """As ``render_tile``, and the layer's data version read in the same statement."""
    key = f"{TILE_SCHEMA}|{layer.name}|{z}/{x}/{y}|{','.join(map(str, allowed))}|"
    with read_connection().cursor() as cur:
        cur.execute(_tile_sql(layer), {
            "sent": sent or [], "z": z, "x": x, "y": y, "allowed": allowed,
            "ntables": len(set(layer.tables)), "key": key, "tables": list(layer.tables),
        })
        tag, data, version = cur.fetchone()
    etag = f'"{tag}"' if tag else None
    if tag and sent and tag in sent:
        return etag, None, version
    return etag, bytes(data) if data is not None else b"", version


@require_safe
@access(public=True, description="vector tiles; a non-public layer needs its capability, "
                                 "protected attributes only where the viewer holds it")
def tile(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponse:
    started = time.perf_counter()
    spec = tile_layer(layer)
    if spec is None:
        return _error(f"unknown tile layer {layer!r}", 404)
    try:
        zi, xi, yi = parse_tile_address(z, x, y)
    except TileAddressError as exc:
        return _error(str(exc), 400)
    user = request.user
    authenticated = user.is_authenticated
    allowed: list[int] = []
    if authenticated and spec.detail_capability is not None:
        allowed = sorted(municipality_ids(user, spec.detail_capability))
    if not spec.public:
        if not authenticated:
            return _error("authentication required for this layer", 401)
        if not allowed:
            return _error(f"the layer {layer!r} needs the capability "
                          f"{spec.detail_capability}", 403)
    if not spec.min_zoom <= zi <= spec.max_zoom:
        # outside the layer's zooms a tile is empty whatever the data
        response = HttpResponse(b"", content_type=MVT_CONTENT_TYPE)
        response["Cache-Control"] = "public, max-age=86400"
        return response
    sent = [t.strip().removeprefix("W/").strip('"')
            for t in request.headers.get("if-none-match", "").split(",") if t.strip()]
    db_started = time.perf_counter()
    etag, data, version = render_tile_versioned(spec, zi, xi, yi, allowed, sent)
    db_ms = (time.perf_counter() - db_started) * 1000
    if allowed and spec.audit_reads:
        _audit_read(request, spec, allowed, (zi, xi, yi))
    response = (HttpResponse(status=304) if data is None
                else HttpResponse(data, content_type=MVT_CONTENT_TYPE))
    _cache_headers(response, etag, authenticated)
    if (etag and not authenticated and spec.public and version
            and request.GET.get("v") == version):
        # The URL names the data version it shows (the map page's ?v=): the same for every
        # anonymous viewer and never changing, so a shared cache (nginx) may keep it. A data
        # change gives new URLs; a stale ?v= is answered fresh and not marked cacheable.
        response["Cache-Control"] = "public, max-age=86400, immutable"
    if allowed and spec.detail_capability in OWNER_OR_TAX_CAPABILITIES:
        # tax status (tax secrecy) or owners (RODO): no cache keeps a copy (issue #14); the
        # ETag still answers a client that sends it
        response["Cache-Control"] = "private, no-store"
    server_timing(response, started, db=db_ms)
    return response


def server_timing(response: HttpResponse, started: float, **parts_ms: float) -> None:
    """``Server-Timing: db;dur=…, view;dur=…`` when GEOGMINA_SERVER_TIMING is on: the browser
    shows them in its resource timing, so a test can tell the server's work from queueing."""
    if getattr(settings, "GEOGMINA_SERVER_TIMING", False):
        parts_ms["view"] = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = ", ".join(f"{k};dur={v:.1f}" for k, v in parts_ms.items())


def _audit_read(request: HttpRequest, spec: TileLayer, allowed: list[int],
                tile_zxy: tuple[int, int, int]) -> None:
    """Who looked at a protected layer (tax status is under tax secrecy) must be on record, but
    a map pan fetches dozens of tiles: the first tile of a session, layer and day stands for
    them (a 304 counts too: the browser then shows the data it holds)."""
    key = f"tiles.audited.{spec.name}.{timezone.localdate().isoformat()}"
    session = getattr(request, "session", None)
    if session is not None and session.get(key):
        return
    z, x, y = tile_zxy
    for mid in allowed:
        audit(request.user, spec.audit_reads, "tile_layer", spec.name, municipality_id=mid,
              detail=Note(gettext_noop("map layer %(layer)s from tile %(tile)s on (one event per "
                                       "session, layer and day)"),
                          layer=spec.name, tile=f"{z}/{x}/{y}"))
    if session is not None:
        session[key] = True


def _cache_headers(response: HttpResponse, etag: str | None, authenticated: bool) -> None:
    if etag is None:
        response["Cache-Control"] = "no-store"
        return
    response["ETag"] = etag
    # Revalidate every time (a 304 costs one indexed read): edits show up at once.
    response["Cache-Control"] = ("private" if authenticated else "public") + ", no-cache"
    response["Vary"] = "Cookie"
