"""The year-keyed advertising fee caps (legal-facts §3.1) and the inspections tile function."""

from decimal import Decimal
from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"

CAPS = [
    (2025, Decimal("3.72"), Decimal("0.34"), "M.P. 2024 poz. 716"),
    (2026, Decimal("3.89"), Decimal("0.36"), "M.P. 2025 poz. 726"),
]


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
