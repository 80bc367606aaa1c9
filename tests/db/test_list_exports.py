"""Every register list exports in every format it offers: 200 and a file that opens with its rows.

The town is the demo town with every register's demo data, plus a property record and a lease
whose fields hold the awkward values seen in production: a translated label ("jak w ewidencji"),
Decimals, dates, None, booleans, a formula-like and a long text (issue #18: the XLSX export of
``/leases/property/`` answered 500)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from gis_app.accounts.roles import Role
from layers.models import Municipality

pytestmark = pytest.mark.django_db

LONG_TEXT = "Gminna Spółka Komunalna " * 11  # 264 characters: near the field's 300
FORMULA = "=HYPERLINK(\"http://x\")"


@pytest.fixture
def town(settings, tmp_path, make_user):
    settings.GEOGMINA_VAR_DIR = tmp_path
    call_command("load_demo", "--parcels", "200", verbosity=0)  # with every register's demo
    jaslo = Municipality.objects.get(teryt="180501_1")
    from registers.leases.models import Lease, PropertyOverride

    lease = Lease.objects.filter(municipality=jaslo).order_by("pk").first()
    assert lease is not None, "the leases demo made no lease"
    Lease.objects.filter(pk=lease.pk).update(lessee_name=FORMULA + " " + LONG_TEXT)
    # a plot left "as in the cadastre" (status label 'jak w ewidencji') with every field empty
    assert PropertyOverride.objects.filter(municipality=jaslo).exists()
    # an inspection with every measure given (the landscape demo records none)
    from layers.models import Parcel
    from registers.landscape import rules, services

    point = Parcel.objects.filter(municipality=jaslo).order_by("pk").first().geom.point_on_surface
    point.srid = 2180
    inspector = make_user("inspector", jaslo, (Role.LANDSCAPE_INSPECTOR,))
    services.inspection_create(inspector, point, rules.ObjectSpec(
        type=rules.ObjectType.BOARD, area_m2=Decimal("12.50"), height_m=Decimal("3"), lit=True,
        moving_images=False, material=FORMULA, colour=LONG_TEXT), note=LONG_TEXT)
    # a paid parking session (the parking demo has tariffs, no operator sessions)
    from registers.parking import operators
    from registers.parking.models import ParkingSession, Tariff

    tariff = Tariff.objects.filter(zone__municipality=jaslo).select_related("zone").first()
    assert tariff is not None, "the parking demo made no tariff"
    operator, _token = operators.operator_create("moBILET", [jaslo])
    start = timezone.now() - dt.timedelta(hours=1)
    ParkingSession.objects.create(
        operator=operator, external_id="x-1", municipality=jaslo, zone=tariff.zone,
        tariff=tariff, plate="RJS1234", start_time=start, end_time=start + dt.timedelta(hours=1),
        amount=Decimal("3.60"), fee=Decimal("3.60"), start_digest="-")
    return jaslo


def _lists(town: Municipality) -> list[tuple[str, str, tuple[str, ...]]]:
    """(path, format parameter, formats) of every list that exports."""
    year = timezone.localdate().year
    return [
        ("/leases/", "export", ("csv", "xlsx")),
        ("/leases/property/", "export", ("csv", "xlsx")),
        (f"/leases/rents/?year={year}", "export", ("csv", "xlsx")),
        ("/leases/offers/", "export", ("csv", "xlsx")),
        ("/housing/", "export", ("csv", "xlsx")),
        ("/landscape/inspections/", "format", ("csv", "xlsx")),
        (f"/taxes/{town.pk}/roll/?year={year}", "format", ("csv", "xlsx")),
        (f"/payments/{town.pk}/debtors/", "format", ("csv", "xlsx")),
        ("/audit/", "format", ("csv", "xlsx")),
        ("/parking/revenue/", "format", ("csv", "xlsx")),
        (f"/taxes/{town.pk}/taxpayers/", "export", ("csv", "xlsx")),
        ("/landscape/devices/", "format", ("csv", "xlsx")),
        ("/parking/", "export", ("csv", "xlsx")),
        ("/leases/usufruct/", "export", ("csv", "xlsx")),
    ]


def _csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
                .iter_rows(values_only=True))


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_list_exports_in_every_format(client, town, make_user, language):
    user = make_user("all-roles", town, tuple(r.value for r in Role))
    client.force_login(user)
    for path, param, formats in _lists(town):
        rows_by_format = {}
        for fmt in formats:
            url = f"{path}{'&' if '?' in path else '?'}{param}={fmt}"
            with translation.override(language):
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (url, response.content[:300])
            assert response["Content-Disposition"].startswith("attachment"), url
            rows = _csv_rows(response.content) if fmt == "csv" else _xlsx_rows(response.content)
            assert rows and all(str(h or "").strip() for h in rows[0]), (url, rows[:1])
            assert len(rows) > 1, f"{url}: the demo town has rows, the export none"
            rows_by_format[fmt] = rows
        counts = [len(rows) for rows in rows_by_format.values()]
        # the audit log holds the first export's own event when the second is made
        grows = 1 if path.startswith("/audit/") else 0
        assert counts == [counts[0] + i * grows for i in range(len(counts))], (path, counts)


def test_property_xlsx_keeps_types_and_labels(client, town, make_user):
    """The reported 500: the status label, Decimal areas as numbers, booleans and empty cells."""
    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))
    with translation.override("pl"):
        response = client.get("/leases/property/?export=xlsx", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200, response.content[:300]
    _header, *rows = _xlsx_rows(response.content)
    area = [r[2] for r in rows]  # PROPERTY_COLUMNS: parcel id, municipality, legal area …
    assert all(isinstance(a, int | float) for a in area if a is not None), area[:5]
    assert any(v == "jak w ewidencji" for r in rows for v in r), rows[:3]
    lease = client.get("/leases/?export=xlsx")
    assert lease.status_code == 200
    cells = [v for r in _xlsx_rows(lease.content)[1:] for v in r]
    # the formula-like lessee stays text, neutralised; the long text is whole
    assert "'" + FORMULA + " " + LONG_TEXT in cells
    assert any(isinstance(v, dt.date | dt.datetime) for v in cells), "dates stay dates"


@pytest.mark.parametrize("value", [
    "jak w ewidencji", Decimal("1234.56"), dt.date(2026, 1, 2), None, True, False, 7, 2.5,
    LONG_TEXT, FORMULA, ["a", "b"], dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
    dt.timedelta(days=3), object(),
])
def test_write_table_takes_every_value(value):
    from layers.exports import write_table

    with translation.override("pl"):
        from registers.leases.models import PropertyOverride

        for v in (value, PropertyOverride.Status.CADASTRE.label):
            for fmt in ("csv", "xlsx"):
                data, _ = write_table([{"v": v}], [("v", "value")], fmt)
                rows = _csv_rows(data) if fmt == "csv" else _xlsx_rows(data)
                assert len(rows) == 2
                cell = rows[1][0] if rows[1] else None  # an empty XLSX row has no cells
                if fmt == "xlsx" and isinstance(v, bool | int | float | Decimal):
                    assert cell == (float(v) if isinstance(v, Decimal) else v)  # typed, not text
                elif fmt == "xlsx" and isinstance(v, dt.date):
                    assert isinstance(cell, dt.datetime)
                    assert cell.date() == (v.date() if isinstance(v, dt.datetime) else v)
                elif isinstance(v, str):
                    assert cell in (str(v), "'" + str(v))  # formulas neutralised, rest whole
