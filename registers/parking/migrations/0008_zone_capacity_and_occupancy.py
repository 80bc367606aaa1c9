from pathlib import Path

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

SQL = Path(__file__).resolve().parent.parent / "sql" / "tiles.sql"


class Migration(migrations.Migration):
    """Each zone's paid bays (the occupancy's denominator, data), its recent average occupancy
    for the map, and the occupancy layer's tile function (both tables under the tiles' change
    counter)."""

    dependencies = [
        ("layers", "0003_parcel_number_search_index"),
        ("parking", "0007_operator_channel"),
        ("tiles", "0001_tile_functions"),
    ]

    operations = [
        migrations.CreateModel(
            name="ZoneCapacity",
            fields=[
                ("zone", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                    related_name="capacity", serialize=False, to="layers.parkingzone",
                    verbose_name="zone")),
                ("bays", models.PositiveIntegerField(
                    validators=[django.core.validators.MinValueValidator(1)],
                    verbose_name="paid bays")),
                ("source", models.CharField(blank=True, max_length=200, verbose_name="source")),
            ],
            options={"verbose_name": "zone capacity", "verbose_name_plural": "zone capacities"},
        ),
        migrations.CreateModel(
            name="ZoneOccupancy",
            fields=[
                ("zone", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                    related_name="occupancy", serialize=False, to="layers.parkingzone",
                    verbose_name="zone")),
                ("period_from", models.DateField(verbose_name="from")),
                ("period_to", models.DateField(verbose_name="to")),
                ("paid_hours", models.PositiveIntegerField(verbose_name="paid hours")),
                ("occupancy", models.DecimalField(blank=True, decimal_places=1, max_digits=6,
                                                  null=True,
                                                  verbose_name="average occupancy [%]")),
                ("revenue", models.DecimalField(decimal_places=2, max_digits=12,
                                                verbose_name="operator sessions [zł]")),
                ("computed_at", models.DateTimeField(verbose_name="computed at")),
            ],
            options={"verbose_name": "zone occupancy",
                     "verbose_name_plural": "zone occupancies"},
        ),
        migrations.RunSQL(
            SQL.read_text(),
            reverse_sql="DROP FUNCTION IF EXISTS parking_occupancy_tile(integer, integer, "
                        "integer, bigint[]);"),
        migrations.RunSQL(
            "SELECT tiles_track('parking_zoneoccupancy'); "
            "SELECT tiles_track('parking_zonecapacity');",
            reverse_sql="DROP TRIGGER IF EXISTS tiles_version_bump ON parking_zoneoccupancy; "
                        "DROP TRIGGER IF EXISTS tiles_version_bump ON parking_zonecapacity;"),
    ]
