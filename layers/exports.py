"""Tabular exports (CSV, XLSX) shared by every register list; geo formats build on it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.functional import Promise

from layers.domain.srid import STORAGE_SRID

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFormatError(ValueError):
    pass


# --- Spreadsheet formulas ----------------------------------------------------------------------
# A lessee or taxpayer named "=HYPERLINK(…)" became a live formula in the XLSX exports and an
# unquoted one in CSV (OWASP "CSV Injection"). Every text cell that a spreadsheet would read as a
# formula starts with an apostrophe instead: shown as text, never evaluated. Triggers: = + - @,
# tab and carriage return (OWASP), and their full-width forms, which some spreadsheets also take.
# A plain number ("-12.50") is data, not a formula, and stays as it is.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def neutralise_formula(value: Any) -> Any:
    """``value`` safe for a spreadsheet cell: text starting with a formula trigger gets a
    leading apostrophe; numbers, dates and other non-text values are returned unchanged.

    Every CSV and XLSX writer of the project (``write_table``, ``write_geo``) passes each cell
    through this function."""
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


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
        writer.writerow([neutralise_formula(str(label)) for _, label in columns])
        for row in rows:
            writer.writerow([_cell(row.get(key)) for key, _ in columns])
        # BOM so that Excel opens Polish letters correctly
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), EXPORT_FORMATS[fmt]
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([neutralise_formula(str(label)) for _, label in columns])
    for row in rows:
        ws.append([_cell(row.get(key)) for key, _ in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), EXPORT_FORMATS[fmt]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return neutralise_formula(", ".join(str(v) for v in value))
    if hasattr(value, "quantize"):  # Decimal keeps its exact value in CSV and XLSX
        return str(value)
    if isinstance(value, Promise):  # a translated label
        value = str(value)
    return neutralise_formula(value)


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
    from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

    mime = GEO_EXPORT_FORMATS[fmt]
    epsg = gdf.crs.to_epsg() if gdf.crs else None
    if fmt in ("csv", "xlsx"):
        table = gdf.drop(columns=gdf.geometry.name).copy()
        for column in table.columns:
            if not is_numeric_dtype(table[column]) and not is_datetime64_any_dtype(table[column]):
                table[column] = table[column].map(neutralise_formula).astype(object)
        wkt_col = f"WKT_EPSG{epsg}" if epsg else "WKT"
        wkt = gdf.geometry.to_wkt(rounding_precision=3)
        if fmt == "csv":
            # GDAL's CSV driver reads a column named WKT as the geometry (GEOM_POSSIBLE_NAMES)
            table.insert(0, "WKT", wkt)
            table.columns = [neutralise_formula(str(c)) for c in table.columns]
            # CRLF rows (RFC 4180) like write_table: pandas quotes a field holding a bare CR
            # only when CR is part of the line terminator; unquoted, it split the row and a
            # text after it ("\r=…") began a line of its own, a formula again
            return ("\ufeff" + table.to_csv(index=False, lineterminator="\r\n")).encode(
                "utf-8"), mime, \
                f"{layer}.csv"
        point = gdf.geometry.representative_point()
        table[f"x_EPSG{epsg}"] = point.x.round(2)
        table[f"y_EPSG{epsg}"] = point.y.round(2)
        table[wkt_col] = [w if w is not None and len(w) <= XLSX_CELL_LIMIT else "" for w in wkt]
        table.columns = [neutralise_formula(str(c)) for c in table.columns]
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
