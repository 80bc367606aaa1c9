"""tax_status tile function as PL/pgSQL (plan cached per connection, simplified geometries), and
the register's tables under the tiles' change counter so cached tiles get a correct ETag."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"
TRACKED = ("taxes_taxobject", "taxes_reconciliationcase")


class Migration(migrations.Migration):
    dependencies = [("taxes", "0005_case_kind_orphaned"), ("tiles", "0001_tile_functions")]
    operations = [
        migrations.RunSQL((SQL / "tax_status_tile.sql").read_text(), migrations.RunSQL.noop),
        *[migrations.RunSQL(f"SELECT tiles_track('{table}');",
                            f"DROP TRIGGER IF EXISTS tiles_version_bump ON {table};")
          for table in TRACKED],
    ]
