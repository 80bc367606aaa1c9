"""The spatial register: the one source of truth for geometry."""
