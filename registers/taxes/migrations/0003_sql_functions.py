"""The set-based liabilities function and the tax_status tile function (registers/taxes/sql)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


def _sql(name: str) -> str:
    return (SQL / name).read_text()


class Migration(migrations.Migration):
    dependencies = [("taxes", "0002_seed_yearly_data"), ("layers", "0001_initial")]
    operations = [
        migrations.RunSQL(_sql("liabilities.sql"),
                          "DROP FUNCTION IF EXISTS taxes_object_liabilities(bigint, integer)"),
        migrations.RunSQL(_sql("tax_status_tile.sql"),
                          "DROP FUNCTION IF EXISTS taxes_tax_status_tile(integer, integer, "
                          "integer, bigint[])"),
    ]
