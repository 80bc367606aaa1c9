from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"


class Migration(migrations.Migration):
    """Re-apply tiles.sql: the leased-areas tile gained ``state`` for the map's colours."""

    dependencies = [("leases", "0003_track_tiles")]

    operations = [migrations.RunSQL(SQL.read_text(), reverse_sql=migrations.RunSQL.noop)]
