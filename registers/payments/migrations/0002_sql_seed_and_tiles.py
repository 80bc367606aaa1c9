"""The allocation and tile functions (registers/payments/sql), the one tax-status function with
the tax_status tile re-created over it (registers/taxes/sql/tax_status_tile.sql), the event
sequence ordering charges and payments for the replay, the seeded yearly numbers, and the
charges table under the tiles' change counter."""

from pathlib import Path

from django.db import migrations

HERE = Path(__file__).resolve().parent.parent
SQL = HERE / "sql"
TAXES_SQL = HERE.parent / "taxes" / "sql"


def seed(apps, schema_editor):
    from registers.payments import data

    InterestRate = apps.get_model("payments", "InterestRate")
    PaymentParameters = apps.get_model("payments", "PaymentParameters")
    for valid_from, percent in data.INTEREST_RATES:
        InterestRate.objects.get_or_create(valid_from=valid_from, defaults={
            "annual_percent": percent, "source": data.INTEREST_RATES_NOTE})
    for year, values in data.PARAMETERS.items():
        PaymentParameters.objects.get_or_create(year=year, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("taxes", "0007_case_version"),
                    ("tiles", "0001_tile_functions")]
    operations = [
        migrations.RunSQL("CREATE SEQUENCE IF NOT EXISTS payments_event_seq;",
                          "DROP SEQUENCE IF EXISTS payments_event_seq;"),
        # room on each page so the allocation's updates stay on the page (HOT, no index write)
        migrations.RunSQL("ALTER TABLE payments_charge SET (fillfactor = 70);"
                          "ALTER TABLE payments_payment SET (fillfactor = 80);",
                          "ALTER TABLE payments_charge RESET (fillfactor);"
                          "ALTER TABLE payments_payment RESET (fillfactor);"),
        migrations.RunSQL((SQL / "allocate.sql").read_text(),
                          "DROP FUNCTION IF EXISTS payments_allocate(bigint);"
                          "DROP FUNCTION IF EXISTS payments_rate_days(date, date);"),
        migrations.RunSQL((SQL / "tiles.sql").read_text(),
                          "DROP FUNCTION IF EXISTS payments_arrears_precinct_tile(integer, "
                          "integer, integer, bigint[]);"),
        migrations.RunSQL((TAXES_SQL / "tax_status_tile.sql").read_text(),
                          "DROP FUNCTION IF EXISTS taxes_parcel_tax_status(bigint, text, date);"),
        migrations.RunSQL("SELECT tiles_track('payments_charge');",
                          "DROP TRIGGER IF EXISTS tiles_version_bump ON payments_charge;"),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
