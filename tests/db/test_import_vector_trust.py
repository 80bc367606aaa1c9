"""import_vector against careless operators and hostile files: a run that rejects rows retires
nothing, a run that rejects every row fails, features must lie in Poland and in the town, the
municipality must be a TERYT code, and only the documented formats are read, by content."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Polygon

from importers.models import ImportIssue, ImportRun
from importers.vector import import_vector
from layers.models import LandscapeArea, ParkingZone
from tests.conftest import square

pytestmark = pytest.mark.django_db
E0, N0 = 7_533_988.0, 5_512_167.0  # Jasło in PL-2000 zone 7 (EPSG:2178)
JASLO_2180 = (729_000.0, 241_000.0)  # roughly the same place in EPSG:2180


def _features(items, srid=2178):
    """GeoJSON features: ((dx, dy), properties) 100 m squares near Jasło."""
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{srid}"}},
            "features": [{"type": "Feature", "properties": props, "geometry": {
                "type": "Polygon", "coordinates": [[
                    [E0 + x, N0 + y], [E0 + x + 100, N0 + y], [E0 + x + 100, N0 + y + 100],
                    [E0 + x, N0 + y + 100], [E0 + x, N0 + y]]]}}
                for (x, y), props in items]}


def _write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _cmd(*args, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("import_vector", *map(str, args), stdout=out, verbosity=verbosity)
    return out.getvalue()


def _areas(path, *extra, verbosity: int = 1) -> str:
    return _cmd(path, "--layer", "landscape_areas", "--municipality", "180501_1",
                "--map", "code=kod", "--map", "name=nazwa", *extra, verbosity=verbosity)


def test_a_map_that_matches_no_row_fails_and_retires_nothing(tmp_path, make_municipality):
    make_municipality()
    path = _write(tmp_path / "areas.geojson", _features([
        ((0, 0), {"kod": "A", "nazwa": "Park A"}), ((200, 0), {"kod": "B", "nazwa": "Park B"})]))
    _areas(path, "--map", "kind==landscape_park")
    assert LandscapeArea.objects.filter(retired_at__isnull=True).count() == 2
    # the same file with a constant kind that is not one of the kinds: every row rejected
    with pytest.raises(CommandError, match="every one of the 2 features was rejected"):
        _areas(path, "--map", "kind==park")
    assert LandscapeArea.objects.filter(retired_at__isnull=True).count() == 2
    run = ImportRun.objects.order_by("-id").first()
    assert run.status == ImportRun.Status.FAILED and run.retired == 0
    assert run.issues.filter(kind="rejected").count() == 2


def test_a_run_with_rejections_retires_only_with_complete(tmp_path, make_municipality):
    make_municipality()
    first = [((0, 0), {"kod": "A", "nazwa": "A", "rodzaj": "landscape_park"}),
             ((200, 0), {"kod": "B", "nazwa": "B", "rodzaj": "landscape_park"}),
             ((400, 0), {"kod": "C", "nazwa": "C", "rodzaj": "landscape_park"})]
    path = _write(tmp_path / "areas.geojson", _features(first))
    _areas(path, "--map", "kind=rodzaj")
    # the next delivery: A changed, B with a kind nobody knows, C gone
    second = [((0, 0), {"kod": "A", "nazwa": "A2", "rodzaj": "landscape_park"}),
              ((200, 0), {"kod": "B", "nazwa": "B", "rodzaj": "parkk"})]
    _write(path, _features(second))
    text = _areas(path, "--map", "kind=rodzaj")
    assert "rejected 1" in text and "retired 0" in text
    assert "B" in text and "'parkk'" in text  # the rejection is printed
    assert set(LandscapeArea.objects.filter(retired_at__isnull=True)
               .values_list("code", flat=True)) == {"A", "B", "C"}
    assert LandscapeArea.objects.get(code="A").name == "A2"
    # the operator says the file is complete: C (absent) retires, B (rejected) stays
    text = _areas(path, "--map", "kind=rodzaj", "--complete")
    assert "retired 1" in text
    assert set(LandscapeArea.objects.filter(retired_at__isnull=True)
               .values_list("code", flat=True)) == {"A", "B"}


def test_rejections_printed_first_twenty_and_all_with_verbosity_2(tmp_path, make_municipality):
    make_municipality()
    items = [((0, 0), {"kod": "OK", "nazwa": "good", "rodzaj": "ordinary"})] + [
        ((200 * (i % 5), 200 * (i // 5) + 200), {"kod": f"R{i:02d}", "nazwa": "x",
                                                  "rodzaj": "bogus"}) for i in range(25)]
    path = _write(tmp_path / "zones.geojson", _features(items))
    args = ("--layer", "parking_zones", "--municipality", "180501_1", "--map", "code=kod",
            "--map", "kind=rodzaj")
    text = _cmd(path, *args)
    assert "rejected 25" in text
    shown = [f"R{i:02d}" for i in range(25) if f"R{i:02d}" in text]
    assert len(shown) == 20 and "5 more" in text
    text = _cmd(path, *args, verbosity=2)
    assert all(f"R{i:02d}" in text for i in range(25))


def test_every_problem_of_a_row_is_reported(tmp_path, make_municipality):
    make_municipality()
    data = _features([((0, 0), {"kod": "OK", "rodzaj": "ordinary"}),
                      ((200, 0), {"kod": "BAD", "rodzaj": "bogus"})])
    data["features"][1]["geometry"] = {"type": "Point", "coordinates": [E0, N0]}
    path = _write(tmp_path / "zones.geojson", data)
    _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1", "--map", "code=kod",
         "--map", "kind=rodzaj")
    issue = ImportIssue.objects.get(kind="rejected")
    assert issue.object_id == "BAD"
    assert "'bogus'" in issue.reason and "no polygon geometry" in issue.reason


def test_duplicate_codes_are_rejected_not_a_database_error(tmp_path, make_municipality):
    make_municipality()
    path = _write(tmp_path / "zones.geojson", _features([
        ((0, 0), {"kod": "P1"}), ((200, 0), {"kod": "P1"}), ((400, 0), {"kod": "P2"})]))
    text = _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1",
                "--map", "code=kod")
    assert "created 2" in text and "rejected 1" in text
    assert "duplicate code 'P1'" in ImportIssue.objects.get(kind="rejected").reason


# ---- the place --------------------------------------------------------------------------------

def test_the_quick_box_test_lies_inside_polands_area():
    """Features inside the rectangle skip the exact test: it must lie inside the area."""
    from shapely import box, wkt

    from importers.place import poland

    ewkt, inner, _text = poland()
    area = wkt.loads(ewkt.split(";", 1)[1])
    assert area.is_valid and area.contains(box(*inner))
    assert box(*inner).area > 0.85 * area.area

def test_features_outside_poland_are_refused_per_object(tmp_path, make_municipality):
    make_municipality()
    madrid = [[-3.70, 40.41], [-3.69, 40.41], [-3.69, 40.42], [-3.70, 40.42], [-3.70, 40.41]]
    jaslo = [[21.47, 49.74], [21.48, 49.74], [21.48, 49.745], [21.47, 49.745], [21.47, 49.74]]
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kod": "MAD"},
         "geometry": {"type": "Polygon", "coordinates": [madrid]}},
        {"type": "Feature", "properties": {"kod": "JAS"},
         "geometry": {"type": "Polygon", "coordinates": [jaslo]}}]}
    path = _write(tmp_path / "zones.geojson", data)
    text = _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1",
                "--map", "code=kod")
    assert "created 1" in text and "rejected 1" in text
    assert list(ParkingZone.objects.values_list("code", flat=True)) == ["JAS"]
    issue = ImportIssue.objects.get(kind="rejected")
    assert issue.object_id == "MAD" and "outside Poland" in issue.reason
    # a file lying wholly abroad: every feature refused, the run fails, nothing changes
    data["features"] = data["features"][:1]
    _write(path, data)
    with pytest.raises(CommandError, match="every one of the 1 features was rejected"):
        _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1", "--map",
             "code=kod")
    assert ParkingZone.objects.filter(retired_at__isnull=True).count() == 1


def test_features_outside_the_known_boundary_beyond_tolerance(tmp_path, make_municipality):
    town = make_municipality()
    # the town's boundary: a 1 km square around the first zone (in 2180)
    zones = gpd.GeoDataFrame(
        {"kod": ["IN", "NEAR", "FAR"]},
        geometry=[Polygon([(x, y), (x + 100, y), (x + 100, y + 100), (x, y + 100)])
                  for x, y in ((JASLO_2180[0] + 100, JASLO_2180[1] + 100),
                               (JASLO_2180[0] + 1_300, JASLO_2180[1] + 100),
                               (JASLO_2180[0] + 3_000, JASLO_2180[1] + 100))], crs=2180)
    town.geom = square(*JASLO_2180, 1_000)
    town.save()
    path = tmp_path / "zones.gpkg"
    zones.to_file(path, driver="GPKG")
    args = ("--layer", "parking_zones", "--municipality", "180501_1", "--map", "code=kod")
    text = _cmd(path, *args)
    assert "created 2" in text and "rejected 1" in text  # NEAR: 300-400 m out, tolerated
    issue = ImportIssue.objects.get(kind="rejected")
    assert issue.object_id == "FAR"
    assert "outside the boundary of 180501_1" in issue.reason and "500 m" in issue.reason
    text = _cmd(path, *args, "--boundary-tolerance", "100")
    assert "rejected 2" in text and "retired 0" in text
    text = _cmd(path, *args, "--boundary-tolerance", "5000")
    assert "created 1" in text and "rejected 0" in text


@pytest.mark.parametrize("teryt", ["ES", "xx", "1805011", "180501_1'; DROP TABLE x; --"])
def test_municipality_must_be_a_teryt_code(tmp_path, make_municipality, teryt):
    make_municipality()
    path = _write(tmp_path / "zones.geojson", _features([((0, 0), {"kod": "P1"})]))
    with pytest.raises(CommandError, match=r"WWPPGG_R"):
        _cmd(path, "--layer", "parking_zones", "--municipality", teryt, "--map", "code=kod")
    assert not ParkingZone.objects.exists()


def test_unknown_municipality_is_refused(tmp_path, make_municipality):
    make_municipality()
    path = _write(tmp_path / "zones.geojson", _features([((0, 0), {"kod": "P1"})]))
    with pytest.raises(CommandError, match="180502_1 is not in the database"):
        _cmd(path, "--layer", "parking_zones", "--municipality", "180502_1", "--map",
             "code=kod")


# ---- formats ----------------------------------------------------------------------------------

def _frame():
    x, y = JASLO_2180
    return gpd.GeoDataFrame({"kod": ["P1"], "nazwa": ["Rynek"]},
                            geometry=[Polygon([(x, y), (x + 90, y), (x + 90, y + 90),
                                               (x, y + 90)])], crs=2180)


@pytest.mark.parametrize("name,driver", [("z.gpkg", "GPKG"), ("z.shp", "ESRI Shapefile"),
                                         ("z.geojson", "GeoJSON"), ("z.gml", "GML"),
                                         ("z.fgb", "FlatGeobuf"), ("z.data", "GPKG")])
def test_documented_formats_are_read_by_content(tmp_path, make_municipality, name, driver):
    make_municipality()
    path = tmp_path / name
    _frame().to_file(path, driver=driver)
    text = _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1",
                "--map", "code=kod", "--map", "name=nazwa")
    assert "created 1" in text
    assert ParkingZone.objects.get().name == "Rynek"


def test_zipped_shapefile(tmp_path, make_municipality):
    make_municipality()
    folder = tmp_path / "shp"
    folder.mkdir()
    _frame().to_file(folder / "strefy.shp", driver="ESRI Shapefile")
    archive = tmp_path / "strefy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    text = _cmd(archive, "--layer", "parking_zones", "--municipality", "180501_1",
                "--map", "code=kod")
    assert "created 1" in text


VRT = """<OGRVRTDataSource>
  <OGRVRTLayer name="zones">
    <SrcDataSource relativeToVRT="1">{src}</SrcDataSource>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


@pytest.mark.parametrize("name", ["zones.vrt", "zones.geojson", "zones.gml", "zones.gpkg"])
def test_gdal_virtual_sources_are_refused_whatever_the_name(tmp_path, make_municipality, name):
    make_municipality()
    _write(tmp_path / "real.geojson", _features([((0, 0), {"kod": "P1"})]))
    path = tmp_path / name
    path.write_text(VRT.format(src="real.geojson"), encoding="utf-8")
    with pytest.raises(CommandError, match="GDAL virtual"):
        _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1", "--map",
             "code=kod")
    assert not ParkingZone.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


@pytest.mark.parametrize("source", ["/vsicurl/http://127.0.0.1:9/zones.geojson",
                                    "/vsizip//tmp/zones.zip/zones.shp", "/vsistdin/",
                                    "GeoJSON:/etc/passwd"])
def test_vsi_and_prefixed_paths_are_refused(make_municipality, source):
    make_municipality()
    with pytest.raises(CommandError, match=r"not a plain file|virtual file system"):
        _cmd(source, "--layer", "parking_zones", "--municipality", "180501_1", "--map",
             "code=kod")
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


@pytest.mark.parametrize("content", [b"kod,nazwa\nP1,Rynek\n", b"\x00\x01binary",
                                     b"<html><body>hello</body></html>", b""])
def test_undocumented_formats_are_refused(tmp_path, make_municipality, content):
    make_municipality()
    path = tmp_path / "zones.geojson"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="not a GeoPackage, Shapefile"):
        _cmd(path, "--layer", "parking_zones", "--municipality", "180501_1", "--map",
             "code=kod")


def test_unexpected_error_leaves_no_run_running(tmp_path, make_municipality, monkeypatch):
    make_municipality()
    path = _write(tmp_path / "zones.geojson", _features([((0, 0), {"kod": "P1"})]))
    import pyogrio

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pyogrio, "read_dataframe", boom)
    monkeypatch.setattr(gpd, "read_file", boom)
    result = import_vector(path, layer="parking_zones", municipality="180501_1",
                           mapping={"code": "kod"})
    run = ImportRun.objects.get(pk=result.run.pk)
    assert run.status == ImportRun.Status.FAILED and "disk on fire" in run.message
    assert run.finished_at is not None
    assert not ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exists()


@pytest.fixture
def http_server():
    """A local HTTP server recording the paths asked of it (a CRS by URL answered)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
                             b'298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",'
                             b'0.0174532925199433]]')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def _linked(tmp_path, url):
    data = _features([((0, 0), {"kod": "P1"})], srid=4326)
    data["features"][0]["geometry"]["coordinates"] = [
        [[21.47, 49.74], [21.48, 49.74], [21.48, 49.745], [21.47, 49.74]]]
    data["crs"] = {"type": "link", "properties": {"href": f"{url}/crs.wkt", "type": "ogcwkt"}}
    return _write(tmp_path / "linked.geojson", data)


def test_a_crs_by_link_is_refused_and_never_fetched(tmp_path, make_municipality, http_server):
    make_municipality()
    url, hits = http_server
    with pytest.raises(CommandError, match="given by link"):
        _cmd(_linked(tmp_path, url), "--layer", "parking_zones", "--municipality", "180501_1",
             "--map", "code=kod")
    assert hits == [] and not ParkingZone.objects.exists()


def test_gdal_reads_offline(tmp_path, http_server, monkeypatch):
    """Whatever a source asks GDAL to fetch, no request leaves: not even where NO_PROXY would
    exempt the address."""
    from importers.vector import Source, _read

    url, hits = http_server
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    _read(Source(str(_linked(tmp_path, url)), "GeoJSON", {}), None)
    assert hits == []
    import os

    assert os.environ["NO_PROXY"] == "127.0.0.1,localhost"  # put back afterwards
