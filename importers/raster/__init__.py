"""Orthophotos and elevation models via rasterio: check, reproject to EPSG:2180, write a COG."""
