from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"


class Migration(migrations.Migration):
    """The PPP projects' tile function, and the table under the tiles' change counter."""

    dependencies = [("ppp", "0001_project_pipeline"), ("tiles", "0001_tile_functions")]

    operations = [
        migrations.RunSQL(
            SQL.read_text(),
            reverse_sql="DROP FUNCTION IF EXISTS ppp_projects_tile(integer, integer, integer, "
                        "bigint[]);"),
        migrations.RunSQL("SELECT tiles_track('ppp_pppproject');",
                          reverse_sql="DROP TRIGGER IF EXISTS tiles_version_bump "
                                      "ON ppp_pppproject;"),
    ]
