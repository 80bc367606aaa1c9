"""Landscape resolution register."""
