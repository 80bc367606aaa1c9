"""Models of the importers (ImportRun and its report)."""
