"""Tabular exports (CSV, XLSX) shared by every register list; geo formats build on it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from layers.domain.srid import STORAGE_SRID

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFormatError(ValueError):
    pass


def write_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    fmt: str,
) -> tuple[bytes, str]:
    """Rows as ``fmt`` bytes with ``columns`` = [(key, header label)]; returns (data, mime)."""
    if fmt not in EXPORT_FORMATS:
        raise ExportFormatError(
            f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}"
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([label for _, label in columns])
        for row in rows:
            writer.writerow([_cell(row.get(key)) for key, _ in columns])
        # BOM so that Excel opens Polish letters correctly
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), EXPORT_FORMATS[fmt]
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([label for _, label in columns])
    for row in rows:
        ws.append([_cell(row.get(key)) for key, _ in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), EXPORT_FORMATS[fmt]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "quantize"):  # Decimal keeps its exact value in CSV and XLSX
        return str(value)
    return value


# --- Geo exports ---------------------------------------------------------------------------
# Features leave geogmina in the storage CRS (EPSG:2180), with the CRS written into the file
# where the format can hold it (GeoPackage, Shapefile .prj) and named in CSV/XLSX headers.

GEO_EXPORT_FORMATS = {
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "csv": "text/csv; charset=utf-8",
    "xlsx": EXPORT_FORMATS["xlsx"],
}
XLSX_CELL_LIMIT = 32_767


def queryset_geodataframe(qs: Any, columns: Sequence[tuple[str, Any]],
                          geometry_field: str = "geom", srid: int = STORAGE_SRID) -> Any:
    """A GeoDataFrame (CRS ``srid``) of ``columns`` = [(column name, ORM lookup or expression)].

    The geometry travels as WKB from PostGIS (transformed in the query if ``srid`` differs from
    the stored one), so no model instance is built per row.
    """
    import geopandas as gpd
    import shapely
    from django.contrib.gis.db.models.functions import AsWKB, Transform

    geom: Any = geometry_field if srid == STORAGE_SRID else Transform(geometry_field, srid)
    annotations: dict[str, Any] = {"_wkb": AsWKB(geom)}
    keys = []
    for i, (name, source) in enumerate(columns):
        if isinstance(source, str):
            keys.append((name, source))
        else:
            annotations[f"_c{i}"] = source
            keys.append((name, f"_c{i}"))
    rows = list(qs.annotate(**annotations).values(*[k for _, k in keys], "_wkb"))
    data = {name: [_plain(row[key]) for row in rows] for name, key in keys}
    geoms = shapely.from_wkb([bytes(row["_wkb"]) if row["_wkb"] is not None else None
                              for row in rows])
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=f"EPSG:{srid}"),
                            crs=f"EPSG:{srid}")


def _plain(value: Any) -> Any:
    """Values the OGR drivers take: Decimal → float, lists → text."""
    if value is None:
        return None
    if hasattr(value, "quantize"):
        return float(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return value


def write_geo(gdf: Any, fmt: str, layer: str = "export") -> tuple[bytes, str, str]:
    """A GeoDataFrame as ``fmt`` bytes; returns (data, mime type, file name)."""
    import tempfile
    import zipfile
    from pathlib import Path

    if fmt not in GEO_EXPORT_FORMATS:
        raise ExportFormatError(
            f"unknown export format {fmt!r}; use one of {', '.join(GEO_EXPORT_FORMATS)}")
    mime = GEO_EXPORT_FORMATS[fmt]
    epsg = gdf.crs.to_epsg() if gdf.crs else None
    if fmt in ("csv", "xlsx"):
        table = gdf.drop(columns=gdf.geometry.name).copy()
        wkt_col = f"WKT_EPSG{epsg}" if epsg else "WKT"
        wkt = gdf.geometry.to_wkt(rounding_precision=3)
        if fmt == "csv":
            # GDAL's CSV driver reads a column named WKT as the geometry (GEOM_POSSIBLE_NAMES)
            table.insert(0, "WKT", wkt)
            return ("\ufeff" + table.to_csv(index=False)).encode("utf-8"), mime, \
                f"{layer}.csv"
        point = gdf.geometry.representative_point()
        table[f"x_EPSG{epsg}"] = point.x.round(2)
        table[f"y_EPSG{epsg}"] = point.y.round(2)
        table[wkt_col] = [w if w is not None and len(w) <= XLSX_CELL_LIMIT else "" for w in wkt]
        out = io.BytesIO()
        table.to_excel(out, index=False, sheet_name=layer[:31])
        return out.getvalue(), mime, f"{layer}.xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        geometry_type = None if len(gdf) else "MultiPolygon"
        if fmt == "gpkg":
            path = Path(tmp) / f"{layer}.gpkg"
            gdf.to_file(path, driver="GPKG", layer=layer, engine="pyogrio",
                        geometry_type=geometry_type)
            return path.read_bytes(), mime, path.name
        shp_gdf = gdf.rename(columns=_shapefile_names(
            [c for c in gdf.columns if c != gdf.geometry.name]))
        shp_dir = Path(tmp) / "shp"
        shp_dir.mkdir()
        shp_gdf.to_file(shp_dir / f"{layer}.shp", driver="ESRI Shapefile", engine="pyogrio",
                        encoding="UTF-8", geometry_type=geometry_type)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(shp_dir.iterdir()):
                zf.write(part, part.name)
        return out.getvalue(), mime, f"{layer}.zip"


def _shapefile_names(columns: Sequence[str]) -> dict[str, str]:
    """dBase allows 10 characters per field name: shorten predictably, keep names unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        short = col[:10]
        n = 1
        while short.lower() in used:
            suffix = f"_{n}"
            short = col[: 10 - len(suffix)] + suffix
            n += 1
        used.add(short.lower())
        names[col] = short
    return names
