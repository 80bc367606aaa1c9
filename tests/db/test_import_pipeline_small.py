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


@pytest.mark.django_db
def test_rich_benchmark_town_imports_with_its_links(tmp_path):
    """The benchmark's rich town (buildings, addresses, owners, shares) at 20 parcels."""
    from layers.models import Address, Building, Share, Subject

    bench = cadastre_benchmark()
    path = bench.generate(tmp_path / "r.gml", 20, rich=True)
    result = import_cadastre(path, municipality=bench.TERYT)
    assert result.run.status == ImportRun.Status.OK, result.run.message
    assert result.run.rejected == 0
    assert result.run.created == bench.feature_count(20, rich=True) == 20 + 2 * 3 + 14 + 12
    town = {"municipality__teryt": bench.TERYT}
    assert Building.objects.filter(**town).count() == 12
    assert Address.objects.filter(**town).count() == 14
    assert Subject.objects.filter(**town, pesel_encrypted__isnull=False).count() == 2
    assert Share.objects.filter(**town, subject__isnull=False,
                                registration_unit__isnull=False).count() == 2
    building = Building.objects.get(building_id=f"{bench.TERYT}.0001.1.1_BUD")
    assert [p.cadastral_id for p in building.parcels.all()] == [f"{bench.TERYT}.0001.1"]
    assert building.addresses.count() == 1
    assert Parcel.objects.get(cadastral_id=f"{bench.TERYT}.0001.1").addresses.count() == 1
