"""Rasters (orthophotos, elevation models): registry, XYZ tiles, terrain queries."""
