"""Leaner tiles below z16: feature id and geometry only, on a 1024 grid.

Measured on the 100,000-parcel town: z14 parcel tiles averaged 151 KB with ids, numbers and a
4096 grid (goal < 60 KB). Below z16 a screen pixel is more than a metre, nothing is labelled, and
a click asks the server which plot it hit, so the attributes and the finer grid only cost bytes.
From z16 on the tiles carry the ids and, where the viewer may see them, the details.
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("tiles", "0001_tile_functions")]

    # The functions live in sql/tiles.sql (0001 applies them too on a new database); going back
    # leaves these (compatible) definitions in place; 0001's reverse drops them.
    operations = [migrations.RunSQL((SQL / "tiles.sql").read_text(), migrations.RunSQL.noop)]
