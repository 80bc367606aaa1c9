"""Models of this register (filled in by its issue)."""
