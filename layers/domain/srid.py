"""Coordinate reference systems used by geogmina."""

from __future__ import annotations

# PL-1992 (ETRF2000-PL / CS92): metres, valid for all of Poland. Every geometry is stored in it.
STORAGE_SRID = 2180
WEB_MERCATOR_SRID = 3857
WGS84_SRID = 4326
ETRS89_SRID = 4258
# PL-2000 zones 5–8 (central meridians 15, 18, 21, 24 °E); the six first towns lie in zone 7.
PL2000_SRIDS = (2176, 2177, 2178, 2179)
# CRSs the OGC API offers besides WGS 84 (CRS84).
OUTPUT_SRIDS = (STORAGE_SRID, *PL2000_SRIDS)


def pl2000_zone_srid(easting: float) -> int | None:
    """The PL-2000 zone from an easting's leading digit (5 → 2176 … 8 → 2179), or None."""
    zone = int(easting // 1_000_000)
    return {5: 2176, 6: 2177, 7: 2178, 8: 2179}.get(zone)
