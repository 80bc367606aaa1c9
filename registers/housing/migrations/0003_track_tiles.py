from django.db import migrations


class Migration(migrations.Migration):
    """Put the flats table under the tiles' change counter (ETag of cached tiles)."""

    dependencies = [("housing", "0002_tiles_and_standard"), ("tiles", "0001_tile_functions")]

    operations = [
        migrations.RunSQL(
            "SELECT tiles_track('housing_protectedflat');",
            reverse_sql="DROP TRIGGER IF EXISTS tiles_version_bump ON housing_protectedflat;",
        ),
    ]
