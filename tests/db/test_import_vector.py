"""import_vector: GeoJSON/GeoPackage zones with a field mapping from the command line or a file."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from importers.models import ImportRun
from layers.models import LandscapeArea, ParkingZone

pytestmark = pytest.mark.django_db
E0, N0 = 7_533_988.0, 5_512_167.0


def _geojson(tmp_path, features):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2178"}},
        "features": [{"type": "Feature", "properties": props, "geometry": {
            "type": "Polygon", "coordinates": [[[E0 + x, N0 + y], [E0 + x + 100, N0 + y],
                                               [E0 + x + 100, N0 + y + 100], [E0 + x, N0 + y + 100],
                                               [E0 + x, N0 + y]]]}}
            for (x, y), props in features]}), encoding="utf-8")
    return path


def test_parking_zones_with_command_line_mapping(tmp_path, make_municipality):
    make_municipality()
    path = _geojson(tmp_path, [((0, 0), {"STREFA": "P1", "OPIS": "Śródmieście"}),
                               ((200, 0), {"STREFA": "P2", "OPIS": "Rynek"})])
    call_command("import_vector", str(path), "--layer", "parking_zones", "--municipality",
                 "180501_1", "--map", "code=STREFA", "--map", "name=OPIS")
    zones = ParkingZone.objects.order_by("code")
    assert [z.code for z in zones] == ["P1", "P2"]
    assert zones[0].kind == "ordinary" and zones[0].name == "Śródmieście"
    centroid = zones[0].geom.transform(4326, clone=True).centroid
    assert 21.3 < centroid.x < 21.7  # reprojected from PL-2000 zone 7 into 2180
    # the same file again: nothing changes
    call_command("import_vector", str(path), "--layer", "parking_zones", "--municipality",
                 "180501_1", "--map", "code=STREFA", "--map", "name=OPIS")
    assert ImportRun.objects.order_by("-id").first().status == ImportRun.Status.UNCHANGED


def test_landscape_areas_with_mapping_file_and_constant(tmp_path, make_municipality):
    make_municipality()
    path = _geojson(tmp_path, [((0, 0), {"kod": "A", "nazwa": "Strefa A"})])
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"code": "kod", "name": "nazwa", "kind": "=resolution_zone"}))
    call_command("import_vector", str(path), "--layer", "landscape_areas", "--municipality",
                 "180501_1", "--mapping", str(mapping))
    area = LandscapeArea.objects.get(code="A")
    assert area.kind == "resolution_zone" and area.name == "Strefa A"


def test_bad_mapping_and_unknown_column_fail_clearly(tmp_path, make_municipality):
    make_municipality()
    path = _geojson(tmp_path, [((0, 0), {"kod": "A"})])
    with pytest.raises(CommandError, match="not field=column"):
        call_command("import_vector", str(path), "--layer", "parking_zones",
                     "--municipality", "180501_1", "--map", "code")
    with pytest.raises(CommandError, match=r"column 'KOD' .* is not in the source"):
        call_command("import_vector", str(path), "--layer", "parking_zones",
                     "--municipality", "180501_1", "--map", "code=KOD")
    with pytest.raises(CommandError, match="kind"):
        call_command("import_vector", str(path), "--layer", "landscape_areas",
                     "--municipality", "180501_1", "--map", "code=kod")
    assert not ParkingZone.objects.exists()
