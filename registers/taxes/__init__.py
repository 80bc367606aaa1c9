"""Property tax register."""
