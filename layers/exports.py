"""Tabular exports (CSV, XLSX) shared by every register list; geo formats build on it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings as warnings_module
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import BadRequest
from django.utils import timezone
from django.utils.functional import Promise

from layers.domain.srid import STORAGE_SRID

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFormatError(BadRequest, ValueError):
    """An export asked for in a format or dialect that does not exist: a 400 naming the known
    ones, wherever a view lets it through."""


# --- CSV dialects ------------------------------------------------------------------------------
# Polish spreadsheets (Excel, LibreOffice with a Polish locale) read a comma as the decimal
# separator, so a comma-separated file with "1274.28" opens as text in one column (issue #18).
# The default dialect is theirs: ";" between cells, decimal comma, booleans "tak"/"nie",
# UTF-8 with a BOM (which Excel needs to read Polish letters). ``?dialect=intl`` gives the
# international one: "," between cells, decimal point, true/false, UTF-8 with BOM as well.
CSV_DIALECTS = ("pl", "intl")
DEFAULT_CSV_DIALECT = "pl"


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    decimal: str
    true: str
    false: str


_CSV_DIALECTS = {
    "pl": CsvDialect(delimiter=";", decimal=",", true="tak", false="nie"),
    "intl": CsvDialect(delimiter=",", decimal=".", true="true", false="false"),
}


def csv_dialect(params: Mapping[str, Any]) -> str:
    """The CSV dialect a request asks for (its ``dialect`` query parameter); an unknown one is an
    ``ExportFormatError`` naming the known ones."""
    name = str(params.get("dialect") or DEFAULT_CSV_DIALECT)
    if name not in _CSV_DIALECTS:
        raise ExportFormatError(
            f"unknown CSV dialect {name!r}; use one of {', '.join(CSV_DIALECTS)}")
    return name


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
    dialect: str = DEFAULT_CSV_DIALECT,
) -> tuple[bytes, str]:
    """Rows as ``fmt`` bytes with ``columns`` = [(key, header label)]; returns (data, mime).

    CSV is written in ``dialect`` (``CSV_DIALECTS``: Polish spreadsheets by default); XLSX keeps
    numbers, booleans and dates typed, so the spreadsheet formats them itself."""
    if fmt not in EXPORT_FORMATS:
        raise ExportFormatError(
            f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}"
        )
    if fmt == "csv":
        if dialect not in _CSV_DIALECTS:
            raise ExportFormatError(
                f"unknown CSV dialect {dialect!r}; use one of {', '.join(CSV_DIALECTS)}")
        style = _CSV_DIALECTS[dialect]
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=style.delimiter)
        writer.writerow([neutralise_formula(str(label)) for _, label in columns])
        for row in rows:
            writer.writerow([_cell(row.get(key), style) for key, _ in columns])
        # BOM so that Excel opens Polish letters correctly
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), EXPORT_FORMATS[fmt]
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([neutralise_formula(str(label)) for _, label in columns])
    for row in rows:
        ws.append([_xlsx_cell(row.get(key)) for key, _ in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), EXPORT_FORMATS[fmt]


def _cell(value: Any, style: CsvDialect = _CSV_DIALECTS["intl"]) -> Any:
    """A CSV cell: text (Decimals exact, with the dialect's decimal separator, no grouping),
    booleans in the dialect's words, formula triggers neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return style.true if value else style.false
    if isinstance(value, list | tuple | set):
        return neutralise_formula(", ".join(str(v) for v in value))
    if isinstance(value, Decimal | float):  # a Decimal's exact value, never a float's digits
        return str(value).replace(".", style.decimal)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Promise):  # a translated label
        value = str(value)
    return neutralise_formula(value)


def _xlsx_cell(value: Any) -> Any:
    """An XLSX cell: numbers, booleans and dates stay typed; anything else is written as text
    (openpyxl refuses objects it does not know: "Cannot convert … to Excel", issue #18)."""
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the local wall-clock time, as the pages show it
        if timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return value
    if isinstance(value, list | tuple | set):
        return neutralise_formula(", ".join(str(v) for v in value))
    # str subclasses (SafeString), lazy translations and any other object: plain text
    return neutralise_formula(_xlsx_text(str(value)))


_ILLEGAL_XLSX_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_text(text: str) -> str:
    """Without the control characters that XML (and so XLSX) cannot hold (openpyxl refuses
    them); tab, line feed and carriage return stay."""
    return _ILLEGAL_XLSX_CHARS.sub("", text)


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


@dataclass
class GeoExport:
    data: bytes
    mime: str
    filename: str
    # what the format could not hold as it is (cut texts, renamed fields, split WKT): said in the
    # response header X-Export-Warnings and in the file itself, never lost silently
    warnings: list[str] = field(default_factory=list)


def write_geo(gdf: Any, fmt: str, layer: str = "export") -> tuple[bytes, str, str]:
    """A GeoDataFrame as ``fmt`` bytes; returns (data, mime type, file name)."""
    out = write_geo_export(gdf, fmt, layer)
    return out.data, out.mime, out.filename


def _axis_names(epsg: int | None) -> tuple[str, str, str]:
    """(first, second column name, what they are): PL-1992/PL-2000 are X = northing,
    Y = easting (the Polish convention); other CRSs keep x = easting, y = northing."""
    if epsg in (2180, 2176, 2177, 2178, 2179):
        return (f"x_northing_EPSG{epsg}", f"y_easting_EPSG{epsg}",
                f"EPSG:{epsg}: X is the northing, Y the easting (metres)")
    return (f"x_EPSG{epsg}", f"y_EPSG{epsg}",
            f"EPSG:{epsg}: x easting/longitude, y northing/latitude")


def _xy_columns(table: Any, gdf: Any, epsg: int | None) -> str:
    """Add a point inside each feature as two named axis columns; returns the axis note."""
    first, second, note = _axis_names(epsg)
    point = gdf.geometry.representative_point()
    northing_first = first.startswith("x_northing")
    table[first] = (point.y if northing_first else point.x).round(2)
    table[second] = (point.x if northing_first else point.y).round(2)
    return note


def write_geo_export(gdf: Any, fmt: str, layer: str = "export") -> GeoExport:
    """A GeoDataFrame as ``fmt``: the bytes, mime type, file name and warnings."""
    import tempfile
    import zipfile
    from pathlib import Path

    if fmt not in GEO_EXPORT_FORMATS:
        raise ExportFormatError(
            f"unknown export format {fmt!r}; use one of {', '.join(GEO_EXPORT_FORMATS)}")
    from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

    mime = GEO_EXPORT_FORMATS[fmt]
    epsg = gdf.crs.to_epsg() if gdf.crs else None
    crs_text = f"EPSG:{epsg}" if epsg else "unknown"
    if fmt in ("csv", "xlsx"):
        table = gdf.drop(columns=gdf.geometry.name).copy()
        for column in table.columns:
            if not is_numeric_dtype(table[column]) and not is_datetime64_any_dtype(table[column]):
                table[column] = table[column].map(neutralise_formula).astype(object)
        wkt_col = f"WKT_EPSG{epsg}" if epsg else "WKT"
        wkt = gdf.geometry.to_wkt(rounding_precision=3)
        if fmt == "csv":
            # GDAL's CSV driver reads a column named WKT as the geometry (GEOM_POSSIBLE_NAMES);
            # the crs column and the named axes say what the numbers are
            table.insert(0, "WKT", wkt)
            table.insert(1, "crs", crs_text)
            _xy_columns(table, gdf, epsg)
            table.columns = [neutralise_formula(str(c)) for c in table.columns]
            # CRLF rows (RFC 4180) like write_table: pandas quotes a field holding a bare CR
            # only when CR is part of the line terminator; unquoted, it split the row and a
            # text after it ("\r=…") began a line of its own, a formula again
            return GeoExport(("\ufeff" + table.to_csv(index=False, lineterminator="\r\n"))
                             .encode("utf-8"), mime, f"{layer}.csv")
        note = _xy_columns(table, gdf, epsg)
        warnings = _split_wkt(table, wkt_col, list(wkt))
        table.columns = [neutralise_formula(str(c)) for c in table.columns]
        out = io.BytesIO()
        with pd_excel_writer(out) as writer:
            table.to_excel(writer, index=False, sheet_name=layer[:31])
            about = [("CRS", crs_text), ("coordinates", note),
                     ("geometry", f"{wkt_col}: WKT in {crs_text}"), *[
                         ("warning", w) for w in warnings]]
            import pandas as pd

            pd.DataFrame(about, columns=["item", "value"]).to_excel(
                writer, index=False, sheet_name="about")
        return GeoExport(out.getvalue(), mime, f"{layer}.xlsx", warnings)
    with tempfile.TemporaryDirectory() as tmp:
        geometry_type = None if len(gdf) else "MultiPolygon"
        if fmt == "gpkg":
            path = Path(tmp) / f"{layer}.gpkg"
            # 1.2: GDAL 3.6 and QGIS 3.22 warn on the 1.4 that newer GDAL writes by default
            gdf.to_file(path, driver="GPKG", layer=layer, engine="pyogrio",
                        geometry_type=geometry_type, dataset_options={"VERSION": "1.2"})
            return GeoExport(path.read_bytes(), mime, path.name)
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        names = _shapefile_names(columns)
        warnings = [f"field {c!r} is named {n!r} (dBase allows 10 characters)"
                    for c, n in names.items() if c != n]
        for col in columns:
            cut = _cut_texts(gdf[col])
            if cut:
                warnings.append(f"field {col!r}: {cut} value(s) longer than "
                                f"{SHAPEFILE_TEXT_BYTES} bytes cut (the GeoPackage keeps them "
                                "whole)")
        shp_gdf = gdf.rename(columns=names)
        shp_dir = Path(tmp) / "shp"
        shp_dir.mkdir()
        with warnings_module.catch_warnings():  # GDAL's truncation warning: said above
            warnings_module.simplefilter("ignore", RuntimeWarning)
            shp_gdf.to_file(shp_dir / f"{layer}.shp", driver="ESRI Shapefile",
                            engine="pyogrio", encoding="UTF-8", geometry_type=geometry_type)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(shp_dir.iterdir()):
                zf.write(part, part.name)
            mapping = io.StringIO()
            csv.writer(mapping).writerows([("field", "shapefile_field"),
                                           *names.items()])
            zf.writestr(f"{layer}_fields.csv", mapping.getvalue())
            zf.writestr("README.txt", _shapefile_readme(layer, crs_text, warnings))
        return GeoExport(out.getvalue(), mime, f"{layer}.zip", warnings)


SHAPEFILE_TEXT_BYTES = 254


def pd_excel_writer(out: io.BytesIO) -> Any:
    import pandas as pd

    return pd.ExcelWriter(out, engine="openpyxl")


def _split_wkt(table: Any, wkt_col: str, wkt: list[str | None]) -> list[str]:
    """WKT into as many columns as it needs (a cell holds 32,767 characters): ``wkt_col``,
    ``wkt_col_2`` … joined in order give the whole text; the warnings say so."""
    chunks = [[] if w is None else [w[i:i + XLSX_CELL_LIMIT]
                                   for i in range(0, len(w), XLSX_CELL_LIMIT)] or [""]
              for w in wkt]
    width = max((len(c) for c in chunks), default=1) or 1
    for k in range(width):
        name = wkt_col if k == 0 else f"{wkt_col}_{k + 1}"
        table[name] = [c[k] if k < len(c) else "" for c in chunks]
    split = sum(1 for c in chunks if len(c) > 1)
    if not split:
        return []
    return [f"{split} geometr{'y' if split == 1 else 'ies'} longer than {XLSX_CELL_LIMIT} "
            f"characters of WKT: split over the columns {wkt_col} … {wkt_col}_{width}; join "
            "them in order (or take the GeoPackage export)"]


def _cut_texts(series: Any) -> int:
    return sum(1 for v in series if isinstance(v, str)
               and len(v.encode("utf-8")) > SHAPEFILE_TEXT_BYTES)


def _shapefile_readme(layer: str, crs_text: str, warnings: list[str]) -> str:
    lines = [f"{layer}.shp: ESRI Shapefile, coordinates in {crs_text} (see {layer}.prj),",
             "texts in UTF-8 (see the .cpg file).",
             f"{layer}_fields.csv maps every field to its Shapefile name (dBase allows 10",
             f"characters per name and {SHAPEFILE_TEXT_BYTES} bytes per text).", ""]
    lines += [f"WARNING: {w}" for w in warnings] or ["Nothing was renamed or cut."]
    return "\n".join(lines) + "\n"


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
