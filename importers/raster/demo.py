"""Demo rasters for the demo town: an orthophoto-like image and an elevation model.

Both are painted from the vector data already in the database when there is some (land-use
contours, buildings, parcels, water) and procedurally otherwise (fields, forest, a river,
built-up blocks), written as GeoTIFFs and then imported through the real raster importer, so
the demo exercises the same checks, warping and COG writing as a real file. The elevation model
is a valley along the river between hills; the orthophoto is lightly shaded by it. At 1 m
(photo) and 5 m (heights) over a few square kilometres both load in a few seconds.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import rasterio
import shapely
from django.contrib.gis.geos import Point, Polygon
from PIL import Image
from rasterio import features
from rasterio.transform import from_origin

from importers.raster.importer import import_raster
from layers.domain.srid import STORAGE_SRID
from layers.models import Building, LandscapeArea, LandUse, Municipality, Parcel
from layers.rasters.models import ProtectedViewpoint, Raster
from layers.rasters.render import hillshade

PHOTO_M = 1.0
DEM_M = 5.0
MAX_SIDE_M = 3_000.0
MARGIN_M = 250.0
FALLBACK_CENTRE = (677_700.0, 211_400.0)  # Jasło, EPSG:2180
WATER = {"W", "Wp", "Ws", "Wsr", "Wm"}
FOREST = {"Ls", "Lz", "Lzr"}
ROADS = {"dr", "Tk"}
BUILT = {"B", "Ba", "Bi", "Bp", "Bz", "K"}
# class codes of the painted image
MEADOW, FIELD, FOREST_C, WATER_C, BUILT_C, ROOF, ROAD = range(7)


def _extent(municipality: Municipality) -> tuple[float, float, float, float]:
    """The town's parcels (or boundary) plus a margin, at most MAX_SIDE_M a side."""
    box = None
    agg = Parcel.objects.filter(municipality=municipality, retired_at__isnull=True)
    if agg.exists():
        from django.contrib.gis.db.models import Extent

        box = agg.aggregate(e=Extent("geom"))["e"]
    elif municipality.geom is not None:
        box = municipality.geom.extent
    if box is None:
        cx, cy = FALLBACK_CENTRE
        box = (cx - 700, cy - 700, cx + 700, cy + 700)
    xmin, ymin, xmax, ymax = box
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w = min(MAX_SIDE_M, xmax - xmin + 2 * MARGIN_M) / 2
    half_h = min(MAX_SIDE_M, ymax - ymin + 2 * MARGIN_M) / 2
    half_w, half_h = max(half_w, 500.0), max(half_h, 500.0)
    # snap to the DEM grid so both rasters share their edges
    xmin = math.floor((cx - half_w) / DEM_M) * DEM_M
    ymax = math.ceil((cy + half_h) / DEM_M) * DEM_M
    return xmin, ymax - 2 * half_h, xmin + 2 * half_w, ymax


def _noise(shape: tuple[int, int], cell: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth value noise 0…1: a coarse random grid resized bicubically."""
    h, w = shape
    coarse = rng.random((max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    image = Image.fromarray(coarse, "F").resize((w + 2 * cell, h + 2 * cell), Image.BICUBIC)
    return np.clip(np.asarray(image)[cell:cell + h, cell:cell + w], 0, 1)


def _shapes(qs, value: int):
    for geom in qs:
        if geom is not None:
            yield shapely.from_wkb(bytes(geom.wkb)), value


def _river(extent: tuple[float, float, float, float], municipality: Municipality
           ) -> shapely.Geometry:
    """The water from the database, else a meandering river across the extent."""
    water = LandUse.objects.filter(municipality=municipality, retired_at__isnull=True,
                                   ofu__in=WATER).values_list("geom", flat=True)
    geoms = [shapely.from_wkb(bytes(g.wkb)) for g in water]
    if geoms:
        return shapely.union_all(geoms)
    xmin, ymin, xmax, ymax = extent
    xs = np.linspace(xmin - 50, xmax + 50, 200)
    ys = ymin + (ymax - ymin) * 0.3 + 60 * np.sin((xs - xmin) / 230) + 25 * np.sin(
        (xs - xmin) / 71)
    return shapely.LineString(np.column_stack([xs, ys])).buffer(9)


def _dem(extent, river: shapely.Geometry, rng: np.random.Generator) -> np.ndarray:
    """Heights [m]: the river at 225 m, valley sides rising gently, hills beyond."""
    xmin, ymin, xmax, ymax = extent
    w, h = round((xmax - xmin) / DEM_M), round((ymax - ymin) / DEM_M)
    cols, rows = np.meshgrid(np.arange(w), np.arange(h))
    xs, ys = xmin + (cols + 0.5) * DEM_M, ymax - (rows + 0.5) * DEM_M
    points = shapely.points(xs.ravel(), ys.ravel())
    dist = shapely.distance(river, points).reshape(h, w)
    heights = 225.0 + 35.0 * (1 - np.exp(-dist / 400.0)) + 0.004 * dist
    for _ in range(9):  # hills, kept off the valley floor
        hx, hy = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if shapely.distance(river, shapely.Point(hx, hy)) < 300:
            continue
        radius, top = rng.uniform(150, 320), rng.uniform(40, 90)
        heights += top * np.exp(-((xs - hx) ** 2 + (ys - hy) ** 2) / (2 * radius ** 2))
    heights += (_noise((h, w), 12, rng) - 0.5) * 3.0
    return heights.astype(np.float32)


def _paint(extent, municipality: Municipality, river: shapely.Geometry,
           dem: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    xmin, ymin, xmax, ymax = extent
    w, h = round((xmax - xmin) / PHOTO_M), round((ymax - ymin) / PHOTO_M)
    transform = from_origin(xmin, ymax, PHOTO_M, PHOTO_M)
    live = {"municipality": municipality, "retired_at__isnull": True}
    # only what can show in the image is read (a big town is larger than the image): the
    # choices between painted and procedural still look at the whole town
    window = {"geom__bboverlaps": Polygon.from_bbox(extent)}
    window["geom__bboverlaps"].srid = STORAGE_SRID
    land = LandUse.objects.filter(**live, kind="use")
    if land.exists():
        classes = np.full((h, w), MEADOW, np.uint8)
        shapes = []
        seen = land.filter(**window)
        for codes, value in ((FOREST, FOREST_C), (BUILT, BUILT_C), (ROADS, ROAD)):
            shapes += _shapes(seen.filter(ofu__in=codes).values_list("geom", flat=True), value)
        shapes += _shapes(seen.filter(ofu__startswith="R").values_list("geom", flat=True),
                          FIELD)
        if shapes:
            features.rasterize(shapes, out=classes, transform=transform)
    else:  # procedural: forest on the far hills, fields between, town around the parcels
        cols, rows = np.meshgrid(np.arange(w), np.arange(h))
        n = _noise((h, w), 300, rng)
        classes = np.where(n > 0.62, FOREST_C, np.where(n > 0.25, FIELD, MEADOW)).astype(
            np.uint8)
        parcels = Parcel.objects.filter(**live, **window).values_list("geom", flat=True)
        built = list(_shapes(parcels, BUILT_C))
        if built or Parcel.objects.filter(**live).exists():
            if built:
                features.rasterize(built, out=classes, transform=transform)
        else:  # blocks of a small town in the middle
            block = ((cols // 90) % 2 == 0) & ((rows // 70) % 2 == 0)
            centre = (np.abs(cols - w / 2) < w / 6) & (np.abs(rows - h / 2) < h / 6)
            classes[block & centre] = BUILT_C
            classes[centre & ((cols % 90 < 8) | (rows % 70 < 8))] = ROAD
    features.rasterize([(river, WATER_C)], out=classes, transform=transform)
    roofs = list(_shapes(Building.objects.filter(**live, **window).values_list(
        "geom", flat=True), ROOF))
    if roofs or Building.objects.filter(**live).exists():
        if roofs:
            features.rasterize(roofs, out=classes, transform=transform)
    elif (classes == BUILT_C).any():  # a house in the middle of each built-up 30 m cell
        cols, rows = np.meshgrid(np.arange(w), np.arange(h))
        house = (cols % 30 > 8) & (cols % 30 < 21) & (rows % 30 > 9) & (rows % 30 < 20)
        classes[(classes == BUILT_C) & house] = ROOF

    # fields: a colour and a furrow direction per 120 m × 80 m plot
    cols, rows = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    plot = ((cols // 120) * 1000 + rows // 80).astype(np.int64)
    hues = rng.random(int(plot.max()) + 1)
    angle = hues[plot] * math.pi
    furrows = 0.5 + 0.5 * np.sin((cols * np.cos(angle) + rows * np.sin(angle)) * 1.4)
    palette = np.array([[150, 170, 90], [190, 175, 110], [120, 150, 70], [205, 195, 140],
                        [105, 125, 60]], np.float32)
    field_rgb = palette[(hues[plot] * len(palette)).astype(int) % len(palette)]
    fine = _noise((h, w), 3, rng)
    coarse = _noise((h, w), 40, rng)
    rgb = np.empty((h, w, 3), np.float32)
    rgb[:] = np.array([110, 150, 80], np.float32) * (0.85 + 0.3 * coarse)[..., None]  # meadow
    m = classes == FIELD
    rgb[m] = field_rgb[m] * (0.9 + 0.12 * furrows[m])[..., None]
    m = classes == FOREST_C
    canopy = _noise((h, w), 4, rng)
    rgb[m] = np.array([45, 80, 40], np.float32) * (0.6 + 0.7 * canopy[m])[..., None]
    m = classes == WATER_C
    rgb[m] = np.array([55, 85, 105], np.float32) * (0.9 + 0.2 * coarse[m])[..., None]
    m = classes == BUILT_C  # yards and gardens
    garden = (_noise((h, w), 10, rng) > 0.45)[m][:, None]
    rgb[m] = (np.array([160, 158, 150], np.float32) * ~garden
              + np.array([95, 135, 70], np.float32) * garden) * (0.85 + 0.25 * fine[m])[:, None]
    m = classes == ROAD
    rgb[m] = np.array([95, 95, 98], np.float32) * (0.9 + 0.15 * fine[m])[..., None]
    m = classes == ROOF
    roof_tint = np.where(hues[plot[m]] > 0.5, 1.0, 0.0)[:, None]
    rgb[m] = (np.array([165, 70, 50], np.float32) * roof_tint
              + np.array([110, 110, 115], np.float32) * (1 - roof_tint))
    # relief: the DEM's hillshade darkens slopes facing away from the light
    shade = hillshade(dem, DEM_M)
    shade_img = Image.fromarray(shade.astype(np.float32), "F").resize((w, h), Image.BILINEAR)
    rgb *= (0.75 + 0.35 * np.asarray(shade_img))[..., None]
    return np.clip(rgb, 0, 255).astype(np.uint8).transpose(2, 0, 1)


def _viewpoints(municipality: Municipality, dem_raster: Raster) -> int:
    """One viewpoint at the highest ground of each landscape area that has none (demo data)."""
    from layers.rasters.terrain import HeightGrid

    made = 0
    for area in LandscapeArea.objects.filter(municipality=municipality,
                                             retired_at__isnull=True)[:5]:
        if area.viewpoints.exists():
            continue
        inside = area.geom.intersection(dem_raster.footprint)
        if inside.empty:
            continue
        grid = HeightGrid.read(dem_raster, *inside.extent)
        xs = np.linspace(inside.extent[0], inside.extent[2], 40)
        ys = np.linspace(inside.extent[1], inside.extent[3], 40)
        gx, gy = np.meshgrid(xs, ys)
        heights = grid.sample(gx.ravel(), gy.ravel())
        best = None
        for i in np.argsort(-np.nan_to_num(heights, nan=-1e9)):
            point = Point(float(gx.ravel()[i]), float(gy.ravel()[i]), srid=STORAGE_SRID)
            if inside.contains(point):
                best = point
                break
        if best is not None:
            ProtectedViewpoint.objects.create(landscape_area=area, name=f"Punkt widokowy "
                                              f"{area.code}", point=best, eye_height_m=1.6)
            made += 1
    return made


def load_demo(municipality: Municipality, seed: int = 8) -> list[Raster]:
    """Generate and import the demo orthophoto and elevation model of ``municipality``."""
    rng = np.random.default_rng(seed)
    extent = _extent(municipality)
    xmin, _, _, ymax = extent
    river = _river(extent, municipality)
    dem = _dem(extent, river, rng)
    photo = _paint(extent, municipality, river, dem, rng)
    slug = municipality.teryt.replace("_", "-").lower()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        dem_path = Path(tmp) / "nmt.tif"
        with rasterio.open(dem_path, "w", driver="GTiff", width=dem.shape[1],
                           height=dem.shape[0], count=1, dtype="float32", crs="EPSG:2180",
                           nodata=-9999, transform=from_origin(xmin, ymax, DEM_M, DEM_M),
                           tiled=True, compress="deflate") as ds:
            ds.write(dem, 1)
        photo_path = Path(tmp) / "orto.tif"
        with rasterio.open(photo_path, "w", driver="GTiff", width=photo.shape[2],
                           height=photo.shape[1], count=3, dtype="uint8", crs="EPSG:2180",
                           transform=from_origin(xmin, ymax, PHOTO_M, PHOTO_M), tiled=True,
                           compress="deflate", photometric="RGB") as ds:
            ds.write(photo)
        attribution = "geogmina demo (synthetic)"
        out.append(import_raster(photo_path, kind="orthophoto", municipality=municipality,
                                 name=f"orto-{slug}", label=f"Ortofotomapa – {municipality.name}",
                                 attribution=attribution, replace=True))
        out.append(import_raster(dem_path, kind="elevation", municipality=municipality,
                                 name=f"nmt-{slug}", label=f"Rzeźba terenu – {municipality.name}",
                                 attribution=attribution, replace=True))
    _viewpoints(municipality, out[1])
    return out
