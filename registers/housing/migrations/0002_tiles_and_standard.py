import datetime
from decimal import Decimal
from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"


def seed_standard(apps, schema_editor):
    # The draft of the 2023 regulation (legal-facts §5): final values UNCONFIRMED, kept as data.
    HousingStandard = apps.get_model("housing", "HousingStandard")
    HousingStandard.objects.get_or_create(
        valid_from=datetime.date(2023, 11, 1),
        defaults={"max_persons": 6, "min_m2_per_person": Decimal("12"),
                  "source": "draft regulation on training and assisted flats (2023), "
                            "UNCONFIRMED: verify against the published text"})


class Migration(migrations.Migration):
    dependencies = [("housing", "0001_initial"), ("layers", "0001_initial")]

    operations = [
        migrations.RunSQL(
            SQL.read_text(),
            reverse_sql="DROP FUNCTION IF EXISTS housing_flats_tile(integer, integer, integer, bigint[]);",
        ),
        migrations.RunPython(seed_standard, migrations.RunPython.noop),
    ]
