from django.db import migrations

TABLES = ["leases_lease", "leases_propertyoverride", "leases_investmentoffer"]


class Migration(migrations.Migration):
    """Put the register's tables under the tiles' change counter (ETag of cached tiles)."""

    dependencies = [("leases", "0002_tiles"), ("tiles", "0001_tile_functions")]

    operations = [
        migrations.RunSQL(
            "".join(f"SELECT tiles_track('{t}');" for t in TABLES),
            reverse_sql="".join(f"DROP TRIGGER IF EXISTS tiles_version_bump ON {t};"
                                for t in TABLES),
        ),
    ]
