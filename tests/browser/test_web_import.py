"""Imports from the browser with a real worker (issue #18): ``manage.py db_worker`` (django-tasks'
database backend) runs as a process of its own against the test database, as ``make run``
starts it. One walk: an administrator uploads a cadastral GML while the town's import lock is
held elsewhere (another import of the town), sees the progress bar with the job's phase, queues
a second file behind it, cancels the first (its wait is cancelled, nothing stored), and the
second one ends on its report page with its rejection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.data import egib_samples as eg

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(demo_server, django_db_blocker, tmp_path_factory):
    """A town, its administrator and a running worker; the database restored afterwards."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role
    from layers.models import Municipality

    with django_db_blocker.unblock():
        before = getattr(connection, "_test_serialized_contents", None)
        if before is None:
            before = connection.creation.serialize_db_to_string()
        town, _ = Municipality.objects.get_or_create(teryt="180501_1",
                                                     defaults={"name": "Jasło"})
        admin, _ = get_user_model().objects.get_or_create(username="browser_import_admin")
        grant(admin, town, [Role.ADMINISTRATOR])
        db = settings.DATABASES["default"]
        env = {**os.environ, "GEOGMINA_DEBUG": os.environ.get("GEOGMINA_DEBUG", "1"),
               "MEDIA_ROOT": str(settings.MEDIA_ROOT),
               "DATABASE_URL": f"postgis://{db['USER']}:{db.get('PASSWORD') or ''}@/"
                               f"{db['NAME']}?host={db['HOST']}&port={db['PORT']}"}
        log = open(tmp_path_factory.mktemp("worker") / "worker.log", "w+")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2",
             "--no-reload", "--no-startup-delay"], cwd=REPO, env=env, stdout=log,
            stderr=subprocess.STDOUT)
        try:
            yield town, admin, db, log
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
            log.close()
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(before)


def _upload(page, base: str, town, path: Path) -> int:
    page.goto(base + "/imports/")
    page.select_option("#id_kind", "cadastre")
    page.select_option("#id_municipality", str(town.pk))
    page.set_input_files("#id_file", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    return int(page.url.rstrip("/").split("/")[-1])


def test_upload_progress_queue_cancel_and_report(world, demo_server, new_page, page_log, login,
                                                 tmp_path, django_db_blocker):
    from layers.domain import locks
    from tests.browser.conftest import screenshot

    town, admin, db, log = world
    e, n = eg.E0 + 500, eg.N0
    gml = eg.write(tmp_path / "egib.gml", *eg.grid(5),
                   eg.parcel("short-1", "911", [(e, n), (e + 20, n), (e, n)], area_ha="0.01"))
    page = new_page()
    login(page.context, admin, demo_server.url)
    # another import of the town holds its lock: the worker takes the job and waits for it
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"],
                              port=db["PORT"], password=db.get("PASSWORD") or None)
    holder.autocommit = True
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (locks.IMPORT_MUNICIPALITY, town.pk))
        first = _upload(page, demo_server.url, town, gml)
        page.wait_for_function("() => document.getElementById('job').dataset.status "
                               "=== 'running'", timeout=30_000)
        assert page.locator("#job-progress").is_visible()
        assert page.text_content("#job-phase").strip() != ""  # the job's phase, polled
        screenshot(page, "import-progress", docs=True)
        second = _upload(page, demo_server.url, town, gml)
        assert page.get_attribute("#job", "data-status") == "queued"
        assert page.text_content("#job-queue-n") == "1"  # behind the first import of the town

        page.goto(f"{demo_server.url}/imports/{first}/")
        page.click("#cancel-form button")
        page.wait_for_selector("#report", timeout=30_000)
        assert page.get_attribute("#job-message", "class") == "cancelled"
    finally:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock_all()")
        holder.close()

    page.goto(f"{demo_server.url}/imports/{second}/")
    page.wait_for_selector("#report", timeout=60_000)  # the page reloads on its report
    assert page.get_attribute("#job-message", "class") == "done"
    assert "180501_1.0001.911" in page.text_content("#rejections")
    assert page.text_content("#rejected-count").strip() == "1"
    screenshot(page, "import-report", docs=True)
    with django_db_blocker.unblock():
        from importers.web.models import WebImport
        from layers.models import Parcel

        assert WebImport.objects.get(pk=first).status == "cancelled"
        assert Parcel.objects.filter(municipality=town).count() == 5  # the second only
    log.seek(0)
    assert page_log.console_errors == [] and page_log.external_requests == [], log.read()
