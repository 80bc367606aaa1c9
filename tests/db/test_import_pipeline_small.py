"""The benchmark's pipeline at a small size: its generated file imports cleanly, twice."""

from __future__ import annotations

import pytest

from importers.models import ImportRun
from importers.services import import_cadastre
from layers.models import Parcel, RegistrationUnit
from tests.conftest import cadastre_benchmark


@pytest.mark.django_db
def test_benchmark_file_imports_and_reimports(tmp_path):
    bench = cadastre_benchmark()
    path = bench.generate(tmp_path / "b.gml", 300)
    first = import_cadastre(path, municipality=bench.TERYT)
    assert first.run.status == ImportRun.Status.OK, first.run.message
    assert first.counts["parcels"]["created"] == 300
    assert first.counts["registration units"]["created"] == 30
    assert first.run.rejected == 0
    # the generator gives every 50th parcel an older legal area (500 m² against 515 m² drawn)
    flagged = sorted(i["object_id"] for i in first.issues if i["kind"] == "area")
    assert flagged == sorted(f"{bench.TERYT}.0001.{i + 1}" for i in range(49, 300, 50))
    # every parcel's JRG2 (#gml:id form) resolved; the precinct link (urn form) is external
    parcels = Parcel.objects.filter(municipality__teryt=bench.TERYT)
    assert parcels.filter(registration_unit__isnull=True).count() == 0
    assert RegistrationUnit.objects.get(unit_id=f"{bench.TERYT}.0001.G1").parcels.count() == 10
    assert "lokalizacjaDzialki" in parcels.first().unresolved_links
    again = import_cadastre(path, municipality=bench.TERYT)
    assert again.run.status == ImportRun.Status.UNCHANGED
    assert again.run.unchanged == 330
