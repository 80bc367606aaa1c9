"""Two officers saving overlapping leases at the same moment: the per-municipality lock makes
the second check see the first lease, so exactly one is stored."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from gis_app.accounts.roles import Role
from registers.leases import services
from registers.leases.models import Lease
from tests.concurrency import at_once
from tests.conftest import square

# serialized_rollback: keep rows seeded by migrations for the tests that run after this one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

X, Y = 677_000.0, 211_000.0


def test_simultaneous_overlapping_saves_store_only_one(make_parcel, make_user, settings):
    plot = make_parcel("1", X, Y, size=40)
    town = plot.municipality
    officers = [make_user(f"o{i}", town, (Role.PROPERTY_OFFICER,)) for i in range(2)]

    def save(i: int) -> str:
        try:  # a short lease: no notice needed, straight to active
            services.lease_create(officers[i], dict(
                municipality_id=town.id, number=f"C/{i}", lessee_name=f"L{i}",
                cadastral_ids=[plot.cadastral_id], start_date=date(2025, 1, 1),
                end_date=date(2025, 3, 31), status="active"), square(X + i, Y + i, 20))
            return "saved"
        except ValidationError as exc:
            return "refused: " + exc.messages[0]

    results = at_once([lambda i=i: save(i) for i in range(2)])
    assert sorted(r.split(":")[0] for r in results) == ["refused", "saved"]
    assert Lease.objects.count() == 1


def _form_as_browser_sends_it(resp) -> dict[str, object]:
    """The POST a browser would send from the edit page it was served (hidden version too)."""
    data: dict[str, object] = {}
    for bf in resp.context["form"]:
        value = bf.value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value) if bf.name == "cadastral_ids" else value
        data[bf.name] = value if isinstance(value, (list, str)) else str(value)
    return data


def test_two_officers_save_the_same_lease_at_once_one_gets_409(make_parcel, make_user,
                                                               settings):
    """Two real requests: both officers open the edit form (same version), both press save at
    the same moment. Exactly one save is stored; the other gets 409 and its change is not
    silently written over the first."""
    from decimal import Decimal

    from django.test import Client
    from django.utils import translation

    plot = make_parcel("1", X, Y, size=40)
    town = plot.municipality
    officers = [make_user(f"e{i}", town, (Role.PROPERTY_OFFICER,)) for i in range(2)]
    lease = services.lease_create(officers[0], dict(
        municipality_id=town.id, number="GN.1/2025", lessee_name="Ogródki",
        cadastral_ids=[plot.cadastral_id], rent_amount=Decimal("500"),
        start_date=date(2025, 1, 1), end_date=date(2026, 12, 31), status="proposed"),
        square(X + 5, Y + 5, 10))
    clients = []
    forms = []
    for officer in officers:
        c = Client(headers={"accept-language": "en"})
        c.force_login(officer)
        with translation.override("en"):
            page = c.get(f"/leases/{lease.pk}/edit/")
        assert page.status_code == 200
        clients.append(c)
        forms.append(_form_as_browser_sends_it(page))
    assert forms[0]["version"] == forms[1]["version"] == "1"


    def save(i: int) -> tuple[int, str]:
        data = dict(forms[i], rent_amount=f"{600 + 100 * i}.00")
        with translation.override("en"):
            resp = clients[i].post(f"/leases/{lease.pk}/edit/", data)
        return resp.status_code, resp.content.decode()

    responses = at_once([lambda i=i: save(i) for i in range(2)])
    statuses = [status for status, _body in responses]
    bodies = [body for _status, body in responses]
    assert sorted(statuses) == [302, 409], (statuses, [
        b[:2000] for s, b in responses if s != 302])
    winner = statuses.index(302)
    loser = 1 - winner
    assert "Someone else saved" in bodies[loser]
    lease.refresh_from_db()
    assert lease.version == 2
    assert lease.rent_amount == Decimal(f"{600 + 100 * winner}")
