"""Vector tiles: one SQL function per layer (ST_AsMVT), served by a thin view."""
