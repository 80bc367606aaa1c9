"""Protected housing register."""
