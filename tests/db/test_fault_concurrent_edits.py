"""Two officers editing one record at once cannot overwrite each other silently: every edited
record carries a version (registers.common.editing.Versioned) that its edit form sends back —
parking tariffs, boards, the rules of an area, municipal property records, investment offers,
advertising fee rates and reconciliation cases. Both officers load the form,
both save: the second save is a 409 (in the officer's language), nothing of it is written or
audited, and the first officer's values stay. (Leases and flats:
tests/db/test_lease_concurrency.py, tests/db/test_housing.py.)"""

from __future__ import annotations

import threading
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from gis_app.accounts.roles import Role
from layers.models import ParkingZone
from registers.parking import demo
from registers.parking.models import Tariff
from tests.concurrency import at_once
from tests.conftest import square

X, Y = 677_000, 211_000


class _FormFields(HTMLParser):
    """What a browser submits from the page's first POST form (text, hidden, selected, checked)."""

    def __init__(self, action: str | None = None) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False
        self._action = action  # only the form posting there (a list has one form per row)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and (
                self._action is None or a.get("action") == self._action):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def served_form(client: Client, url: str, action: str | None = None) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields(action)
    parser.feed(page.content.decode())
    return parser.data


@pytest.fixture
def tariff_and_planners(make_municipality, make_user, settings):
    town = make_municipality("146301_1", "Radom")
    ParkingZone.objects.create(
        municipality=town, code="A", name="Strefa A", kind=ParkingZone.Kind.ORDINARY,
        geom=square(X, Y, 500), source_namespace="test", local_id="146301_1-A")
    (tariff,) = demo.load_demo(town)
    clients = []
    for i in range(2):
        c = Client(headers={"accept-language": "en"})
        c.force_login(make_user(f"p{i}", town, (Role.PLANNER,)))
        clients.append(c)
    return tariff, clients


@pytest.mark.django_db
def test_second_save_of_a_tariff_opened_before_the_first_is_a_409(tariff_and_planners):
    tariff, (a, b) = tariff_and_planners
    url = f"/parking/tariffs/{tariff.pk}/edit/"
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert form_a["version"] and form_a["version"] == form_b["version"]
        assert a.post(url, dict(form_a, minimum_charge="0.50")).status_code == 302
        resp = b.post(url, dict(form_b, minimum_charge="0.70"))
    assert resp.status_code == 409, resp.content.decode()[:2000]
    assert "Someone else saved this tariff" in resp.content.decode()
    tariff.refresh_from_db()
    assert tariff.minimum_charge == Decimal("0.50")
    # Reloading shows the new state and lets the second planner save.
    with translation.override("en"):
        fresh = served_form(b, url)
        assert b.post(url, dict(fresh, minimum_charge="0.70")).status_code == 302
    tariff.refresh_from_db()
    assert tariff.minimum_charge == Decimal("0.70")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_planners_save_one_tariff_at_the_same_moment(tariff_and_planners):
    tariff, clients = tariff_and_planners
    url = f"/parking/tariffs/{tariff.pk}/edit/"
    with translation.override("en"):
        forms = [served_form(c, url) for c in clients]

    def save(i: int) -> int:
        with translation.override("en"):
            return clients[i].post(url, dict(forms[i], minimum_charge=f"0.{5 + i}0")).status_code

    statuses = at_once([lambda i=i: save(i) for i in range(2)])
    assert sorted(statuses) == [302, 409], statuses
    winner = statuses.index(302)
    tariff.refresh_from_db()
    assert tariff.minimum_charge == Decimal(f"0.{5 + winner}0")
    assert Tariff.objects.count() == 1


@pytest.fixture
def landscape(make_municipality, make_user, settings):
    from layers.models import LandscapeArea
    from registers.landscape import demo as landscape_demo

    town = make_municipality("146301_1", "Radom")
    for code, x in (("A", X), ("B", X + 400)):
        LandscapeArea.objects.create(
            municipality=town, kind=LandscapeArea.Kind.RESOLUTION_ZONE, code=code,
            name=f"Strefa {code}", geom=square(x, Y, 400), source_namespace="test",
            local_id=f"{town.teryt}-{code}")
    landscape_demo.load_demo(town)
    clients = []
    for i in range(2):
        c = Client(headers={"accept-language": "en"})
        c.force_login(make_user(f"l{i}", town, (Role.PLANNER,)))
        clients.append(c)
    return town, clients


@pytest.mark.django_db
def test_advertising_board_second_stale_save_is_a_409(landscape):
    from registers.landscape.models import AdvertisingDevice

    town, (a, b) = landscape
    board = AdvertisingDevice.objects.filter(municipality=town).order_by("id").first()
    url = f"/landscape/devices/{board.pk}/edit/"
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert form_a["version"] and form_a["x"]
        assert a.post(url, dict(form_a, label="first")).status_code == 302
        resp = b.post(url, dict(form_b, label="second"))
    assert resp.status_code == 409 and "Someone else saved this" in resp.content.decode()
    board.refresh_from_db()
    assert board.label == "first"


@pytest.mark.django_db
def test_area_rules_second_stale_save_is_a_409(landscape):
    from layers.models import LandscapeArea

    town, (a, b) = landscape
    area = LandscapeArea.objects.get(municipality=town, code="A")
    url = f"/landscape/areas/{area.pk}/rules/"
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert "version" in form_a and int(form_a["rules-INITIAL_FORMS"]) > 0
        kind = next(k for k in form_a if k.endswith("-kind") and form_a[k] == "max_area_m2")
        value = kind.replace("-kind", "-value")
        assert a.post(url, dict(form_a, **{value: "7"})).status_code == 302
        resp = b.post(url, dict(form_b, **{value: "9"}))
    assert resp.status_code == 409 and "Someone else saved this" in resp.content.decode()
    rule_id = int(form_a[value.replace("-value", "-id")])
    assert area.rules.get(id=rule_id).value == "7"


# --- registers with a version column -----------------------------------------------------------


def _in_polish(client: Client, url: str, data: dict[str, str]):
    """The losing officer works in Polish, the UI's language: the 409 must say it in Polish."""
    with translation.override("pl"):
        return client.post(url, data, headers={"accept-language": "pl"})


def _audited(object_type: str, pk: int) -> list[tuple[str, dict | None, dict | None]]:
    from gis_app.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(pk))
                .order_by("pk").values_list("action", "before", "after"))


def _two(make_user, town, role: str) -> list[Client]:
    clients = []
    for i in range(2):
        c = Client(headers={"accept-language": "en"})
        c.force_login(make_user(f"{role}{i}", town, (role,)))
        clients.append(c)
    return clients


@pytest.fixture
def property_officers(make_parcel, make_user):
    plot = make_parcel("1", X, Y, size=40)
    return plot, _two(make_user, plot.municipality, Role.PROPERTY_OFFICER)


@pytest.mark.django_db
def test_property_record_second_stale_save_is_a_409(property_officers):
    from registers.leases import services
    from registers.leases.models import PropertyOverride

    plot, (a, b) = property_officers
    record = services.property_override_save(None, plot.municipality_id, plot.cadastral_id,
                                             expected_version=None, manager="ZGM")
    url = f"/leases/property/{plot.pk}/edit/"
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert form_a["version"] == form_b["version"] == "1"
        assert a.post(url, dict(form_a, manager="first")).status_code == 302
    audited = _audited("property_override", record.pk)
    assert audited[-1] == ("update", {"manager": "ZGM", "version": 1} | {
        k: v for k, v in audited[-1][1].items() if k not in ("manager", "version")},
        audited[-1][2])
    assert audited[-1][2]["manager"] == "first" and audited[-1][2]["version"] == 2
    resp = _in_polish(b, url, dict(form_b, manager="second"))
    assert resp.status_code == 409, resp.content.decode()[:2000]
    assert "Ktoś inny zapisał ten rekord mienia komunalnego" in resp.content.decode()
    record.refresh_from_db()
    assert record.manager == "first" and record.version == 2
    assert _audited("property_override", record.pk) == audited  # the refusal changed nothing
    # Reloading shows the new state and lets the second officer save (the version moves on).
    with translation.override("en"):
        fresh = served_form(b, url)
        assert fresh["manager"] == "first" and fresh["version"] == "2"
        assert b.post(url, dict(fresh, manager="second")).status_code == 302
    record.refresh_from_db()
    assert record.manager == "second" and record.version == 3
    assert PropertyOverride.objects.count() == 1


@pytest.mark.django_db
def test_property_record_created_by_a_colleague_meanwhile_is_a_409(property_officers):
    """No record when both opened the plot: the second save would replace the first officer's
    fresh correction, so it is refused just the same."""
    from registers.leases.models import PropertyOverride

    plot, (a, b) = property_officers
    url = f"/leases/property/{plot.pk}/edit/"
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert form_a["version"] == form_b["version"] == ""
        assert a.post(url, dict(form_a, status="exclude", manager="first")).status_code == 302
    resp = _in_polish(b, url, dict(form_b, status="include", manager="second"))
    assert resp.status_code == 409
    record = PropertyOverride.objects.get()
    assert (record.status, record.manager, record.version) == ("exclude", "first", 1)
    assert [e[0] for e in _audited("property_override", record.pk)] == ["create"]


@pytest.mark.django_db
def test_investment_offer_second_stale_save_is_a_409(property_officers):
    from registers.leases import services

    plot, (a, b) = property_officers
    offer = services.offer_save(None, dict(
        municipality_id=plot.municipality_id, title="Teren pod usługi", mode="sale",
        cadastral_ids=[plot.cadastral_id], published=True, price=Decimal("100000")))
    assert offer.version == 1
    url = f"/leases/offers/{offer.pk}/edit/"
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert form_a["version"] == "1" and form_a["cadastral_ids"] == plot.cadastral_id
        assert a.post(url, dict(form_a, price="120000.00")).status_code == 302
    audited = _audited("investment_offer", offer.pk)
    assert audited[-1][0] == "update" and audited[-1][1]["version"] == 1
    assert audited[-1][2]["price"] == "120000.00" and audited[-1][2]["version"] == 2
    resp = _in_polish(b, url, dict(form_b, price="90000.00", published=""))
    assert resp.status_code == 409, resp.content.decode()[:2000]
    assert "Ktoś inny zapisał tę ofertę inwestycyjną" in resp.content.decode()
    offer.refresh_from_db()
    assert (offer.price, offer.published, offer.version) == (Decimal("120000"), True, 2)
    assert _audited("investment_offer", offer.pk) == audited
    with translation.override("en"):
        fresh = served_form(b, url)
        assert b.post(url, dict(fresh, price="90000.00")).status_code == 302
    offer.refresh_from_db()
    assert offer.price == Decimal("90000") and offer.version == 3


@pytest.mark.django_db
def test_fee_rates_second_stale_save_is_a_409(landscape):
    from registers.landscape.models import AdvertisingFeeRate

    town, (a, b) = landscape
    rate = AdvertisingFeeRate.objects.get(municipality=town, year=2026)
    url = f"/landscape/fee-rates/?municipality={town.pk}&year=2026"  # its Edit link
    with translation.override("en"):
        form_a, form_b = served_form(a, url), served_form(b, url)
        assert form_a["version"] == form_b["version"] == str(rate.version) == "1"
        assert a.post(url, dict(form_a, fixed="3.00")).status_code == 302
    audited = _audited("landscape.advertising_fee_rate", rate.pk)
    assert audited[-1][0] == "update" and audited[-1][1]["fixed"] == "3.89"
    assert audited[-1][2]["fixed"] == "3.00" and audited[-1][2]["version"] == 2
    resp = _in_polish(b, url, dict(form_b, fixed="2.50"))
    assert resp.status_code == 409, resp.content.decode()[:2000]
    assert "Ktoś inny zapisał te dane po otwarciu przez Ciebie formularza" in resp.content.decode()
    rate.refresh_from_db()
    assert (rate.fixed, rate.version) == (Decimal("3.00"), 2)
    assert _audited("landscape.advertising_fee_rate", rate.pk) == audited
    # the blank form naming that year does not replace the rates either
    with translation.override("en"):
        blank = dict(served_form(b, "/landscape/fee-rates/"), municipality=str(town.pk),
                     year="2026", fixed="1.00", variable="0.10")
        assert blank["version"] == ""
        resp = b.post("/landscape/fee-rates/", blank)
    assert resp.status_code == 409 and "Edit in the table" in resp.content.decode()
    rate.refresh_from_db()
    assert rate.fixed == Decimal("3.00") and AdvertisingFeeRate.objects.filter(
        municipality=town, year=2026).count() == 1
    with translation.override("en"):
        fresh = served_form(b, url)
        assert fresh["fixed"] == "3.00" and fresh["version"] == "2"
        assert b.post(url, dict(fresh, fixed="2.50")).status_code == 302
    rate.refresh_from_db()
    assert (rate.fixed, rate.version) == (Decimal("2.50"), 3)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_planners_set_the_same_new_year_at_the_same_moment(landscape):
    """Both open the blank form for a year without rates and save at once: no row to lock, so
    the unique (town, year) decides; the loser gets a 409, not a server error."""
    from registers.landscape.models import AdvertisingFeeRate

    town, clients = landscape
    AdvertisingFeeRate.objects.filter(municipality=town, year=2026).delete()
    with translation.override("en"):
        forms = [dict(served_form(c, "/landscape/fee-rates/"), municipality=str(town.pk),
                      year="2026", variable="0.30") for c in clients]

    def save(i: int) -> int:
        with translation.override("en"):
            return clients[i].post("/landscape/fee-rates/",
                                   dict(forms[i], fixed=f"3.{i}0")).status_code

    statuses = at_once([lambda i=i: save(i) for i in range(2)])
    assert sorted(statuses) == [302, 409], statuses
    winner = statuses.index(302)
    rate = AdvertisingFeeRate.objects.get(municipality=town, year=2026)
    assert (rate.fixed, rate.version) == (Decimal(f"3.{winner}0"), 1)
    assert [e[0] for e in _audited("landscape.advertising_fee_rate", rate.pk)] == ["create"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_new_year_inserted_while_a_colleagues_insert_is_uncommitted_is_a_conflict(landscape):
    """The race above made deterministic: the colleague's row is not yet visible when the
    service looks, so only the unique index can tell; it must end as a stale edit."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from registers.landscape import services
    from registers.landscape.models import AdvertisingFeeRate

    town, _ = landscape
    AdvertisingFeeRate.objects.filter(municipality=town, year=2026).delete()
    inserted, release = threading.Event(), threading.Event()

    def colleague() -> None:
        try:
            with transaction.atomic():
                AdvertisingFeeRate.objects.create(municipality=town, year=2026,
                                                  fixed=Decimal("3.10"), variable=Decimal("0.3"))
                inserted.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=colleague)
    thread.start()
    assert inserted.wait(timeout=10)
    threading.Timer(0.5, release.set).start()  # commits while our INSERT waits on the index
    mine = AdvertisingFeeRate(municipality=town, year=2026, fixed=Decimal("3.20"),
                              variable=Decimal("0.3"))
    with translation.override("en"), pytest.raises(services.StaleEditError) as refused:
        services.fee_rate_save(get_user_model().objects.get(username="l0"), mine,
                               expected_version=None)
    thread.join(timeout=10)
    assert "already recorded" in str(refused.value)
    rate = AdvertisingFeeRate.objects.get(municipality=town, year=2026)
    assert rate.fixed == Decimal("3.10") and _audited("landscape.advertising_fee_rate",
                                                      rate.pk) == []


@pytest.mark.django_db
def test_reconciliation_case_second_stale_status_change_is_a_409(make_municipality, make_user):
    from registers.taxes.models import ReconciliationCase

    town = make_municipality()
    case = ReconciliationCase.objects.create(
        municipality=town, fingerprint="parcel_untaxed:180501_1.0001.7", kind="parcel_untaxed",
        cadastral_id="180501_1.0001.7", estimated_loss=Decimal("412.50"))
    a, b = _two(make_user, town, Role.TAX_OFFICER)
    page, action = f"/taxes/{town.pk}/reconciliation/", f"/taxes/case/{case.pk}/status/"
    with translation.override("en"):
        form_a, form_b = served_form(a, page, action), served_form(b, page, action)
        assert form_a["version"] == form_b["version"] == "1" and form_a["status"] == "new"
        assert a.post(action, dict(form_a, status="in_review", note="wezwanie")).status_code == 302
    audited = _audited("taxes.reconciliationcase", case.pk)
    assert audited[-1] == ("update", {"status": "new", "note": "", "version": 1},
                           {"status": "in_review", "note": "wezwanie", "version": 2})
    resp = _in_polish(b, action, dict(form_b, status="explained", note="droga"))
    assert resp.status_code == 409, resp.content.decode()[:2000]
    assert "Ktoś inny zmienił status tej sprawy" in resp.content.decode()
    case.refresh_from_db()
    assert (case.status, case.status_note, case.version) == ("in_review", "wezwanie", 2)
    assert case.status_changed_by.username == "tax_officer0"
    assert _audited("taxes.reconciliationcase", case.pk) == audited
    # a reconciliation run refreshes the case but does not make the list stale
    from registers.taxes.services import reconcile

    reconcile(town.pk)
    with translation.override("en"):
        fresh = served_form(b, page + "?all=1", action)
        assert fresh["status"] == "in_review" and fresh["version"] == "2"
        assert b.post(action, dict(fresh, status="explained", note="droga")).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.version) == ("explained", 3)
