"""Register lists page and sort on the server, and export exactly the filtered rows (issue #18:
``/leases/property/`` rendered 1,171 rows in one page)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from gis_app.accounts.roles import Role
from gis_app.listing import PAGE_SIZE
from layers.models import RegistrationUnit

pytestmark = pytest.mark.django_db

PLOTS = PAGE_SIZE + 13


@pytest.fixture
def officer(make_municipality, make_parcel, make_user):
    town = make_municipality()
    unit = RegistrationUnit.objects.create(municipality=town, unit_id="G.4", kind="G", group=4,
                                           source_namespace="test", local_id="ru-g4")
    for i in range(1, PLOTS + 1):
        make_parcel(str(i), 677_000 + 30 * i, 211_000, size=10 + i, municipality=town,
                    registration_unit=unit)
    user = make_user("officer", town, (Role.PROPERTY_OFFICER,))
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _plot_numbers(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"180501_1\.0001\.(\d+)</a>", body)


def _csv(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_property_list_pages_sorts_and_exports_the_filtered_rows(officer):
    first = officer.get("/leases/property/")
    assert first.status_code == 200
    html = first.content.decode()
    shown = _plot_numbers(html)
    assert len(shown) == PAGE_SIZE, "one page, not every plot"
    assert f"{PLOTS} rows" in html and "page 1 of 2" in html
    second = _plot_numbers(officer.get("/leases/property/?page=2").content.decode())
    assert len(second) == PLOTS - PAGE_SIZE and not set(second) & set(shown)

    # sorted by area, largest first: plot N is the largest (size 10 + N)
    by_area = officer.get("/leases/property/?sort=-legal_area_m2").content.decode()
    assert _plot_numbers(by_area)[:3] == [str(PLOTS), str(PLOTS - 1), str(PLOTS - 2)]
    assert 'aria-sort="descending"' in by_area
    # an unknown sort key is ignored (not a 500, not a sort by anything the view did not offer)
    assert officer.get("/leases/property/?sort=__class__").status_code == 200

    # the filter keeps plots whose number starts with 1 (the id contains ".1"): the export has
    # exactly those, from every page, whatever page the list showed
    filtered = [str(i) for i in range(1, PLOTS + 1) if str(i).startswith("1")]
    exported = officer.get("/leases/property/?q=.1&sort=-legal_area_m2&page=2&export=csv")
    assert exported.status_code == 200
    _header, *rows = _csv(exported.content)
    numbers = [r[0].rsplit(".", 1)[1] for r in rows]
    assert sorted(numbers, key=int) == filtered
    assert numbers == sorted(numbers, key=int, reverse=True), "the export keeps the list's order"


def test_lease_list_export_links_keep_filters_and_order(officer):
    html = officer.get("/leases/?status=active&sort=-end_date").content.decode()
    links = re.findall(r'class="export" href="\?([^"]+)"', html)
    assert links and all("status=active" in q and "sort=-end_date" in q for q in links), links
    assert all("page=" not in q for q in links)
