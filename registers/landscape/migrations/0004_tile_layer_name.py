"""Rename the MVT layer to the tile layer's name, so the map styles it (styles match by name)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"


class Migration(migrations.Migration):
    dependencies = [("landscape", "0003_track_tiles")]
    operations = [migrations.RunSQL(SQL.read_text(), migrations.RunSQL.noop)]
