"""map_ui keeps no tables of its own."""
