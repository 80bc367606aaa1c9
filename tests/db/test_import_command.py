"""``manage.py import_cadastre``: the report on the command line, non-zero exit on failure."""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command

from importers.models import ImportIssue, ImportRun
from layers.models import Parcel
from tests.data import egib_samples as eg

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_cadastre", *map(str, args), "--no-progress", stdout=out, stderr=out)
    return out.getvalue()


def test_report_on_the_command_line(tmp_path):
    path = eg.write(tmp_path / "a.gml", *eg.grid(3),
                    eg.parcel("big", "77", eg.square(eg.E0, eg.N0 + 50), area_ha="0.0500"))
    text = _run(path)
    assert "parcels: created 4" in text
    assert "area" in text and "180501_1.0001.77" in text  # 500 m² recorded vs 400 m² drawn
    again = _run(path)
    assert "nothing changed" in again and "unchanged 4" in again


def test_progress_names_each_phase(tmp_path):
    # the merge and the commit take most of a big file's time: the bar says what is going on
    path = eg.write(tmp_path / "a.gml", *eg.grid(3))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_cadastre", str(path), stdout=out, stderr=err)
    shown = err.getvalue()
    phases = ["reading", "checking", "merging parcels", "linking", "reporting", "committing"]
    positions = [shown.find(f"a.gml: {phase}") for phase in phases]
    assert -1 not in positions and positions == sorted(positions), shown
    assert "parcels: created 3" in out.getvalue()


def test_dry_run_and_failure_exit(tmp_path):
    path = eg.write(tmp_path / "a.gml", *eg.grid(2))
    assert "dry run" in _run(path, "--dry-run")
    assert not Parcel.objects.exists()
    bad = tmp_path / "bad.gml"
    bad.write_text("<gml:FeatureCollection xmlns:gml='http://www.opengis.net/gml/3.2'>",
                   encoding="utf-8")
    with pytest.raises(CommandError, match="1 of 2 file"):
        _run(path, bad)
    assert Parcel.objects.count() == 2  # the good file of the batch is kept
    assert ImportRun.objects.filter(status="failed", message__contains="malformed").exists()


def test_import_runs_in_the_admin(tmp_path, admin_client):
    path = eg.write(tmp_path / "a.gml", *eg.grid(1),
                    eg.parcel("big", "77", eg.square(eg.E0, eg.N0 + 50), area_ha="0.0500"))
    _run(path)
    run = ImportRun.objects.get()
    assert ImportIssue.objects.filter(run=run, kind="area").exists()
    assert ImportRun in site._registry
    page = admin_client.get(f"/admin/importers/importrun/{run.pk}/change/")
    assert page.status_code == 200
    assert "180501_1.0001.77" in page.content.decode()


# serialized_rollback: keep rows seeded by migrations for the tests that run after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_sees_the_phase_of_a_running_import(tmp_path, admin_client):
    # the import's own transaction shows nothing until it ends: the phase is committed apart
    seen: list[tuple[str, str]] = []

    def look(phase: str) -> None:
        page = admin_client.get("/admin/importers/importrun/?status__exact=running")
        shown = page.content.decode()
        seen.append((phase, phase if f">{phase}<" in shown else ""))

    path = eg.write(tmp_path / "a.gml", *eg.grid(2))
    from importers.services import import_cadastre

    result = import_cadastre(path, on_phase=look)
    assert ("merging parcels", "merging parcels") in seen, seen
    assert ("committing", "committing") in seen, seen
    result.run.refresh_from_db()
    assert result.run.status == ImportRun.Status.OK and result.run.phase == ""
