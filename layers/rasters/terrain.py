"""Terrain for inspectors: ground height and line of sight over the elevation model.

Heights are bilinear on the DEM grid (pixel centres). A sight line runs from a viewpoint's eye
(ground + eye height) to the top of a proposed object (ground + object height); the terrain is
sampled every half pixel along it, raised by the Earth's curvature less refraction (k = 0.13, the
surveyors' standard), and the object is visible when no sample reaches the line. Buildings and
trees are not in a DEM (a terrain model), so the answer is "visible over bare ground": what the
landscape rules protect is the view's terrain, and obstacles change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
from django.contrib.gis.geos import Point
from rasterio.enums import Resampling
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from layers.domain.srid import STORAGE_SRID
from layers.rasters.models import ProtectedViewpoint, Raster

EARTH_RADIUS_M = 6_371_000.0
REFRACTION = 0.13
MAX_GRID_SIDE = 2048  # a longer sight line is read from a decimated grid (coarser pixels)


class TerrainError(ValueError):
    """No elevation model here, or a bad request (the message says which)."""


@dataclass
class HeightGrid:
    """A window of the DEM in memory: heights (NaN = nodata) and the affine of its pixels."""

    heights: np.ndarray
    transform: Any
    resolution_m: float

    @classmethod
    def read(cls, raster: Raster, xmin: float, ymin: float, xmax: float, ymax: float
             ) -> HeightGrid:
        with rasterio.open(raster.path) as ds:
            res = abs(ds.transform.a)
            col0, row0 = _apply(~ds.transform, xmin, ymax)
            col1, row1 = _apply(~ds.transform, xmax, ymin)
            c0, r0 = max(0, math.floor(col0) - 2), max(0, math.floor(row0) - 2)
            c1, r1 = min(ds.width, math.ceil(col1) + 2), min(ds.height, math.ceil(row1) + 2)
            if c1 <= c0 or r1 <= r0:
                raise TerrainError("the elevation model does not cover this place")
            win = Window(c0, r0, c1 - c0, r1 - r0)
            factor = max(1.0, max(win.width, win.height) / MAX_GRID_SIDE)
            shape = (max(2, round(win.height / factor)), max(2, round(win.width / factor)))
            data = ds.read(1, window=win, out_shape=shape, masked=True,
                           resampling=Resampling.bilinear)
            transform = window_transform(win, ds.transform) @ ds.transform.scale(
                win.width / shape[1], win.height / shape[0]) if factor > 1 else \
                window_transform(win, ds.transform)
        heights = np.ma.filled(data.astype(np.float64), np.nan)
        return cls(heights=heights, transform=transform, resolution_m=res * factor)

    def sample(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Bilinear heights at points (metres, EPSG:2180); NaN outside or next to nodata."""
        inv = ~self.transform
        cols, rows = _apply(inv, np.asarray(xs, float), np.asarray(ys, float))
        cols, rows = np.asarray(cols) - 0.5, np.asarray(rows) - 0.5  # pixel centres
        h, w = self.heights.shape
        c0 = np.floor(cols).astype(int)
        r0 = np.floor(rows).astype(int)
        fc, fr = cols - c0, rows - r0
        inside = (c0 >= 0) & (r0 >= 0) & (c0 + 1 < w) & (r0 + 1 < h)
        c0c, r0c = np.clip(c0, 0, w - 2), np.clip(r0, 0, h - 2)
        values = np.stack([self.heights[r0c, c0c], self.heights[r0c, c0c + 1],
                           self.heights[r0c + 1, c0c], self.heights[r0c + 1, c0c + 1]])
        weights = np.stack([(1 - fc) * (1 - fr), fc * (1 - fr), (1 - fc) * fr, fc * fr])
        # a nodata neighbour spoils the value only if it carries weight
        spoiled = (np.isnan(values) & (weights > 0)).any(axis=0)
        z = (np.nan_to_num(values) * weights).sum(axis=0)
        return np.where(inside & ~spoiled, z, np.nan)


def _apply(t: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """An affine on scalars or arrays (written out: affine's ``*`` is being deprecated)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def elevation_model_at(x: float, y: float) -> Raster | None:
    """The finest elevation model whose footprint holds the point (EPSG:2180)."""
    point = Point(x, y, srid=STORAGE_SRID)
    return (Raster.objects.filter(kind=Raster.Kind.ELEVATION, footprint__intersects=point)
            .order_by("resolution_m", "-created").first())


def point_json(east: float, north: float, digits: int = 2) -> dict[str, Any]:
    """A point of EPSG:2180 in the app's one axis convention: X the northing, Y the easting."""
    return {"x_northing": round(north, digits), "y_easting": round(east, digits),
            "srid": STORAGE_SRID}


def ground_height(x: float, y: float, raster: Raster | None = None) -> float | None:
    """Ground height [m] at a point in EPSG:2180, bilinear; None where no DEM has a value."""
    raster = raster or elevation_model_at(x, y)
    if raster is None:
        return None
    grid = HeightGrid.read(raster, x, y, x, y)
    value = float(grid.sample(np.array([x]), np.array([y]))[0])
    return None if math.isnan(value) else value


@dataclass
class SightLine:
    """The answer for one viewpoint → object pair."""

    visible: bool
    distance_m: float
    eye_z: float
    target_base_z: float
    target_top_z: float
    clearance_m: float  # smallest gap between the sight line and the terrain (negative: hidden)
    obstruction: tuple[float, float, float] | None  # x, y, terrain height where it is worst
    min_visible_height_m: float  # the object becomes visible above this height
    samples: int
    complete: bool  # False if part of the profile had no height (nodata)
    profile: list[tuple[float, float]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "visible": self.visible, "distance_m": round(self.distance_m, 1),
            "eye_z": round(self.eye_z, 2), "target_base_z": round(self.target_base_z, 2),
            "target_top_z": round(self.target_top_z, 2),
            "clearance_m": round(self.clearance_m, 2),
            "obstruction": None if self.obstruction is None else {
                **point_json(self.obstruction[0], self.obstruction[1]),
                "height_m": round(self.obstruction[2], 2)},
            "min_visible_height_m": round(self.min_visible_height_m, 2),
            "samples": self.samples, "complete": self.complete,
        }


def line_of_sight(grid: HeightGrid, viewer: tuple[float, float], eye_height: float,
                  target: tuple[float, float], target_height: float,
                  refraction: float = REFRACTION) -> SightLine:
    """Whether the top of an object of ``target_height`` at ``target`` is seen from ``viewer``."""
    (x0, y0), (x1, y1) = viewer, target
    base = grid.sample(np.array([x0, x1]), np.array([y0, y1]))
    if np.isnan(base).any():
        raise TerrainError("the elevation model has no height at the viewpoint or the object")
    eye_z = float(base[0]) + eye_height
    target_base = float(base[1])
    top_z = target_base + target_height
    dist = math.hypot(x1 - x0, y1 - y0)
    step = max(grid.resolution_m / 2, 0.25)
    n = max(2, math.ceil(dist / step))
    t = np.linspace(0.0, 1.0, n + 1)[1:-1]
    if t.size == 0 or dist == 0:
        return SightLine(True, dist, eye_z, target_base, top_z, math.inf, None, 0.0, 0, True)
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    s = t * dist
    terrain = grid.sample(xs, ys)
    complete = not np.isnan(terrain).any()
    # The sight line is straight; the Earth bends away under it, refraction bends light back.
    bulge = s * (dist - s) * (1 - refraction) / (2 * EARTH_RADIUS_M)
    effective = terrain + bulge
    line_z = eye_z + (top_z - eye_z) * t
    gap = line_z - effective
    known = ~np.isnan(gap)
    if not known.any():
        raise TerrainError("the elevation model has no height along the sight line")
    worst = int(np.nanargmin(gap))
    clearance = float(gap[worst])
    # The object top must clear every sample: z_top ≥ eye + (terrain − eye)·D/s at each s.
    needed = np.nanmax(eye_z + (effective[known] - eye_z) * dist / s[known])
    min_height = max(0.0, float(needed) - target_base)
    visible = clearance > 0
    return SightLine(
        visible=visible, distance_m=dist, eye_z=eye_z, target_base_z=target_base,
        target_top_z=top_z, clearance_m=clearance,
        obstruction=None if visible else (float(xs[worst]), float(ys[worst]),
                                          float(terrain[worst])),
        min_visible_height_m=min_height, samples=int(t.size), complete=complete,
        profile=list(zip(s.tolist(), terrain.tolist(), strict=True)))


def viewpoints_near(x: float, y: float, municipality_ids: set[int] | None = None,
                    area: Any = None) -> list[ProtectedViewpoint]:
    """Viewpoints whose range reaches the point, optionally of one landscape area."""
    qs = ProtectedViewpoint.objects.select_related("landscape_area")
    if municipality_ids is not None:
        qs = qs.filter(landscape_area__municipality_id__in=municipality_ids)
    if area is not None:
        qs = qs.filter(landscape_area=area)
    point = Point(x, y, srid=STORAGE_SRID)
    return [vp for vp in qs.order_by("id") if vp.point.distance(point) <= vp.max_distance_m]


def visibility(x: float, y: float, object_height: float, *,
               municipality_ids: set[int] | None = None, area: Any = None) -> dict[str, Any]:
    """Is an object of ``object_height`` [m] at (x, y) (EPSG:2180) seen from protected
    viewpoints? One sight line per viewpoint in range; ``visible`` if any sees it."""
    if not (0 < object_height <= 1000):
        raise TerrainError("object height must be between 0 and 1000 m")
    raster = elevation_model_at(x, y)
    if raster is None:
        raise TerrainError("no elevation model covers this point")
    points = viewpoints_near(x, y, municipality_ids, area)
    results = []
    ground = ground_height(x, y, raster)
    for vp in points:
        xs = [x, vp.point.x]
        ys = [y, vp.point.y]
        grid = HeightGrid.read(raster, min(xs), min(ys), max(xs), max(ys))
        entry: dict[str, Any] = {
            "id": vp.pk, "name": vp.name, "landscape_area": vp.landscape_area.code,
            "landscape_area_id": vp.landscape_area_id,
            "viewpoint": point_json(vp.point.x, vp.point.y), "eye_height_m": vp.eye_height_m,
        }
        try:
            entry.update(line_of_sight(grid, (vp.point.x, vp.point.y), vp.eye_height_m,
                                       (x, y), object_height).as_dict())
        except TerrainError as exc:
            entry.update(visible=None, error=str(exc))
        results.append(entry)
    return {
        "point": point_json(x, y),
        "ground_m": None if ground is None else round(ground, 2),
        "object_height_m": object_height,
        "elevation_model": raster.name,
        "visible": any(r.get("visible") for r in results),
        "viewpoints": results,
    }
