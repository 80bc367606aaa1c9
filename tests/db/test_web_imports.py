"""Imports from the browser (issue #18; the UI speaks Polish here): the upload page queues a
job on django-tasks' database backend; the worker's body (``jobs.execute``, what ``db_worker``
runs) imports through the importers' public entry points; cancelling rolls back; hostile
uploads are refused with a clear message; administrators only, each within their towns. The
real worker process runs in tests/browser/test_web_import.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from gis_app.accounts.roles import Role
from importers.models import ImportRun
from importers.web import jobs
from importers.web.models import WebImport
from layers.models import Parcel
from tests.conftest import ALL_ROLES
from tests.data import egib_samples as eg

pytestmark = pytest.mark.django_db


def gml(tmp_path: Path, count: int = 3, bad: bool = True) -> bytes:
    """``count`` good plots and (``bad``) one whose ring is too short: one rejection."""
    e, n = eg.E0 + 500, eg.N0
    members = eg.grid(count)
    if bad:
        members.append(eg.parcel("short-1", "911", [(e, n), (e + 20, n), (e, n)],
                                 area_ha="0.0100"))
    return eg.write(tmp_path / "upload.gml", *members).read_bytes()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def town(make_municipality):
    return make_municipality("180501_1", "Jasło")


@pytest.fixture
def admin(make_user, town):
    return make_user("imp-admin", town, (Role.ADMINISTRATOR,))


def upload(client, town, content: bytes, name: str = "egib.gml", kind: str = "cadastre",
           **extra):
    return client.post("/imports/", {"kind": kind, "municipality": town.pk,
                                     "file": SimpleUploadedFile(name, content), **extra})


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_administrators(client, make_user, town, tmp_path, role):
    client.force_login(make_user("u", town, (role,)))
    expected = 200 if role == Role.ADMINISTRATOR else 403
    assert client.get("/imports/").status_code == expected
    r = upload(client, town, gml(tmp_path))
    assert r.status_code == (302 if expected == 200 else 403)
    assert WebImport.objects.count() == (1 if expected == 200 else 0)


def test_anonymous_and_other_towns(client, make_user, make_municipality, admin, town, tmp_path,
                                   django_capture_on_commit_callbacks):
    assert client.get("/imports/").status_code == 302  # to the login page
    assert upload(client, town, b"<x/>").status_code == 302 and not WebImport.objects.exists()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        job = WebImport.objects.get(pk=int(upload(client, town, gml(tmp_path))
                                           .url.strip("/").split("/")[-1]))
    other = make_municipality("120101_1", "Elsewhere")
    client.force_login(make_user("other-admin", other, (Role.ADMINISTRATOR,)))
    for url in (f"/imports/{job.pk}/", f"/imports/{job.pk}/state.json"):
        assert client.get(url).status_code == 404
    assert client.post(f"/imports/{job.pk}/cancel").status_code == 404
    # nor may they import into a town not granted to them
    r = upload(client, town, gml(tmp_path))
    assert r.status_code == 400 and "municipality" in r.context["form"].errors
    assert WebImport.objects.count() == 1


def test_upload_queues_and_the_worker_imports_with_its_report(
        client, admin, town, tmp_path, django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, town, gml(tmp_path))
    job = WebImport.objects.get()
    assert r.status_code == 302 and r.url == f"/imports/{job.pk}/"
    task = DBTaskResult.objects.get()  # queued in the database, for db_worker
    assert task.task_path == "importers.web.tasks.run_import" and task.args_kwargs == {
        "args": [job.pk], "kwargs": {}}
    assert job.task_id == str(task.id) and job.status == "queued"
    state = client.get(f"/imports/{job.pk}/state.json").json()
    assert state["status"] == "queued" and state["finished"] is False
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="job-progress"' in page and 'id="cancel-form"' in page

    assert jobs.execute(job.pk).status == "done"  # what the worker runs
    job.refresh_from_db()
    assert job.progress == 100 and job.run.status == ImportRun.Status.OK
    assert job.run.created == 3 and job.run.rejected == 1
    assert Parcel.objects.filter(municipality=town).count() == 3
    assert not Path(job.file).exists()  # the upload is removed once imported
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="rejections"' in page and "180501_1.0001.911" in page
    # the reason is stored as the importer wrote it (the CLI's words) and shown in Polish
    assert job.run.issues.get().reason == "geometry: a ring has 3 positions (at least 4 are " \
        "needed)"
    assert "geometria: liczba punktów pierścienia: 3 (potrzeba co najmniej 4)" in page
    assert "działka" in page and "a ring has" not in page
    assert 'id="job-progress"' not in page
    assert jobs.execute(job.pk) is None  # a task delivered twice does nothing


def test_hostile_uploads_are_refused_with_a_message(client, admin, town, settings, tmp_path):
    client.force_login(admin)
    cases = [
        ("cadastre", b"PK\x03\x04 not xml", "nie jest plikiem XML"),
        ("cadastre", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
         "DTD"),
        ("cadastre", b"", "pusty"),
        ("parking_zones", b"just text, no geometry", "rozpoznawanym po zawartości"),
        ("orthophoto", b"II*\x00 not really a tiff", "Raster odrzucono"),
    ]
    for kind, content, words in cases:
        r = upload(client, town, content, kind=kind)
        assert r.status_code == 400, kind
        errors = " ".join(r.context["form"].errors.get("file", []))
        assert words in errors, (kind, errors)
    settings.GEOGMINA_IMPORT_MAX_BYTES = 1024
    r = upload(client, town, b"<" + b"x" * 3 * 1024 * 1024)
    assert r.status_code == 413 and "większy niż 0 MB" in r.content.decode()
    assert r["Connection"] == "close"
    r = upload(client, town, b"<" + b"x" * 2048)  # over the cap, under its margin
    assert r.status_code == 400 and "większy niż" in " ".join(r.context["form"].errors["file"])
    assert not WebImport.objects.exists()
    root = jobs.upload_root()
    assert not root.exists() or not any(root.iterdir())  # nothing refused stays on disk


def test_cancel_queued_and_running_leaves_nothing(client, admin, town, tmp_path,
                                                 django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, town, gml(tmp_path), name="first.gml")
        upload(client, town, gml(tmp_path), name="second.gml")
    first, second = WebImport.objects.order_by("id")
    # two imports of one town queue behind each other
    assert client.get(f"/imports/{second.pk}/state.json").json()["queue_position"] == 1
    assert client.get(f"/imports/{first.pk}/state.json").json()["queue_position"] == 0

    assert client.post(f"/imports/{second.pk}/cancel").status_code == 302
    second.refresh_from_db()
    assert second.status == "cancelled" and not Path(second.file).exists()
    assert jobs.execute(second.pk) is None  # the worker skips it

    # a running import cancelled: it stops at its next phase, inside its transaction
    WebImport.objects.filter(pk=first.pk).update(status="running")  # claimed by a worker
    client.post(f"/imports/{first.pk}/cancel")
    assert WebImport.objects.get(pk=first.pk).status == "cancelling"
    done = jobs.run_claimed(first.pk)
    assert done.status == "cancelled" and "import wycofano" in done.message
    assert done.run is None  # seen before the importer started
    page = client.get(f"/imports/{first.pk}/").content.decode()
    assert "import wycofano" in page and 'id="cancel-form"' not in page

    # cancelled half-way, while the importer merges inside its transaction: rolled back
    reporter, seen = jobs.Reporter(first), []

    def on_phase(name: str) -> None:
        seen.append(name)
        if name.startswith("merging"):  # the user presses "cancel" now
            WebImport.objects.filter(pk=first.pk).update(status="cancelling")
        reporter.on_phase(name)

    from importers.services import import_cadastre

    path = tmp_path / "again.gml"
    path.write_bytes(gml(tmp_path))
    result = import_cadastre(path, municipality=town.teryt, on_phase=on_phase)
    reporter.close()
    assert seen[:2] == ["reading", "checking"] and seen[-1].startswith("merging")
    assert result.run.status == ImportRun.Status.FAILED and reporter.cancel_seen
    assert not Parcel.objects.exists()  # nothing half-written


def test_a_failed_import_says_why_in_polish(client, admin, town, tmp_path,
                                            django_capture_on_commit_callbacks):
    """The importer's own failure (here: every object rejected) is kept as it wrote it, for
    the CLI and the run's record, and read in Polish on the page and in its state."""
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, town, gml(tmp_path, count=0))  # only the plot with a 3-point ring
    job = WebImport.objects.get()
    assert jobs.execute(job.pk).status == "failed"
    job.refresh_from_db()
    assert job.message == job.run.message == ("every one of the 1 objects was rejected: "
                                              "nothing was stored")
    polish = "odrzucono wszystkie obiekty (1): nic nie zapisano"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert polish in page and "every one of" not in page
    assert client.get(f"/imports/{job.pk}/state.json").json()["message"] == polish
    assert not Parcel.objects.exists()
