"""Tabular exports (CSV, XLSX) shared by every register list; geo formats build on it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
