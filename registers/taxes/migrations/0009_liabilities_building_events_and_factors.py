"""Re-create taxes_object_liabilities with the building events of art. 6 ust. 2 UPOL, and add
the art. 4 ust. 5 UPR conversion factors (UNCONFIRMED data, see data.py) that are missing."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


def seed_factors(apps, schema_editor):
    from registers.taxes import data

    factor = apps.get_model("taxes", "ConversionFactor")
    for district, ofu, soil_class, value in data.CONVERSION_FACTORS:
        factor.objects.get_or_create(district=district, ofu=ofu, soil_class=soil_class,
                                     defaults={"factor": value})


class Migration(migrations.Migration):
    dependencies = [("taxes", "0008_decisions_rural_land_obligation_events")]
    operations = [
        migrations.RunSQL((SQL / "liabilities.sql").read_text(), migrations.RunSQL.noop),
        migrations.RunPython(seed_factors, migrations.RunPython.noop),
    ]
