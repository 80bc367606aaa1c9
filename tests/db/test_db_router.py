"""The primary/replica router (issue #20) against a real second connection.

The ``replica`` alias here is a second connection to the test database that PostgreSQL itself
keeps read-only (``default_transaction_read_only``), as a hot standby is: a write sent to it
fails for real. Streaming replication proper is proven by ``make test-cluster``
(tests/cluster/test_cluster.py) against a replica made with pg_basebackup.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gis_app import db_router
from gis_app.audit.models import AuditEvent
from tests.db import test_map_data
from tests.db.test_map_data import X0, Y0
from tests.mvt import tile_of

# The alias is a mirror of the test database (TEST MIRROR: not flushed, not created).
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
town = test_map_data.town


def _replica_settings(**overrides: object) -> dict:
    primary = connections["default"].settings_dict
    replica = {**primary, "OPTIONS": {**primary.get("OPTIONS", {}), "connect_timeout": 2,
                                      "options": "-c default_transaction_read_only=on"},
               "TEST": {**primary.get("TEST", {}), "MIRROR": "default"}}
    replica.update(overrides)
    return replica


def _install(replica: dict) -> None:
    if db_router.REPLICA_ALIAS in connections.settings:
        connections[db_router.REPLICA_ALIAS].close()
        with contextlib.suppress(AttributeError):
            del connections[db_router.REPLICA_ALIAS]
    connections.settings[db_router.REPLICA_ALIAS] = replica
    db_router.reset_health_cache()


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker):
    """Module scope: the alias exists before pytest-django checks the test's databases (the
    test database is set up by then, so the copy names it)."""
    with django_db_blocker.unblock():
        _install(_replica_settings())
    yield
    connections[db_router.REPLICA_ALIAS].close()
    with contextlib.suppress(AttributeError):
        del connections[db_router.REPLICA_ALIAS]
    del connections.settings[db_router.REPLICA_ALIAS]
    db_router.reset_health_cache()


@pytest.fixture
def replica(settings):
    settings.GEOGMINA_DB_ROUTE_HEADER = True
    settings.GEOGMINA_REPLICA_PIN_SECONDS = 5
    settings.GEOGMINA_REPLICA_MAX_LAG_SECONDS = 10
    settings.GEOGMINA_REPLICA_HEALTH_CACHE_SECONDS = 1.0
    _install(_replica_settings())
    yield connections[db_router.REPLICA_ALIAS]
    connections[db_router.REPLICA_ALIAS].close()


def _tile_url() -> str:
    z, x, y = tile_of(X0 + 20, Y0 + 20, 16)
    return f"/tiles/parcels/{z}/{x}/{y}.pbf"


def test_the_replica_alias_refuses_writes_like_a_standby(replica):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError, match="read-only transaction"), replica.cursor() as cur:
        cur.execute("CREATE TEMP TABLE t (i int); INSERT INTO t VALUES (1)")
    replica.close()


def test_read_only_urls_read_from_the_replica_and_the_rest_from_the_primary(town, replica):
    client = Client()
    with CaptureQueriesContext(replica) as on_replica:
        tile = client.get(_tile_url())
        search = client.get("/api/search", {"q": "101/7"})
    assert tile.status_code == 200 and tile["X-Geogmina-Read-DB"] == "replica"
    assert search.status_code == 200 and search["X-Geogmina-Read-DB"] == "replica"
    assert b"101/7" in search.content
    assert any("tiles_parcels" in q["sql"] for q in on_replica.captured_queries)
    with CaptureQueriesContext(replica) as on_replica:
        page = client.get("/")  # the map page is not on the read-only list
    assert page["X-Geogmina-Read-DB"] == "default"
    assert not [q for q in on_replica.captured_queries if "pg_is_in_recovery" not in q["sql"]]


def test_an_audited_read_on_the_replica_writes_its_audit_to_the_primary(town, replica):
    client = Client()
    client.force_login(town.officer)
    client.cookies.pop(db_router.PIN_COOKIE, None)
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(replica) as on_replica:
        resp = client.get(f"/api/parcels/{town.plot.id}")
    assert resp.status_code == 200, resp.content[:300]
    assert resp["X-Geogmina-Read-DB"] == "replica"
    assert "Kowalski" in resp.content.decode()  # owners: a RODO read, audited
    assert AuditEvent.objects.count() > before  # written, on the primary (the replica refuses)
    assert not [q for q in on_replica.captured_queries if "INSERT" in q["sql"].upper()]


def test_a_write_pins_the_browser_to_the_primary_for_a_few_seconds(town, replica, settings):
    settings.GEOGMINA_REPLICA_PIN_SECONDS = 1
    client = Client()
    assert client.get(_tile_url())["X-Geogmina-Read-DB"] == "replica"
    post = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert post.status_code == 302 and db_router.PIN_COOKIE in post.cookies
    assert post.cookies[db_router.PIN_COOKIE]["max-age"] == 1
    assert client.get(_tile_url())["X-Geogmina-Read-DB"] == "default"
    time.sleep(1.2)  # the signed cookie is older than the pin: reads go back to the replica
    assert client.get(_tile_url())["X-Geogmina-Read-DB"] == "replica"


def test_a_forged_pin_cookie_does_not_pin(town, replica):
    client = Client()
    client.cookies[db_router.PIN_COOKIE] = "1:forged:signature"
    assert client.get(_tile_url())["X-Geogmina-Read-DB"] == "replica"


def test_an_unreachable_replica_falls_back_to_the_primary_without_an_error(town, replica, tmp_path):
    _install(_replica_settings(HOST=str(tmp_path)))  # no server listens there
    client = Client()
    resp = client.get(_tile_url())
    assert resp.status_code == 200 and resp["X-Geogmina-Read-DB"] == "default"
    health = db_router.replica_health()
    assert not health.usable and "unreachable" in health.reason


def test_a_replica_behind_the_limit_is_skipped(town, replica, settings):
    # The alias is not a standby, so its lag reads 0 s; a limit below 0 makes it "too far behind"
    settings.GEOGMINA_REPLICA_MAX_LAG_SECONDS = -1
    db_router.reset_health_cache()
    resp = Client().get(_tile_url())
    assert resp.status_code == 200 and resp["X-Geogmina-Read-DB"] == "default"
    assert "behind" in db_router.replica_health().reason
    assert resp["X-Geogmina-Read-DB-Reason"].startswith("replica skipped: 0.0 s behind, limit -1 s")


def test_a_replica_dying_during_a_read_gets_the_read_again_from_the_primary(
        town, replica, settings, tmp_path):
    settings.GEOGMINA_REPLICA_HEALTH_CACHE_SECONDS = 3600
    assert db_router.replica_health().usable  # healthy, and cached for an hour
    # the replica goes away: its next connection attempt fails inside the view
    replica.close()
    replica.settings_dict["HOST"] = str(tmp_path)
    resp = Client().get(_tile_url())
    assert resp.status_code == 200, resp.content[:200]
    assert resp["X-Geogmina-Read-DB"] == "default"
    assert not db_router.replica_health().usable
