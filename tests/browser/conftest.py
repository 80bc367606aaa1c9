"""Real-browser fixtures: Debian's Chromium driven by Playwright's Python package.

``playwright install`` cannot download browsers here, so Chromium comes from Debian
(/usr/bin/chromium) with the flags that keep it off the network. Every page records console
errors and any request that leaves 127.0.0.1, so tests can assert the app is self-contained.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import reseed

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + Django ORM

CHROMIUM = os.environ.get("GEOGMINA_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make deps` installs Debian's chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageLog:
    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        self.failed_requests: list[str] = []


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def new_page(browser, page_log):
    """Open pages in a fresh context; ``new_page(viewport=…)`` for a phone-sized screen."""
    contexts = []

    def make(viewport: dict | None = None, locale: str = "pl-PL", geolocation: dict | None = None):
        extra = {"geolocation": geolocation, "permissions": ["geolocation"]} if geolocation else {}
        ctx = browser.new_context(viewport=viewport or {"width": 1400, "height": 900},
                                  locale=locale, **extra)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
        page.on("pageerror", lambda e: page_log.console_errors.append(str(e)))

        def on_request(req):
            host = urlparse(req.url).hostname
            if req.url.startswith(("http://", "https://")) and host not in LOCAL_HOSTS:
                page_log.external_requests.append(req.url)

        page.on("request", on_request)
        page.on("requestfailed", lambda r: page_log.failed_requests.append(r.url))
        page.set_default_timeout(15_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def screenshot(page, name: str, docs: bool = False) -> Path:
    """A picture of the page under tests/output/screenshots; ``docs=True`` also writes it to
    docs/img/ (the README shows those: they are refreshed by every run of the browser tests)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if docs:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        (DOCS_IMG / f"{name}.png").write_bytes(path.read_bytes())
    return path


# --- the demo town, loaded once per browser module, served by a server of its own -----------
#
# pytest-django's ``live_server`` makes every test using it transactional, and a transactional
# test flushes the database afterwards: loading the demo town for each test would blow the
# time budget. ``demo_server`` is a second live server that does not pull in
# ``transactional_db``; ``demo_town`` loads the town through ``django_db_blocker`` once per
# module (so no transactional test of another module runs in between and flushes it) and, at
# the end, flushes and restores what the database held before (seeded migration data included).

KNOWN_ADDRESS = ("Jasło", "Żółkiewskiego", "7")
KNOWN_KW = "KS1J/00099999/3"
KNOWN_OWNER = "Wiśniewska Zofia"


class DemoTown:
    """What the browser tests need to know about the loaded town."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _ensure_test_database(django_db_blocker) -> None:
    """pytest-django sets up the test database only for tests that ask for ``db``; these tests
    must not (a per-test transaction would hide their data from the server thread), so when
    no other test of the run asked, set it up here. Never touch a database not named test_*."""
    from django.db import connection
    from django.test.utils import setup_databases

    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test"):
            setup_databases(verbosity=0, interactive=False, aliases={"default"},
                            serialized_aliases={"default"}, keepdb=True)
        name = connection.settings_dict["NAME"]
        if not name.startswith("test"):
            pytest.fail(f"refusing to load the demo town into {name!r}: not a test database")


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker):
    from pytest_django.live_server_helper import LiveServer

    _ensure_test_database(django_db_blocker)
    with django_db_blocker.unblock():
        server = LiveServer("127.0.0.1")
        yield server
        server.stop()


def _known_parcel():
    """A plot of the demo town with an address, a KW number and an owner; where the demo has
    none (an older generator), one is given them here."""
    from layers.domain.text import normalize_text
    from layers.models import Address, Parcel, RegistrationUnit, Share, Subject

    candidates = (Parcel.objects.filter(retired_at__isnull=True)
                  .exclude(kw_numbers=[]).filter(addresses__isnull=False,
                                                 registration_unit__shares__subject__isnull=False)
                  .order_by("id"))
    parcel = candidates.first()
    if parcel is None:
        parcel = Parcel.objects.filter(retired_at__isnull=True).order_by("id")[
            Parcel.objects.count() // 2]
        town = parcel.municipality
        unit = RegistrationUnit.objects.create(
            municipality=town, unit_id=f"{parcel.precinct.teryt}.G9999", kind="G", group=1,
            source_namespace="browser", local_id="ru-known")
        locality, street, number = KNOWN_ADDRESS
        address = Address.objects.create(
            municipality=town, locality=locality, street=street, house_number=number,
            search_text=normalize_text(f"{street} {number} {locality}"),
            source_namespace="browser", local_id="addr-known")
        subject = Subject.objects.create(municipality=town, kind="person", name=KNOWN_OWNER,
                                         search_text=normalize_text(KNOWN_OWNER),
                                         source_namespace="browser", local_id="subj-known")
        Share.objects.create(municipality=town, kind="ownership", numerator=1, denominator=1,
                             subject=subject, registration_unit=unit,
                             source_namespace="browser", local_id="share-known")
        parcel.kw_numbers = [KNOWN_KW]
        parcel.registration_unit = unit
        parcel.save()
        parcel.addresses.add(address)
    address = parcel.addresses.order_by("id").first()
    owner = Subject.objects.filter(shares__registration_unit=parcel.registration_unit).first()
    return parcel, address, owner


@pytest.fixture(scope="module")
def demo_town(django_db_setup, django_db_blocker):
    from django.core.management import CommandError, call_command
    from django.db import connection

    from gis_app.accounts.roles import Role
    from layers.models import Parcel

    _ensure_test_database(django_db_blocker)
    with django_db_blocker.unblock():
        # the state right after migrations when pytest-django kept it (seeded yearly data
        # included, even if a transactional test flushed it since), else the state now
        before = getattr(connection, "_test_serialized_contents", None)
        if before is None:
            before = connection.creation.serialize_db_to_string()

        def restore() -> None:
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(before)
            # flush restarted every id sequence while the rows came back with their ids: move
            # the sequences past them (as loaddata does), or the next insert collides
            from django.apps import apps
            from django.core.management.color import no_style

            with connection.cursor() as cur:
                for sql in connection.ops.sequence_reset_sql(
                        no_style(), apps.get_models(include_auto_created=True)):
                    cur.execute(sql)

        try:
            restore()  # start from the migrated state, whatever ran before
            reseed()  # and its seeded legal numbers, even if a flush before removed them
            try:
                call_command("load_demo", parcels=int(os.environ.get(
                    "GEOGMINA_BROWSER_PARCELS", "300")), verbosity=0)
            except CommandError as exc:
                # a register's demo hook failing does not make the map untestable
                if not Parcel.objects.exists():
                    raise
                warnings.warn(f"load_demo: {exc}", stacklevel=1)
            parcel, address, owner = _known_parcel()
            from django.contrib.auth import get_user_model

            from gis_app.accounts.access import grant

            users = {}
            for role in (Role.PLANNER, Role.PROPERTY_OFFICER):
                user, _ = get_user_model().objects.get_or_create(username=f"browser_{role}")
                grant(user, parcel.municipality, [role])
                users[str(role)] = user
            parcel.refresh_from_db()
            town = DemoTown(parcel=parcel, address=address, owner=owner, users=users,
                            centroid=parcel.geom.point_on_surface.transform(4326, clone=True))
        except BaseException:
            restore()
            raise
        yield town
        restore()


@pytest.fixture
def login(browser, django_db_blocker):
    """``login(context, user, base_url)``: a logged-in session cookie in a browser context."""

    def do(context, user, base_url: str) -> None:
        from django.conf import settings
        from django.test import Client

        with django_db_blocker.unblock():
            client = Client()
            client.force_login(user)
            key = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key,
                              "url": base_url}])

    return do
