"""Import parking zones and landscape areas from any vector source GDAL reads.

GeoPackage, Shapefile, GeoJSON… through geopandas/pyogrio; the caller maps our fields onto the
source's columns (``code=kod``), or gives a constant (``kind==resolution_zone``). Rows are
COPYed into staging and merged with one INSERT … ON CONFLICT, in one transaction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from importers.models import ImportIssue, ImportRun
from importers.staging import _esc
from layers.domain import locks
from layers.domain.srid import STORAGE_SRID
from layers.models import LandscapeArea, Municipality, ParkingZone

LAYERS = {
    "parking_zones": ("layers_parkingzone", ("code", "name", "kind"),
                      {k.value for k in ParkingZone.Kind}, ParkingZone.Kind.ORDINARY.value),
    "landscape_areas": ("layers_landscapearea", ("code", "name", "kind"),
                        {k.value for k in LandscapeArea.Kind}, None),
}


class VectorImportError(ValueError):
    """Bad mapping, unreadable source or unknown layer: nothing was stored."""


@dataclass
class VectorResult:
    run: ImportRun


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["code=kod", "kind==resolution_zone"]`` → {"code": "kod", "kind": "=resolution_zone"}."""
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise VectorImportError(f"mapping {pair!r} is not field=column")
        mapping[field.strip()] = column.strip()
    return mapping


def import_vector(path: Path | str, *, layer: str, municipality: str,
                  mapping: dict[str, str], source_layer: str | None = None) -> VectorResult:
    import geopandas as gpd

    path = Path(path)
    run = ImportRun.objects.create(source=str(path), kind=f"vector:{layer}")
    issues: list[ImportIssue] = []
    try:
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
        try:
            frame = gpd.read_file(path, layer=source_layer) if source_layer else gpd.read_file(path)
        except Exception as exc:
            raise VectorImportError(f"cannot read {path}: {exc}") from exc
        if frame.crs is None:
            raise VectorImportError("the source has no coordinate reference system")
        for field, column in mapping.items():
            if not column.startswith("=") and column not in frame.columns:
                raise VectorImportError(f"column {column!r} (for {field}) is not in the source; "
                                        f"it has {', '.join(map(str, frame.columns))}")
        frame = frame.to_crs(STORAGE_SRID)
        muni = Municipality.objects.filter(teryt=municipality).first()
        if muni is None:
            raise VectorImportError(f"municipality {municipality!r} is not in the database")
        run.municipality = muni

        def value(row, field: str) -> str:
            column = mapping.get(field)
            if column is None:
                return default_kind if field == "kind" and default_kind else ""
            if column.startswith("="):
                return column[1:]
            v = row[column]
            return "" if v is None else str(v).strip()

        buf = io.StringIO()
        for i, row in enumerate(frame.itertuples(index=False)):
            rowd = row._asdict()
            geom = rowd.get("geometry")
            code = value(rowd, "code") or str(i + 1)
            kind = value(rowd, "kind")
            if kind not in kinds:
                issues.append(ImportIssue(kind="rejected", feature_type=layer, object_id=code,
                                          line=i + 1, reason=f"kind {kind!r} is not one of "
                                          f"{', '.join(sorted(kinds))}"))
                continue
            if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
                issues.append(ImportIssue(kind="rejected", feature_type=layer, object_id=code,
                                          line=i + 1, reason="no polygon geometry"))
                continue
            buf.write("\t".join((code, _esc(value(rowd, "name") or code), kind,
                                 geom.wkb_hex)) + "\n")
        buf.seek(0)
        ns = f"{path.stem}:{layer}"[:64]
        with transaction.atomic(), connection.cursor() as cursor:
            cur = cursor.cursor
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                        (locks.IMPORT_MUNICIPALITY, muni.id))
            cur.execute("CREATE TEMP TABLE vst (code text, name text, kind text, wkb text) "
                        "ON COMMIT DROP")
            cur.copy_expert("COPY vst FROM STDIN", buf)
            cur.execute(f"""
                WITH src AS (
                    SELECT code, name, kind, g.geom, NOT ST_IsValid(r.raw) AS repaired
                    FROM vst, LATERAL (SELECT ST_SetSRID(ST_GeomFromWKB(decode(wkb, 'hex')),
                                                         {STORAGE_SRID}) AS raw) r,
                         LATERAL (SELECT ST_Multi(CASE WHEN ST_IsValid(r.raw) THEN r.raw ELSE
                                  ST_CollectionExtract(ST_MakeValid(r.raw), 3) END) AS geom) g
                ), ins AS (
                    INSERT INTO {table} (municipality_id, code, name, kind, geom,
                        source_namespace, local_id, version_id, unresolved_links, import_run_id)
                    SELECT %(muni)s, left(code, 32), left(name, 200), kind, geom,
                           %(ns)s, code, md5(name || kind || ST_AsEWKB(geom)::text), '{{}}',
                           %(run)s
                    FROM src
                    ON CONFLICT (source_namespace, local_id) DO UPDATE
                      SET code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind,
                          geom = EXCLUDED.geom, version_id = EXCLUDED.version_id,
                          import_run_id = EXCLUDED.import_run_id, retired_at = NULL
                      WHERE {table}.version_id IS DISTINCT FROM EXCLUDED.version_id
                         OR {table}.retired_at IS NOT NULL
                    RETURNING (xmax = 0) AS created
                )
                SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created),
                       (SELECT count(*) FROM src), (SELECT count(*) FROM src WHERE repaired)
                FROM ins""", {"muni": muni.id, "ns": ns, "run": run.id})
            created, updated, total, repaired = cur.fetchone()
            cur.execute(f"""UPDATE {table} SET retired_at = now()
                            WHERE source_namespace = %(ns)s AND retired_at IS NULL
                              AND local_id NOT IN (SELECT code FROM vst)""", {"ns": ns})
            run.retired = cur.rowcount
            cur.execute("DROP TABLE vst")
        run.created, run.updated = created, updated
        run.unchanged = total - created - updated
        run.rejected = len(issues)
        if repaired:
            issues.append(ImportIssue(kind="repaired", feature_type=layer,
                                      reason=f"{repaired} invalid geometries repaired"))
        run.counts = {layer: {"created": created, "updated": updated,
                              "unchanged": run.unchanged, "retired": run.retired,
                              "rejected": run.rejected}}
        run.status = (ImportRun.Status.OK if created or updated or run.retired
                      else ImportRun.Status.UNCHANGED)
    except VectorImportError as exc:
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)
    run.finished_at = timezone.now()
    run.save()
    for issue in issues:
        issue.run = run
    ImportIssue.objects.bulk_create(issues)
    return VectorResult(run=run)
