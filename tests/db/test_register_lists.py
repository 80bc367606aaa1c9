"""The register lists paged and sorted on the server (issue #18's remaining lists: tax, payments,
parking, usufruct, advertising boards), their filters kept by the pager and the sort links, an
unknown sort key ignored; the new exports (taxpayers, boards, parking tariffs, usufruct) write
every filtered row in the list's order, to the roles of the page only, audited like the page.

Cheap: three rows that the filter keeps ("Alfa", "Beta", "Gamma", created out of order) and one
it drops ("Omega") per list, with pages of two rows (``PAGE_SIZE`` patched) instead of fifty."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

import gis_app.listing
from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from tests.db.test_parking_register import zone

pytestmark = pytest.mark.django_db
MARKERS = ("Alfa", "Beta", "Gamma")  # in ascending order; created Beta, Gamma, Alfa
ORDER = ("Beta", "Gamma", "Alfa")
TODAY = dt.date.today()


def _taxpayers(town, other):
    from registers.taxes.models import Taxpayer

    for i, name in enumerate(ORDER):
        Taxpayer.objects.create(municipality=town, name=f"{name} Anna", tax_id=f"{i}",
                                address=f"ul. {name} 1")
    Taxpayer.objects.create(municipality=town, name="Omega Olga", tax_id="9")
    Taxpayer.objects.create(municipality=other, name="Delta Anna", tax_id="8")


def _cases(town, other):
    from registers.taxes.models import ReconciliationCase

    for i, name in enumerate(ORDER):
        ReconciliationCase.objects.create(municipality=town, fingerprint=f"c-{name}",
                                          kind="building_untaxed", building_id=name,
                                          estimated_loss=D(10 + i))
    ReconciliationCase.objects.create(municipality=town, fingerprint="c-Omega",
                                      kind="parcel_untaxed", building_id="Omega",
                                      estimated_loss=D(99))


def _usufruct(town, other):
    from registers.leases.models import Usufruct

    for i, name in enumerate([*ORDER, "Omega"]):
        Usufruct.objects.create(municipality=town, cadastral_id=f"180501_1.0001.{i + 1}",
                                holder_name=f"{name} {'Olga' if name == 'Omega' else 'Anna'}",
                                purpose="other", land_value=D(1000 * (i + 1)))


def _boards(town, other):
    from registers.landscape.models import AdvertisingDevice

    for i, name in enumerate([*ORDER, "Omega"]):
        AdvertisingDevice.objects.create(
            municipality=town, parcel_cadastral_id=f"180501_1.0001.{i + 1}",
            label=f"{name} {'baner' if name == 'Omega' else 'tablica'}", area_m2=D(2 + i),
            geom=Point(677_000, 211_000, srid=2180), mounting="free_standing",
            placed_from=dt.date(2025, 1, 1))


def _zones(town, other) -> dict:
    from registers.parking.models import Tariff

    zones = {name: zone(town, code=name, x=600_000 + 1000 * i) for i, name in enumerate(ORDER)}
    zone(other, code="Omega", x=700_000)
    Tariff.objects.create(zone=zones["Beta"], resolution_number="XX/1/2025",
                          resolution_date=dt.date(2025, 1, 1), valid_from=dt.date(2025, 2, 1),
                          first_hour=D("3"), second_hour=D("3.5"), third_hour=D("4"),
                          later_hours=D("3"), surcharge=D("100"))
    return zones


def _permits(town, other):
    from registers.parking.models import Permit

    zones = _zones(town, other)
    for name in ORDER:
        Permit.objects.create(municipality=town, zone=zones[name], kind="resident",
                              plate=f"{name.upper()}1", valid_from=TODAY,
                              valid_to=TODAY + dt.timedelta(days=30), price=D("22.50"))
    Permit.objects.create(municipality=town, zone=zones["Alfa"], kind="resident", plate="OMEGA1",
                          valid_from=TODAY - dt.timedelta(days=60),
                          valid_to=TODAY - dt.timedelta(days=30), price=D("22.50"))


def _payments(town, other):
    from registers.payments.models import Payment, Statement

    statement = Statement.objects.create(municipality=town, format="mt940", account="1" * 26,
                                         reference="S1", fingerprint="s1")
    for i, name in enumerate(ORDER):
        Payment.objects.create(municipality=town, statement=statement, fingerprint=f"p-{name}",
                               booked_on=TODAY, amount=D(5 + i), payer_name=f"{name} Anna",
                               title="podatek", matched_by="none", status="queued")


def _decisions(town, other):
    from registers.taxes.models import Decision, Taxpayer

    for i, name in enumerate([*ORDER, "Omega"]):
        payer = Taxpayer.objects.create(municipality=town, name=f"{name} Anna")
        Decision.objects.create(municipality=town, taxpayer=payer, year=TODAY.year,
                                tax_kind="property", number=f"{name}/{TODAY.year}",
                                amount=D(100 + i), status="issued" if name == "Omega" else "draft")


def _arrears(town, other):
    """A taxpayer per marker with an unpaid instalment of 2025 and its reminder, delivered long
    ago: the reminders, the largest debtors and the cases ripe for enforcement."""
    from registers.payments.models import Charge, Reminder
    from registers.taxes.models import Taxpayer
    from registers.taxes.signals import decision_issued

    for i, name in enumerate(ORDER):
        payer = Taxpayer.objects.create(municipality=town, name=f"{name} Anna")
        decision_issued.send(sender=None, decision=None, municipality_id=town.pk,
                             taxpayer_id=payer.pk, year=2025, tax_kind="property",
                             decision_number=f"PN.{i}.2025",
                             instalments=[(1, dt.date(2025, 3, 17), D(100 * (i + 1)))])
        charge = Charge.objects.get(taxpayer=payer)
        Reminder.objects.create(municipality=town, taxpayer=payer, charge=charge,
                                number=f"{name}/U", issued_on=dt.date(2025, 4, 1),
                                delivered_on=dt.date(2025, 4, 3), arrears=charge.amount,
                                interest=D(0), cost=D("16.80"))


def _notices(town, other):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from registers.parking.models import SurchargeNotice, Tariff

    zones = _zones(town, other)
    tariff = Tariff.objects.get(zone=zones["Beta"])
    controller = get_user_model().objects.create_user("controller")
    now = timezone.now()
    for i, name in enumerate([*ORDER, "Omega"]):
        SurchargeNotice.objects.create(
            number=f"{name}/N", municipality=town, zone=zones.get(name, zones["Alfa"]),
            tariff=tariff, issued_at=now - dt.timedelta(hours=i), controller=controller,
            geom=Point(600_100, 100, srid=2180), amount=D(100), due_date=TODAY + dt.timedelta(7),
            status="paid" if name == "Omega" else "issued")


DATA = {"notices": _notices, "decisions": _decisions, "reminders": _arrears,
        "debtors": _arrears, "enforcement": _arrears, "taxpayers": _taxpayers, "cases": _cases,
        "usufruct": _usufruct, "boards": _boards, "tariffs": _zones, "permits": _permits,
        "payments-queue": _payments}


@pytest.fixture
def world(make_municipality, make_user, monkeypatch):
    """Two towns and a user per role asked for (``world["user"](role)``); ``world["data"](name)``
    makes the rows of one list."""
    monkeypatch.setattr(gis_app.listing, "PAGE_SIZE", 2)
    town = make_municipality("180501_1", "Jasło")
    other = make_municipality("186101_1", "Krosno")
    users: dict = {}

    def user(role):
        if role not in users:
            users[role] = make_user(f"u-{role}", town, (role,))
        return users[role]

    return {"town": town, "other": other, "user": user,
            "data": lambda name: DATA[name](town, other)}


def _client(world, role: str | None) -> Client:
    c = Client(headers={"accept-language": "en"})
    if role:
        c.force_login(world["user"](role))
    return c


# (name, path with {town}, role, sort key, filter kept by the links, filter value)
LISTS = [
    ("taxpayers", "/taxes/{town}/taxpayers/", Role.TAX_OFFICER, "name", "q", "Anna"),
    ("decisions", "/taxes/{town}/decisions/", Role.TAX_OFFICER, "number", "status", "draft"),
    ("cases", "/taxes/{town}/reconciliation/", Role.TAX_OFFICER, "building_id", "kind",
     "building_untaxed"),
    ("usufruct", "/leases/usufruct/", Role.PROPERTY_OFFICER, "holder_name", "q", "Anna"),
    ("boards", "/landscape/devices/", Role.LANDSCAPE_INSPECTOR, "label", "q", "tablica"),
    ("tariffs", "/parking/", None, "zone", "municipality", "{town}"),
    ("notices", "/parking/notices/", Role.PARKING_MANAGER, "number", "show", "issued"),
    ("permits", "/parking/permits/", Role.PARKING_MANAGER, "plate", "show", "current"),
    ("payments-queue", "/payments/{town}/queue/", Role.TAX_OFFICER, "payer_name", None, None),
    ("reminders", "/payments/{town}/reminders/", Role.TAX_OFFICER, "number", None, None),
    ("debtors", "/payments/{town}/debtors/", Role.TAX_OFFICER, "name", "date",
     TODAY.isoformat()),
    ("enforcement", "/payments/{town}/enforcement/", Role.TAX_OFFICER, "name", "date",
     TODAY.isoformat()),
]


def _shown(html: str) -> list[str]:
    """The markers in the order the page shows them (the table's body only)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [m.capitalize() for m in re.findall(r"(Alfa|Beta|Gamma|Omega|ALFA|BETA|GAMMA|OMEGA)",
                                                body)]


def _dedupe(seq: list[str]) -> list[str]:
    return list(dict.fromkeys(seq))


@pytest.mark.parametrize(("name", "path", "role", "key", "param", "value"), LISTS,
                         ids=[x[0] for x in LISTS])
def test_list_pages_sorts_and_keeps_its_filter(world, name, path, role, key, param, value):
    world["data"](name)
    c = _client(world, role)
    town = world["town"].pk
    base = path.format(town=town)
    flt = f"{param}={value.format(town=town)}&" if param else ""
    first = c.get(f"{base}?{flt}sort={key}")
    assert first.status_code == 200, (name, first.content[:300])
    html = first.content.decode()
    assert _dedupe(_shown(html)) == list(MARKERS[:2]), (name, _shown(html))
    assert "3 rows" in html and "page 1 of 2" in html, name
    # the pager's and the headers' links keep the filter (and the pager the order)
    nxt = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "page=2" in nxt and f"sort={key}" in nxt and (not param or flt[:-1] in nxt), nxt
    # the current column's header (or sort link, for a list of cards) turns the order round
    header = (re.search(r'aria-sort="ascending"[^>]*><a href="\?([^"]*)"', html)
              or re.search(r'<a href="\?([^"]*)" aria-current="true">[^<]* ▲</a>', html))
    assert header and f"sort=-{key}" in header.group(1).replace("&amp;", "&"), name
    assert not param or flt[:-1] in header.group(1).replace("&amp;", "&"), name
    second = c.get(f"{base}?{nxt}").content.decode()
    assert _dedupe(_shown(second)) == ["Gamma"], (name, _shown(second))
    descending = c.get(f"{base}?{flt}sort=-{key}").content.decode()
    assert _dedupe(_shown(descending)) == ["Gamma", "Beta"], (name, _shown(descending))
    assert 'aria-sort="descending"' in descending or " ▼</a>" in descending, name
    # an unknown or hostile sort key is ignored: the list in its default order, not a 500
    for bad in ("__class__", "-password", "municipality__users", "-", ""):
        r = c.get(f"{base}?{flt}sort={bad}")
        assert r.status_code == 200, (name, bad)
        assert "3 rows" in r.content.decode(), (name, bad)


def _csv(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _xlsx(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
                .iter_rows(values_only=True))


# (name, list path with its filter, format parameter, sort key, role allowed, a role refused,
#  audit object type)
EXPORTS = [
    ("taxpayers", "/taxes/{town}/taxpayers/?q=Anna", "export", "name", Role.TAX_OFFICER,
     Role.PROPERTY_OFFICER, "taxes.taxpayer"),
    ("boards", "/landscape/devices/?q=tablica", "format", "label", Role.LANDSCAPE_INSPECTOR,
     None, "landscape.advertising_device"),
    ("tariffs", "/parking/?municipality={town}", "export", "zone", None, None,
     "parking.tariff"),
    ("usufruct", "/leases/usufruct/?q=Anna", "export", "holder_name", Role.PROPERTY_OFFICER,
     Role.PARKING_CONTROLLER, "usufruct"),
]


@pytest.mark.parametrize(("name", "path", "param", "key", "role", "refused", "audited"),
                         EXPORTS, ids=[x[0] for x in EXPORTS])
def test_export_writes_every_filtered_row_in_order(world, name, path, param, key, role,
                                                    refused, audited):
    world["data"](name)
    town = world["town"].pk
    url = path.format(town=town) + f"&sort=-{key}&page=2&{param}="
    c = _client(world, role)
    before = AuditEvent.objects.count()
    csv_resp = c.get(url + "csv")
    assert csv_resp.status_code == 200, (name, csv_resp.content[:300])
    assert csv_resp["Content-Disposition"].startswith("attachment")
    header, *rows = _csv(csv_resp.content)
    markers = [_dedupe(_shown("<tbody>" + ";".join(r) + "</tbody>")) for r in rows]
    if name == "tariffs":  # one row per zone, Beta with its tariff
        assert [m for (m,) in markers] == ["Gamma", "Beta", "Alfa"], markers
        assert "XX/1/2025" in ";".join(rows[1]) and "3,50" in rows[1], rows[1]
    else:
        assert [m for (m,) in markers] == ["Gamma", "Beta", "Alfa"], (name, markers)
    xlsx = _xlsx(c.get(url + "xlsx").content)
    assert len(xlsx) == 4 and tuple(header) == tuple(str(h) for h in xlsx[0]), name
    assert any(isinstance(v, int | float) for r in xlsx[1:] for v in r), "numbers typed"
    if role:  # a protected list's export is audited, once per format
        events = AuditEvent.objects.filter(pk__gt=0, object_type=audited).order_by("-pk")[:2]
        assert AuditEvent.objects.count() >= before + 2
        assert all("export" in e.detail and e.municipality_id == town for e in events), name
    # refused: no login → the login page; a role without the list's capability → 403
    anonymous = _client(world, None).get(url + "csv")
    assert anonymous.status_code == (200 if role is None else 302), name
    if refused:
        assert _client(world, refused).get(url + "csv").status_code == 403, name
    assert c.get(url + "pdf").status_code == 400, "an unknown format is refused by name"


def test_taxpayer_export_is_a_tax_read_of_the_town_only(world):
    """Tax secrecy: the export is audited as a read of owner data, and another town's tax
    officer gets nothing of this town."""
    world["data"]("taxpayers")
    c = _client(world, Role.TAX_OFFICER)
    town = world["town"].pk
    rows = _csv(c.get(f"/taxes/{town}/taxpayers/?export=csv").content)
    assert not any("Delta" in ";".join(r) for r in rows), "another town's taxpayer"
    event = AuditEvent.objects.filter(object_type="taxes.taxpayer").order_by("-pk").first()
    assert event.action == "read_owners" and "csv" in event.detail
    from gis_app.accounts.access import grant

    outsider = world["user"](Role.PLANNER)
    grant(outsider, world["other"], (Role.TAX_OFFICER,))
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(f"/taxes/{town}/taxpayers/?export=csv").status_code == 403
