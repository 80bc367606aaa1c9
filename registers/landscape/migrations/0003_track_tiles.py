from django.db import migrations


class Migration(migrations.Migration):
    """Put the inspections table under the tiles' change counter (ETag of cached tiles)."""

    dependencies = [("landscape", "0002_parameters_and_tiles"), ("tiles", "0001_tile_functions")]

    operations = [
        migrations.RunSQL(
            "SELECT tiles_track('landscape_inspection');",
            reverse_sql="DROP TRIGGER IF EXISTS tiles_version_bump ON landscape_inspection;",
        ),
    ]
