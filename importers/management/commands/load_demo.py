"""Load the demo town. Until the EGiB importer and the town generator land (issue 3), a small
grid of parcels around Jasło's centre, so that `make run` already ends in a working map."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management.base import BaseCommand
from django.db import transaction

from layers.models import Municipality, Parcel, Precinct


class Command(BaseCommand):
    help = "Load the demo town (only into an empty database with --if-empty)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true")
        parser.add_argument("--parcels", type=int, default=400)

    @transaction.atomic
    def handle(self, *args, if_empty: bool, parcels: int, **options):
        if if_empty and Parcel.objects.exists():
            self.stdout.write("demo: the database already holds parcels; nothing loaded")
            return
        town, _ = Municipality.objects.get_or_create(teryt="180501_1",
                                                     defaults={"name": "Jasło"})
        precinct, _ = Precinct.objects.get_or_create(
            teryt="180501_1.0001", defaults={"municipality": town, "name": "Jasło 1",
                                             "source_namespace": "demo", "local_id": "0001"})
        x0, y0, size = 677_400.0, 211_000.0, 30.0
        side = max(1, int(parcels ** 0.5))
        rows = []
        for i in range(parcels):
            x, y = x0 + (i % side) * size, y0 + (i // side) * size
            poly = Polygon(((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)),
                           srid=2180)
            rows.append(Parcel(municipality=town, precinct=precinct,
                               cadastral_id=f"180501_1.0001.{i + 1}", number=str(i + 1),
                               legal_area_m2=size * size, source_namespace="demo",
                               local_id=f"demo-{i + 1}", version_id="1",
                               geom=MultiPolygon(poly, srid=2180)))
        Parcel.objects.bulk_create(rows)
        self.stdout.write(f"demo: {len(rows)} parcels loaded")
