"""Disk cache of rendered raster tiles.

Tiles are cached under ``<var>/cache/rasters/<raster id>-<file stem>/<style>/z/x/y.<fmt>``: the
file stem changes on every re-import (``name-<random>.tif``), so a replaced raster never serves
stale tiles, and old cache folders can be deleted at will.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings

from layers.rasters.models import Raster
from layers.rasters.render import render_tile


def cache_root() -> Path:
    return Path(settings.GEOGMINA_VAR_DIR) / "cache" / "rasters"


def cache_path(raster: Raster, style: str, z: int, x: int, y: int, fmt: str) -> Path:
    return cache_root() / f"{raster.pk}-{Path(raster.file_path).stem}" / style / str(z) / str(x) \
        / f"{y}.{fmt}"


def get_tile(raster: Raster, style: str, z: int, x: int, y: int, fmt: str
             ) -> tuple[bytes, str, bool]:
    """(bytes, etag, was_cached). Rendered once, then read from disk."""
    path = cache_path(raster, style, z, x, y, fmt)
    try:
        data = path.read_bytes()
        cached = True
    except FileNotFoundError:
        data = render_tile(raster.path, raster.kind, style, z, x, y, fmt)
        _write_atomically(path, data)
        cached = False
    return data, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"', cached


def _write_atomically(path: Path, data: bytes) -> None:
    """Concurrent workers may render the same tile: write a temp file, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
