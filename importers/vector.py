"""Import parking zones and landscape areas from a GeoPackage, Shapefile (plain or zipped),
GeoJSON, GML or FlatGeobuf file.

The format is recognised by the file's content, never by its name, and the file is then opened
through geopandas/pyogrio only if GDAL recognises it as the same format: a GDAL virtual source
(VRT, which can read any local file or URL) and any ``/vsi…`` path are refused whatever the file is
called. The caller maps our fields onto the source's columns (``code=kod``), or gives a constant
(``kind==resolution_zone``). Rows are COPYed into staging, checked set-based (the place, the
geometry, duplicates), and merged with one INSERT … ON CONFLICT, in one transaction.

A run that rejects rows retires nothing unless the caller says the file is complete
(``complete``); a run in which every row is rejected fails and changes nothing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import mmap
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from lxml import etree

from importers.gml.security import UnsafeXMLError, check_prolog, parser_options
from importers.models import ImportIssue, ImportRun
from importers.place import (
    DEFAULT_BOUNDARY_TOLERANCE_M,
    PlaceError,
    check_teryt,
    place_params,
    place_sql,
)
from importers.staging import copy_escape
from layers.domain import locks
from layers.domain.srid import STORAGE_SRID
from layers.models import LandscapeArea, Municipality, ParkingZone

log = logging.getLogger(__name__)

LAYERS = {
    "parking_zones": ("layers_parkingzone", ("code", "name", "kind"),
                      {k.value for k in ParkingZone.Kind}, ParkingZone.Kind.ORDINARY.value),
    "landscape_areas": ("layers_landscapearea", ("code", "name", "kind"),
                        {k.value for k in LandscapeArea.Kind}, None),
}
FORMATS = "GeoPackage, Shapefile (or zipped Shapefile), GeoJSON, GML or FlatGeobuf"
# GDAL's GML driver: no schema download (network), no .gfs written next to the file
GML_OPEN_OPTIONS = {"DOWNLOAD_SCHEMA": "NO", "WRITE_GFS": "NO"}
_GML_NAMESPACES = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")
# GeoJSON 2008's CRS by link: GDAL fetches the URL to read the CRS
_LINKED_CRS = re.compile(rb'"type"\s*:\s*"link"')
# While GDAL reads a source, its HTTP client (the only way a driver reaches the network, e.g. a
# CRS given by URL) is sent to a proxy address nothing listens on, and the environment's
# NO_PROXY, which would bypass that proxy, is set aside: no request leaves the machine.
_NO_NETWORK = {"GDAL_HTTP_PROXY": "127.0.0.1:1", "GDAL_HTTPS_PROXY": "127.0.0.1:1",
               "GDAL_HTTP_TIMEOUT": "1", "GDAL_HTTP_CONNECTTIMEOUT": "1",
               "GDAL_HTTP_MAX_RETRY": "0"}


class VectorImportError(ValueError):
    """Bad mapping, unreadable or refused source, unknown layer: nothing was stored."""


@dataclass
class VectorResult:
    run: ImportRun
    issues: list[ImportIssue]


@dataclass(frozen=True)
class Source:
    """A file recognised by content: the name GDAL opens and the driver it must open it with."""

    gdal_path: str
    driver: str
    open_options: dict


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["code=kod", "kind==resolution_zone"]`` → {"code": "kod", "kind": "=resolution_zone"}."""
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise VectorImportError(f"mapping {pair!r} is not field=column")
        mapping[field.strip()] = column.strip()
    return mapping


def recognise(path: Path | str) -> Source:
    """Which documented format ``path`` holds, by content; VectorImportError otherwise.

    Only a plain file is accepted, named by its absolute path (GDAL reads ``/vsi…`` prefixes,
    ``DRIVER:`` prefixes and inline JSON in a name)."""
    text = str(path)
    if "/vsi" in text or text.startswith("vsi"):
        raise VectorImportError(f"{text}: GDAL virtual file system paths (/vsi…) are refused; "
                                "give a plain file")
    path = Path(text)
    if not path.is_file():
        raise VectorImportError(f"{text} is not a plain file (or does not exist)")
    real = path.resolve(strict=True)
    if str(real).startswith("/vsi"):
        raise VectorImportError(f"{text}: GDAL virtual file system paths (/vsi…) are refused")
    with open(real, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"SQLite format 3\x00") and head[68:72] in (b"GPKG", b"GP10", b"GP11"):
        return Source(str(real), "GPKG", {})
    if head.startswith(b"\x00\x00\x27\x0a"):
        return Source(str(real), "ESRI Shapefile", {})
    if head[:3] == b"fgb" and head[4:7] == b"fgb":
        return Source(str(real), "FlatGeobuf", {})
    if head.startswith(b"PK\x03\x04"):
        return Source(_zipped_shapefile(real), "ESRI Shapefile", {})
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body.startswith(b"{"):
        if _mentions(real, _LINKED_CRS):
            raise VectorImportError(f"{text}: a coordinate reference system given by link (a "
                                    "URL) is refused; name it, e.g. urn:ogc:def:crs:EPSG::2180")
        return Source(str(real), "GeoJSON", {})
    if body.startswith(b"<"):
        root = _xml_root(real)
        if root[1] == "OGRVRTDataSource":
            raise VectorImportError(f"{text} is a GDAL virtual source (VRT), which may read any "
                                    "file or address: refused")
        if root[0] in _GML_NAMESPACES or root[1] == "FeatureCollection":
            return Source(str(real), "GML", GML_OPEN_OPTIONS)
    raise VectorImportError(f"{text} is not a {FORMATS} file (recognised by its content, "
                            "not by its name)")


def _mentions(path: Path, pattern: re.Pattern) -> bool:
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return pattern.search(data) is not None


@contextlib.contextmanager
def _no_network():
    import pyogrio

    previous = {k: pyogrio.get_gdal_config_option(k) for k in _NO_NETWORK}
    bypass = {k: os.environ.pop(k) for k in ("NO_PROXY", "no_proxy") if k in os.environ}
    pyogrio.set_gdal_config_options(_NO_NETWORK)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)
        os.environ.update(bypass)


def _xml_root(path: Path) -> tuple[str, str]:
    """(namespace, local name) of the root element; DTDs and entities refused unread."""
    try:
        check_prolog(path)
        for _event, el in etree.iterparse(str(path), events=("start",), **parser_options()):
            qname = etree.QName(el)
            return qname.namespace or "", qname.localname
    except UnsafeXMLError as exc:
        raise VectorImportError(f"{path}: {exc}") from exc
    except etree.XMLSyntaxError:
        pass
    return "", ""


def _zipped_shapefile(real: Path) -> str:
    """``/vsizip/<file>/<the one .shp inside>``, checked: one Shapefile, by its content."""
    try:
        with zipfile.ZipFile(real) as zf:
            shps = [i for i in zf.infolist() if i.filename.lower().endswith(".shp")
                    and not i.is_dir()]
            if len(shps) != 1:
                raise VectorImportError(f"{real}: a zipped Shapefile must hold exactly one .shp "
                                        f"(it holds {len(shps)})")
            member = shps[0].filename
            if ".." in member.split("/") or member.startswith("/") or "\\" in member:
                raise VectorImportError(f"{real}: unsafe member name {member!r}")
            with zf.open(shps[0]) as fh:
                if fh.read(4) != b"\x00\x00\x27\x0a":
                    raise VectorImportError(f"{real}: {member} is not a Shapefile")
    except zipfile.BadZipFile as exc:
        raise VectorImportError(f"{real}: not a readable ZIP archive ({exc})") from exc
    return f"/vsizip/{real}/{member}"


def _read(source: Source, source_layer: str | None):
    """The source as a GeoDataFrame, opened only if GDAL agrees on the driver, offline."""
    import geopandas as gpd
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    kwargs = dict(source.open_options)
    if source_layer:
        kwargs["layer"] = source_layer
    with _no_network():
        try:
            info = pyogrio.read_info(source.gdal_path, **kwargs)
        except (DataSourceError, DataLayerError) as exc:
            raise VectorImportError(f"cannot read the {source.driver} source: {exc}") from exc
        if info.get("driver") != source.driver:
            raise VectorImportError(f"the file looks like {source.driver} but GDAL reads it "
                                    f"as {info.get('driver')}: refused")
        try:
            return gpd.read_file(source.gdal_path, engine="pyogrio", **kwargs)
        except (DataSourceError, DataLayerError, ValueError) as exc:
            raise VectorImportError(f"cannot read the {source.driver} source: {exc}") from exc


def import_vector(path: Path | str, *, layer: str, municipality: str,
                  mapping: dict[str, str], source_layer: str | None = None,
                  complete: bool = False,
                  boundary_tolerance_m: float = DEFAULT_BOUNDARY_TOLERANCE_M) -> VectorResult:
    """Import one file into ``layer`` of ``municipality``; never leaves its run "running".

    ``complete``: the file is the whole layer of that source, so stored features missing from
    it are retired even though some rows were rejected (without rejections they always are)."""
    run = ImportRun.objects.create(source=str(path)[:500], kind=f"vector:{layer}")
    issues: list[ImportIssue] = []
    try:
        _import(run, issues, Path(str(path)), layer, municipality, mapping, source_layer,
                complete, boundary_tolerance_m)
    except (VectorImportError, PlaceError) as exc:
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)
    except Exception as exc:  # a bug or an environment failure: reported, never "running"
        log.exception("vector import of %s failed", path)
        run.status = ImportRun.Status.FAILED
        run.message = f"unexpected error ({type(exc).__name__}): {exc}; nothing was stored"
    except BaseException:
        run.status = ImportRun.Status.FAILED
        run.message = "interrupted: nothing was stored"
        run.finished_at = timezone.now()
        run.save()
        raise
    run.rejected = sum(1 for i in issues if i.kind == ImportIssue.Kind.REJECTED)
    run.finished_at = timezone.now()
    run.save()
    for issue in issues:
        issue.run = run
    ImportIssue.objects.bulk_create(issues)
    return VectorResult(run=run, issues=issues)


def _import(run: ImportRun, issues: list[ImportIssue], path: Path, layer: str,
            municipality: str, mapping: dict[str, str], source_layer: str | None,
            complete: bool, tolerance: float) -> None:
    import pandas as pd

    if layer not in LAYERS:
        raise VectorImportError(f"unknown layer {layer!r}: use one of {', '.join(LAYERS)}")
    table, fields, kinds, default_kind = LAYERS[layer]
    unknown = set(mapping) - set(fields)
    if unknown:
        raise VectorImportError(f"unknown field(s) {', '.join(sorted(unknown))}; "
                                f"{layer} has {', '.join(fields)}")
    if default_kind is None and "kind" not in mapping:
        raise VectorImportError(f"{layer} needs the kind: kind=COLUMN or kind==VALUE "
                                f"(one of {', '.join(sorted(kinds))})")
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise VectorImportError(f"the boundary tolerance must be a distance in metres ≥ 0, "
                                f"not {tolerance!r}")
    teryt = check_teryt(municipality)
    muni = Municipality.objects.filter(teryt=teryt).first()
    if muni is None:
        raise PlaceError(f"municipality {teryt} is not in the database")
    run.municipality = muni
    frame = _read(recognise(path), source_layer)
    if frame.crs is None:
        raise VectorImportError("the source has no coordinate reference system")
    for field, column in mapping.items():
        if not column.startswith("=") and column not in frame.columns:
            raise VectorImportError(f"column {column!r} (for {field}) is not in the source; "
                                    f"it has {', '.join(map(str, frame.columns))}")
    frame = frame.to_crs(STORAGE_SRID)

    def value(row, field: str) -> str:
        column = mapping.get(field)
        if column is None:
            return default_kind if field == "kind" and default_kind else ""
        if column.startswith("="):
            return column[1:]
        v = row[column]
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()

    buf = io.StringIO()
    for i, row in enumerate(frame.itertuples(index=False)):
        rowd = row._asdict()
        geom = rowd.get("geometry")
        code = value(rowd, "code") or str(i + 1)
        kind = value(rowd, "kind")
        problems = []
        if kind not in kinds:
            problems.append(f"kind {kind!r} is not one of {', '.join(sorted(kinds))}")
        polygonal = (geom is not None and not geom.is_empty
                     and geom.geom_type in ("Polygon", "MultiPolygon"))
        if not polygonal:
            problems.append("no polygon geometry")
        buf.write("\t".join((str(i + 1), copy_escape(code),
                             copy_escape(value(rowd, "name") or code), copy_escape(kind),
                             geom.wkb_hex if polygonal else "\\N",
                             copy_escape("; ".join(problems) or None))) + "\n")
    buf.seek(0)
    ns = f"{path.stem}:{layer}"[:64]
    params = {"muni": muni.id, "ns": ns, "run": run.id,
              **place_params(muni.id, teryt, tolerance)}
    with transaction.atomic(), connection.cursor() as cursor:
        cur = cursor.cursor
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                    (locks.IMPORT_MUNICIPALITY, muni.id))
        cur.execute("CREATE TEMP TABLE vst (line int, code text, name text, kind text, "
                    "wkb text, error text) ON COMMIT DROP")
        cur.copy_expert("COPY vst FROM STDIN", buf)
        cur.execute(f"""
            CREATE TEMP TABLE vt ON COMMIT DROP AS
            SELECT vst.line, vst.code, vst.name, vst.kind, vst.error, g.geom,
                   coalesce(NOT ST_IsValid(r.raw), false) AS repaired
            FROM vst
            LEFT JOIN LATERAL (SELECT ST_Force2D(ST_SetSRID(ST_GeomFromWKB(
                                   decode(vst.wkb, 'hex')), {STORAGE_SRID})) AS raw
                               WHERE vst.wkb IS NOT NULL) r ON true
            LEFT JOIN LATERAL (SELECT ST_Multi(CASE WHEN ST_IsValid(r.raw) THEN r.raw ELSE
                                   ST_CollectionExtract(ST_MakeValid(r.raw), 3) END) AS geom
                               WHERE r.raw IS NOT NULL) g ON true""")
        cur.execute("""UPDATE vt SET error = concat_ws('; ', error,
                                     'invalid geometry that cannot be repaired'), geom = NULL
                       WHERE repaired AND (geom IS NULL OR ST_IsEmpty(geom))""")
        for sql in place_sql("vt", params):
            cur.execute(sql, params)
        cur.execute("""UPDATE vt SET error = concat_ws('; ', vt.error, 'duplicate code '
                                     || quote_literal(vt.code) || ' (first at row '
                                     || d.first || ')')
                       FROM (SELECT line, first_value(line) OVER w AS first,
                                    row_number() OVER w AS n
                             FROM vt WINDOW w AS (PARTITION BY code ORDER BY line)) d
                       WHERE d.line = vt.line AND d.n > 1""")
        cur.execute("SELECT line, code, error FROM vt WHERE error IS NOT NULL ORDER BY line")
        issues.extend(ImportIssue(kind=ImportIssue.Kind.REJECTED, feature_type=layer,
                                  object_id=code[:200], line=line, reason=error)
                      for line, code, error in cur.fetchall())
        cur.execute("SELECT count(*), count(*) FILTER (WHERE error IS NULL), "
                    "count(*) FILTER (WHERE error IS NULL AND repaired) FROM vt")
        total, accepted, repaired = cur.fetchone()
        if not accepted:
            raise VectorImportError(
                (f"every one of the {total} features was rejected" if total
                 else "the source holds no features") + ": nothing was changed")
        cur.execute(f"""
            WITH ins AS (
                INSERT INTO {table} (municipality_id, code, name, kind, geom,
                    source_namespace, local_id, version_id, unresolved_links, import_run_id)
                SELECT %(muni)s, left(code, 32), left(name, 200), kind, geom,
                       %(ns)s, code, md5(name || kind || ST_AsEWKB(geom)::text), '{{}}',
                       %(run)s
                FROM vt WHERE error IS NULL
                ON CONFLICT (source_namespace, local_id) DO UPDATE
                  SET code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind,
                      geom = EXCLUDED.geom, version_id = EXCLUDED.version_id,
                      import_run_id = EXCLUDED.import_run_id, retired_at = NULL
                  WHERE {table}.version_id IS DISTINCT FROM EXCLUDED.version_id
                     OR {table}.retired_at IS NOT NULL
                RETURNING (xmax = 0) AS created
            )
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created)
            FROM ins""", params)
        created, updated = cur.fetchone()
        rejected = total - accepted
        run.retired = 0
        if complete or not rejected:
            # absent from the file: rows the file holds but rejected are not absent
            cur.execute(f"""UPDATE {table} SET retired_at = now()
                            WHERE source_namespace = %(ns)s AND retired_at IS NULL
                              AND local_id NOT IN (SELECT code FROM vt)""", params)
            run.retired = cur.rowcount
        cur.execute("DROP TABLE vst, vt")
    run.created, run.updated = created, updated
    run.unchanged = accepted - created - updated
    if repaired:
        issues.append(ImportIssue(kind=ImportIssue.Kind.REPAIRED, feature_type=layer,
                                  reason=f"{repaired} invalid geometries repaired"))
    run.counts = {layer: {"created": created, "updated": updated, "unchanged": run.unchanged,
                          "retired": run.retired, "rejected": rejected}}
    run.status = (ImportRun.Status.OK if created or updated or run.retired
                  else ImportRun.Status.UNCHANGED)
    if rejected and not complete:
        run.message = (f"{rejected} rejected: nothing was retired (pass --complete if the file "
                       "is the whole layer)")
