"""Shared fixtures: municipalities, users with roles, real data location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Polygon

from gis_app.accounts.access import grant
from gis_app.accounts.roles import Role

REPO = Path(__file__).resolve().parent.parent


def cadastre_benchmark():
    """``benchmarks/import_cadastre.py`` as a module: its file generator feeds the tests."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_import_cadastre",
                                                  REPO / "benchmarks" / "import_cadastre.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
# The real-data samples live next to the clone, in ../shared/realdata (read in place, never
# copied). GEOGMINA_SHARED_DIR points elsewhere (or at a missing folder, to try a lone clone).
SHARED = Path(os.environ.get("GEOGMINA_SHARED_DIR") or REPO.parent / "shared")

# tests/cluster drives a running `make cluster` over HTTP (primary, replica, two app nodes,
# nginx): `make test-cluster` starts it and runs them with this conftest cut off; the ordinary
# suite has no cluster to talk to.
collect_ignore = ["cluster"]
REALDATA = SHARED / "realdata"


def in_ci() -> bool:
    """CI sets CI=true: there a missing real-data folder is a failure, elsewhere a skip."""
    return os.environ.get("CI", "").strip().lower() == "true"


def realdata_missing() -> str | None:
    """Why the real-data tests cannot run (naming the folder), or None when they can."""
    if REALDATA.is_dir():
        return None
    return (f"the shared real-data folder {REALDATA} is missing (a lone clone: put the shared "
            "folder next to it as ../shared, or set GEOGMINA_SHARED_DIR)")


def realdata_samples(keep) -> list:
    """Parameters of a test over the real samples (files under REALDATA for which ``keep`` is
    true). Without the folder: one parameter, ``None``, so that the test still runs and its
    ``realdata`` fixture skips it (outside CI) or fails it (CI=true) naming the folder; an
    empty list would skip silently, in CI too."""
    if realdata_missing():
        return [pytest.param(None, id="realdata-missing")]
    return sorted(p for p in REALDATA.rglob("*") if p.is_file() and keep(p))


def pytest_configure(config) -> None:
    """Tests hash passwords with a fast hasher: PBKDF2 costs ~0.3 s per user on these cores."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # the demo loads of the tests skip the parking demo's 60 days of simulated sessions (a few
    # seconds each); tests/db/test_landscape_demo_town.py turns them on where it checks them
    settings.GEOGMINA_DEMO_PARKING_ACTIVITY = False


# Migrations that seed the yearly legal numbers (tax caps, minimum wages, fee caps, standards).
# (migration module, its seeding function)
SEED_MIGRATIONS = [("registers.taxes.migrations.0002_seed_yearly_data", "seed"),
                   ("registers.taxes.migrations.0009_liabilities_building_events_and_factors",
                    "seed_factors"),
                   ("registers.housing.migrations.0002_tiles_and_standard", "seed_standard"),
                   ("registers.landscape.migrations.0002_parameters_and_tiles", "seed"),
                   ("registers.parking.migrations.0002_minimum_wage", "seed"),
                   ("registers.payments.migrations.0002_sql_seed_and_tiles", "seed"),
                   ("registers.parking.migrations.0006_exemptions_and_permit_lifecycle",
                    "seed")]


def reseed() -> None:
    """Put back the migrations' seed rows (idempotent): a transactional test's flush removes them,
    and the registers need the statutory numbers whatever ran before."""
    import importlib

    from django.apps import apps

    for name, function in SEED_MIGRATIONS:
        getattr(importlib.import_module(name), function)(apps, None)


@pytest.fixture(autouse=True)
def _seeded_yearly_data(request) -> None:
    """Every database test starts with the seeded yearly data, independent of test order."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction")
                            else "db")
    reseed()


def require_realdata() -> Path:
    """The real-data folder; without it the calling test is skipped, or failed in CI."""
    missing = realdata_missing()
    if missing:
        if in_ci():
            pytest.fail(f"CI=true: {missing}")
        pytest.skip(missing)
    return REALDATA


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Mark the test database (only it) as one whose audit log the harness may empty.

    The audit table refuses TRUNCATE (gis_app/audit/migrations/0003_refuse_truncate.py) except in
    a database marked with ``geogmina.test_database = on``; transactional tests flush every table
    between tests. The mark is a database setting in the catalogue, so it lasts with --reuse-db.
    """
    from django.conf import settings
    from django.db import connection

    name = connection.settings_dict["NAME"]
    assert name == settings.DATABASES["default"]["TEST"]["NAME"], name  # never a real database
    with django_db_blocker.unblock(), connection.cursor() as cur:
        cur.execute(f"ALTER DATABASE {connection.ops.quote_name(name)} "
                    "SET geogmina.test_database = 'on'")


@pytest.fixture
def admin_user(admin_user, settings):
    """pytest-django's superuser ``admin`` administers every town (a national superuser, as
    GEOGMINA_NATIONAL_SUPERUSERS makes one); other superusers see only their own towns."""
    settings.GEOGMINA_NATIONAL_SUPERUSERS = [admin_user.get_username()]
    return admin_user


@pytest.fixture
def realdata() -> Path:
    return require_realdata()


def square(x: float, y: float, size: float, srid: int = 2180) -> MultiPolygon:
    poly = Polygon(((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)),
                   srid=srid)
    return MultiPolygon(poly, srid=srid)


@pytest.fixture
def make_municipality(db):
    from layers.models import Municipality

    def make(teryt: str = "180501_1", name: str = "Jasło"):
        return Municipality.objects.get_or_create(teryt=teryt, defaults={"name": name})[0]

    return make


@pytest.fixture
def make_parcel(db, make_municipality):
    from layers.models import Parcel, Precinct

    def make(number: str, x: float, y: float, size: float = 20.0, municipality=None, **kw):
        municipality = municipality or make_municipality()
        precinct, _ = Precinct.objects.get_or_create(
            teryt=f"{municipality.teryt}.0001",
            defaults={"municipality": municipality, "name": "1",
                      "source_namespace": "test", "local_id": f"{municipality.teryt}.0001"})
        return Parcel.objects.create(
            municipality=municipality, precinct=precinct,
            cadastral_id=f"{precinct.teryt}.{number}", number=number,
            legal_area_m2=kw.pop("legal_area_m2", size * size),
            source_namespace=kw.pop("source_namespace", "test"),
            local_id=kw.pop("local_id", f"{municipality.teryt}-{number}"),
            version_id="1", geom=kw.pop("geom", square(x, y, size)), **kw)

    return make


@pytest.fixture
def make_user(db):
    def make(username: str, municipality=None, roles: tuple[str, ...] = (), **kw):
        user = get_user_model().objects.create_user(username=username, password="pw-" + username,
                                                    **kw)
        if municipality is not None:
            grant(user, municipality, roles)
        return user

    return make


ALL_ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Forget the process's ContentType ids before each test: a flushing test (live server,
    browser demo towns restored from a dump) recreates the content types with new ids, and a
    cached old id then breaks the next test's admin log or generic relation (a foreign-key
    error at teardown, seen when such a file ran before tests/db/test_admin_trust.py)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
