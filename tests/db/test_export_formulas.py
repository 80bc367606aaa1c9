"""Formula injection (issue #14): no CSV or XLSX export hands a spreadsheet a live formula.

Hostile texts (a lessee "=HYPERLINK(…)", a taxpayer "-2+3…", a flat "\\t=…", zone and area names,
audit entries …) are planted in a town with every register's demo data. The exports are found
by walking the URL configuration: every GET endpoint is asked for ``?format=csv|xlsx`` and
``?export=csv|xlsx`` and every ``…<str:fmt>`` route for csv and xlsx; whatever answers a CSV or
an XLSX is an export and is checked, so an export added later is checked too. A cell may not
start with = + - @ tab or CR unless it is a plain number; the planted texts must arrive
neutralised (with a leading apostrophe).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from gis_app.accounts.roles import Role
from gis_app.permissions import walk
from layers.exports import FORMULA_TRIGGERS, neutralise_formula
from tests.db.register_town import PLANTED, _ids
from tests.db.register_town import town as town

pytestmark = pytest.mark.django_db

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def test_neutralise_formula():
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_formula("\t=1") == "'\t=1"
    assert neutralise_formula("\r=1") == "'\r=1"
    assert neutralise_formula("+48 600 000 000") == "'+48 600 000 000"
    assert neutralise_formula("-12.50") == "-12.50"  # a number is data
    assert neutralise_formula("Kowalski") == "Kowalski"
    assert neutralise_formula(-3) == -3
    assert neutralise_formula(None) is None


def _candidate_urls(town) -> list[str]:
    from layers.ogc.registry import collections

    ids = _ids(town)
    urls: list[str] = []
    for ep in walk():
        if ep.admin or ep.rule is None or ep.name in ("logout", "set_language"):
            continue
        route = ep.route.lstrip("^").rstrip("$")
        if "(?P" in route:
            continue
        for key in ("municipality_id", "parcel_id", "taxpayer_id"):
            route = route.replace(f"<int:{key}>", str(ids[key]))
        if "<int:" in route:
            prefix = next((p for p in ids if "/" in p and route.startswith(p)), None)
            route = re.sub(r"<int:\w+>", str(ids[prefix]) if prefix else "1", route)
        routes = [route]
        if "<str:collection_id>" in route:
            routes = [route.replace("<str:collection_id>", c.id) for c in collections()]
        for r in routes:
            if "<str:fmt>" in r:
                urls += ["/" + r.replace("<str:fmt>", fmt) for fmt in ("csv", "xlsx")]
            elif "<" not in r:
                urls += [f"/{r}?{param}={fmt}" for param in ("format", "export")
                         for fmt in ("csv", "xlsx")]
    return urls


def _cells(response) -> list[str]:
    mime = response["Content-Type"]
    if mime.startswith(CSV_MIME):
        text = response.content.decode("utf-8-sig")
        # register lists: the Polish spreadsheets' ';'; the OGC geo exports: ','
        delimiter = ";" if ";" in text.splitlines()[0] else ","
        return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                for cell in row]
    book = load_workbook(io.BytesIO(response.content))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a live formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def test_every_export_neutralises_formulas(town, make_user):
    user = make_user("exporter", town, tuple(r.value for r in Role))
    c = Client()
    c.force_login(user)
    exports: dict[str, set[str]] = {}
    for url in _candidate_urls(town):
        r = c.get(url, {"q": "1"} if "exports/parcels" in url else {})
        mime = r.get("Content-Type", "")
        if r.status_code != 200 or not mime.startswith((CSV_MIME, XLSX_MIME)):
            continue
        cells = _cells(r)
        raw = [v for v in cells
               if v.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(v)]
        assert raw == [], f"{url}: cells a spreadsheet reads as formulas: {raw[:5]}"
        exports[url] = {v for v in cells if v.startswith("'")}
    paths = {u.split("?")[0] for u in exports}
    # the exports this project has today are all found (a new one is found the same way)
    expected = {"/audit/", "/housing/", "/landscape/inspections/", "/leases/",
                "/leases/property/", "/leases/rents/", "/leases/offers/",
                f"/taxes/{town.id}/roll/", "/ogc/exports/parcels.csv",
                "/ogc/exports/parcels.xlsx", "/ogc/collections/parking-zones/export.xlsx",
                "/ogc/collections/landscape-areas/export.csv"}
    assert expected <= paths, sorted(expected - paths)
    assert any(re.fullmatch(r"/leases/\d+/", p) for p in paths), "the lease's rent schedule"

    def neutralised(url_part: str, planted: str) -> None:
        hits = [u for u in exports if u.split("?")[0] == url_part]
        assert hits, url_part
        for u in hits:
            assert "'" + planted in exports[u], (u, planted, sorted(exports[u])[:5])

    neutralised("/leases/", PLANTED["lessee"])
    neutralised("/leases/", PLANTED["lease_number"])
    neutralised(f"/taxes/{town.id}/roll/", PLANTED["taxpayer"])
    neutralised("/housing/", PLANTED["flat"])
    neutralised("/housing/", PLANTED["operator"])
    neutralised("/leases/offers/", PLANTED["offer"])
    neutralised("/audit/", PLANTED["audit"])
    for fmt in ("csv", "xlsx"):
        neutralised(f"/ogc/collections/parking-zones/export.{fmt}", PLANTED["zone"])
        neutralised(f"/ogc/collections/landscape-areas/export.{fmt}", PLANTED["area"])
