"""Outside data into ``layers`` (and registers where the source carries it)."""
