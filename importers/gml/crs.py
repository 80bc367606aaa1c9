"""srsName parsing and axis order for GML sources.

GML writers name the CRS in many ways; the order of coordinates follows the *form* of the name:
URN and ``opengis.net/def/crs`` URL forms promise the EPSG axis order (northing first for the
Polish PL-2000/PL-1992 systems, latitude first for geographic ones), whereas the legacy short
``EPSG:NNNN`` and ``…/epsg.xml#NNNN`` forms are written easting/longitude first in practice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS
from pyproj.exceptions import CRSError

from importers.errors import ImportProblem

_EPSG_RE = re.compile(r"epsg(?:\.xml#|[:/](?:[\d.]*[:/])?)(\d+)\s*$", re.IGNORECASE)
_CRS84_RE = re.compile(r"CRS:?84\s*$", re.IGNORECASE)


class UnknownCRSError(ImportProblem, ValueError):
    """The srsName cannot be understood or names a CRS this system cannot transform."""


@dataclass(frozen=True)
class SrsInfo:
    srid: int
    swap: bool  # True: the file writes (northing, easting) / (lat, lon); we need (x, y)
    name: str

    def area_of_use(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) in degrees, or None when PROJ does not know it."""
        return area_of_use(self.srid)


@lru_cache(maxsize=64)
def area_of_use(srid: int) -> tuple[float, float, float, float] | None:
    aou = CRS.from_epsg(srid).area_of_use
    if aou is None:
        return None
    return (aou.west, aou.south, aou.east, aou.north)


@lru_cache(maxsize=64)
def parse_srs_name(name: str) -> SrsInfo:
    """``urn:ogc:def:crs:EPSG::2177`` → SrsInfo(2177, swap=True)."""
    text = name.strip()
    if _CRS84_RE.search(text):
        return SrsInfo(4326, False, text)
    match = _EPSG_RE.search(text)
    if not match:
        raise UnknownCRSError(f"unknown coordinate reference system {text!r}")
    srid = int(match.group(1))
    try:
        crs = CRS.from_epsg(srid)
    except CRSError as exc:
        raise UnknownCRSError(
            f"unknown coordinate reference system {text!r} (EPSG:{srid})") from exc
    lower = text.lower()
    authority_order = lower.startswith("urn:") or "/def/crs/" in lower
    swap = False
    if authority_order and crs.axis_info:
        swap = crs.axis_info[0].direction.lower() in ("north", "south")
    return SrsInfo(srid, swap, text)
