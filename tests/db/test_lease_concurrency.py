"""Two officers saving overlapping leases at the same moment: the per-municipality lock makes
the second check see the first lease, so exactly one is stored."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gis_app.accounts.roles import Role
from registers.leases import services
from registers.leases.models import Lease
from tests.conftest import square

# serialized_rollback: keep rows seeded by migrations for the tests that run after this one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

X, Y = 677_000.0, 211_000.0


def test_simultaneous_overlapping_saves_store_only_one(make_parcel, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    plot = make_parcel("1", X, Y, size=40)
    town = plot.municipality
    officers = [make_user(f"o{i}", town, (Role.PROPERTY_OFFICER,)) for i in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def save(i: int) -> None:
        try:
            barrier.wait(timeout=10)  # a short lease: no notice needed, straight to active
            services.lease_create(officers[i], dict(
                municipality_id=town.id, number=f"C/{i}", lessee_name=f"L{i}",
                cadastral_ids=[plot.cadastral_id], start_date=date(2025, 1, 1),
                end_date=date(2025, 3, 31), status="active"), square(X + i, Y + i, 20))
            results.append("saved")
        except ValidationError as exc:
            results.append("refused: " + exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.split(":")[0] for r in results) == ["refused", "saved"]
    assert Lease.objects.count() == 1
