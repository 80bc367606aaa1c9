from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"


class Migration(migrations.Migration):
    dependencies = [("leases", "0001_initial"), ("layers", "0001_initial")]

    operations = [
        migrations.RunSQL(
            SQL.read_text(),
            reverse_sql="""
                DROP FUNCTION IF EXISTS leases_leased_areas_tile(integer, integer, integer, bigint[]);
                DROP FUNCTION IF EXISTS leases_municipal_property_tile(integer, integer, integer, bigint[]);
                DROP FUNCTION IF EXISTS leases_investment_offer_tile(integer, integer, integer, bigint[]);
            """,
        ),
    ]
