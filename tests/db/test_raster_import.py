"""Raster import: a reprojected GeoTIFF lands where it should, bad files register nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from django.core.management import CommandError, call_command
from pyproj import Transformer
from rasterio.transform import from_origin

from importers.raster.importer import RasterImportError, import_raster
from layers.rasters.models import Raster

pytestmark = pytest.mark.django_db

# A surveyed-style reference: Jasło market square, lon 21.4738 E, lat 49.7454 N.
LON, LAT = 21.4738, 49.7454


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def write_marker_tiff(path: Path, crs: int, pixel: float, size: int = 700) -> tuple[float, float]:
    """A grey RGB GeoTIFF in ``crs`` with a 5×5 px red marker centred on (LON, LAT)."""
    to_src = Transformer.from_crs(4326, crs, always_xy=True)
    mx, my = to_src.transform(LON, LAT)
    left, top = mx - size / 2 * pixel, my + size / 2 * pixel
    data = np.full((3, size, size), 120, dtype="uint8")
    c = size // 2
    data[:, c - 2:c + 3, c - 2:c + 3] = np.array([230, 10, 10], dtype="uint8")[:, None, None]
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3,
                       dtype="uint8", crs=f"EPSG:{crs}",
                       transform=from_origin(left, top, pixel, pixel)) as ds:
        ds.write(data)
    return mx, my


@pytest.mark.parametrize(("crs", "pixel"), [(2178, 1.0), (4326, 0.00001)])
def test_reprojected_geotiff_puts_a_pixel_on_its_coordinate(tmp_path, make_municipality, crs,
                                                            pixel):
    town = make_municipality()
    src = tmp_path / f"marker-{crs}.tif"
    write_marker_tiff(src, crs, pixel)
    raster = import_raster(src, kind="orthophoto", municipality=town.teryt, name=f"m{crs}")

    x, y = Transformer.from_crs(4326, 2180, always_xy=True).transform(LON, LAT)
    assert raster.source_crs == f"EPSG:{crs}"
    assert raster.band_count == 3 and raster.dtype == "uint8"
    assert raster.footprint.srid == 2180
    assert raster.footprint.contains(_point(x, y))
    with rasterio.open(raster.path) as ds:
        assert ds.crs.to_epsg() == 2180
        assert ds.profile["tiled"] and ds.overviews(1), "a COG has tiles and overviews"
        r, g, b = (int(v) for v in next(ds.sample([(x, y)])))
        assert r > 180 and g < 80 and b < 80, f"marker not at its coordinate: {(r, g, b)}"
        # one metre-ish away from the 5 px marker the image is grey again
        far = next(ds.sample([(x + 8, y + 8)]))
        assert abs(int(far[0]) - 120) < 25


def _point(x: float, y: float):
    from django.contrib.gis.geos import Point

    return Point(x, y, srid=2180)


def test_elevation_keeps_heights_and_nodata(tmp_path, make_municipality):
    town = make_municipality()
    src = tmp_path / "dem.tif"
    to_src = Transformer.from_crs(4326, 2178, always_xy=True)
    mx, my = to_src.transform(LON, LAT)
    heights = np.linspace(200, 300, 100 * 100, dtype="float32").reshape(100, 100)
    heights[:10, :10] = -32767
    with rasterio.open(src, "w", driver="GTiff", width=100, height=100, count=1,
                       dtype="float32", crs="EPSG:2178", nodata=-32767,
                       transform=from_origin(mx - 250, my + 250, 5, 5)) as ds:
        ds.write(heights, 1)
    raster = import_raster(src, kind="elevation", municipality=town, name="dem")
    assert raster.nodata == -32767
    x, y = Transformer.from_crs(4326, 2180, always_xy=True).transform(LON, LAT)
    with rasterio.open(raster.path) as ds:
        value = next(ds.sample([(x, y)]))[0]
    assert 240 < value < 260  # the centre of a 200→300 ramp


def test_command_imports_and_reports(tmp_path, make_municipality, capsys):
    make_municipality()
    src = tmp_path / "ortho.tif"
    write_marker_tiff(src, 2178, 1.0)
    call_command("import_raster", str(src), kind="orthophoto", municipality="180501_1",
                 name="orto")
    out = capsys.readouterr()
    assert "EPSG:2178 → EPSG:2180" in out.out
    assert "reprojecting" in out.err  # progress bar
    assert Raster.objects.get(name="orto").path.is_file()


def _bad(name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    if name == "text.tif":
        path.write_text("this is not a raster\n" * 50)
    elif name == "empty.tif":
        path.write_bytes(b"")
    elif name == "nocrs.tif":
        with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=1,
                           dtype="uint8", transform=from_origin(600000, 250000, 1, 1)) as ds:
            ds.write(np.zeros((1, 50, 50), dtype="uint8"))
    elif name == "truncated.tif":
        good = tmp_path / "good.tif"
        with rasterio.open(good, "w", driver="GTiff", width=400, height=400, count=3,
                           dtype="uint8", crs="EPSG:2180", compress="deflate",
                           transform=from_origin(600000, 250000, 1, 1)) as ds:
            ds.write(np.random.default_rng(1).integers(0, 255, (3, 400, 400), dtype="uint8"))
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif name == "two_bands.tif":
        with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=2,
                           dtype="uint8", crs="EPSG:2180",
                           transform=from_origin(600000, 250000, 1, 1)) as ds:
            ds.write(np.zeros((2, 50, 50), dtype="uint8"))
    elif name == "absurd_pixel.tif":
        with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=3,
                           dtype="uint8", crs="EPSG:2180",
                           transform=from_origin(600000, 250000, 5000, 5000)) as ds:
            ds.write(np.zeros((3, 50, 50), dtype="uint8"))
    elif name == "abroad.tif":  # valid, but in the middle of the Atlantic
        with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=3,
                           dtype="uint8", crs="EPSG:4326",
                           transform=from_origin(-30, 40, 0.0001, 0.0001)) as ds:
            ds.write(np.zeros((3, 50, 50), dtype="uint8") + 9)
    elif name == "png.png":
        with rasterio.open(path, "w", driver="PNG", width=50, height=50, count=3,
                           dtype="uint8") as ds:
            ds.write(np.zeros((3, 50, 50), dtype="uint8"))
    return path


@pytest.mark.parametrize(("name", "message"), [
    ("text.tif", "not a raster"),
    ("empty.tif", "empty"),
    ("nocrs.tif", "no coordinate reference system"),
    ("truncated.tif", "corrupt or truncated"),
    ("two_bands.tif", "1, 3 or 4 bands"),
    ("absurd_pixel.tif", "absurd pixel size"),
    ("abroad.tif", "outside Poland"),
    ("png.png", "unsupported format PNG"),
])
def test_bad_files_register_nothing(tmp_path, make_municipality, media, name, message):
    make_municipality()
    path = _bad(name, tmp_path)
    with pytest.raises(RasterImportError, match=message):
        import_raster(path, kind="orthophoto", municipality="180501_1", name="bad")
    assert not Raster.objects.exists()
    leftovers = [p for p in (media / "rasters").rglob("*") if p.is_file()] \
        if (media / "rasters").exists() else []
    assert leftovers == []


def test_command_names_the_problem(tmp_path, make_municipality):
    make_municipality()
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_raster", str(tmp_path / "missing.tif"), kind="orthophoto",
                     municipality="180501_1", name="x")
    src = tmp_path / "o.tif"
    write_marker_tiff(src, 2180, 1.0)
    with pytest.raises(CommandError, match="unknown municipality"):
        call_command("import_raster", str(src), kind="orthophoto", municipality="999999_9",
                     name="x")
    with pytest.raises(CommandError, match="exactly 1 band"):
        call_command("import_raster", str(src), kind="elevation", municipality="180501_1",
                     name="x")
    assert not Raster.objects.exists()


def test_same_name_needs_replace(tmp_path, make_municipality):
    make_municipality()
    src = tmp_path / "o.tif"
    write_marker_tiff(src, 2180, 1.0)
    first = import_raster(src, kind="orthophoto", municipality="180501_1", name="o")
    with pytest.raises(RasterImportError, match="--replace"):
        import_raster(src, kind="orthophoto", municipality="180501_1", name="o")
    second = import_raster(src, kind="orthophoto", municipality="180501_1", name="o",
                           replace=True)
    assert Raster.objects.count() == 1 and second.file_path != first.file_path


def test_rgba_and_grey_orthophotos(tmp_path, make_municipality):
    """The alpha band becomes the validity mask (footprint); a grey photo keeps one band."""
    make_municipality()
    rgba = np.full((4, 600, 600), 150, dtype="uint8")
    rgba[3, :, 300:] = 0  # the east half is transparent: outside the photo
    src = tmp_path / "rgba.tif"
    with rasterio.open(src, "w", driver="GTiff", width=600, height=600, count=4, dtype="uint8",
                       crs="EPSG:2180", transform=from_origin(677_000, 212_000, 1, 1)) as ds:
        ds.write(rgba)
    raster = import_raster(src, kind="orthophoto", municipality="180501_1", name="rgba")
    assert raster.band_count == 3
    assert raster.footprint.area == pytest.approx(300 * 600, rel=0.05)
    assert raster.footprint.contains(_point(677_100, 211_700))
    assert not raster.footprint.contains(_point(677_500, 211_700))
    grey = tmp_path / "grey.tif"
    with rasterio.open(grey, "w", driver="GTiff", width=600, height=600, count=1,
                       dtype="uint8", crs="EPSG:2180",
                       transform=from_origin(677_000, 212_000, 1, 1)) as ds:
        ds.write(np.full((1, 600, 600), 90, dtype="uint8"))
    raster = import_raster(grey, kind="orthophoto", municipality="180501_1", name="grey")
    assert raster.band_count == 1
    with rasterio.open(raster.path) as ds:
        assert abs(int(next(ds.sample([(677_300, 211_700)]))[0]) - 90) <= 2


def test_elevation_without_nodata_gets_one(tmp_path, make_municipality):
    make_municipality()
    src = tmp_path / "dem.tif"
    with rasterio.open(src, "w", driver="GTiff", width=50, height=50, count=1, dtype="int16",
                       crs="EPSG:2178",
                       transform=from_origin(7_533_000, 5_512_000, 10, 10)) as ds:
        ds.write(np.full((1, 50, 50), 250, dtype="int16"))
    raster = import_raster(src, kind="elevation", municipality="180501_1", name="dem16")
    assert raster.nodata == -9999 and raster.dtype == "float32"
    with rasterio.open(raster.path) as ds:
        values = ds.read(1, masked=True)
    assert values.count() > 0 and float(values.max()) == pytest.approx(250)
