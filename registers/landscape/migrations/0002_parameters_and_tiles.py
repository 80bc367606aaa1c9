"""The year-keyed advertising fee caps (legal-facts §3.1) and the inspections tile function."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"

from registers.landscape.parameters import FEE_CAPS as CAPS


def seed(apps, schema_editor):
    cap = apps.get_model("landscape", "AdvertisingFeeCap")
    for year, fixed, variable, source in CAPS:
        cap.objects.update_or_create(year=year, defaults={"fixed": fixed, "variable": variable,
                                                          "source": source})


def unseed(apps, schema_editor):
    apps.get_model("landscape", "AdvertisingFeeCap").objects.filter(
        year__in=[c[0] for c in CAPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("landscape", "0001_initial")]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunSQL(
            SQL.read_text(),
            reverse_sql="DROP FUNCTION IF EXISTS landscape_inspections_tile("
                        "integer, integer, integer, bigint[]);",
        ),
    ]
