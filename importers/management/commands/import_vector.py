"""``python manage.py import_vector FILE --layer parking_zones|landscape_areas --municipality
TERYT --map code=kod --map name=nazwa --map kind=rodzaj`` (or ``--mapping mapping.json``)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers.models import ImportRun
from importers.vector import LAYERS, VectorImportError, import_vector, parse_mapping


class Command(BaseCommand):
    help = "Import paid-parking zones or landscape areas from GeoPackage/Shapefile/GeoJSON."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--layer", required=True, choices=sorted(LAYERS))
        parser.add_argument("--municipality", required=True, metavar="TERYT")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="our field = the source's column (or FIELD==constant)")
        parser.add_argument("--mapping", type=Path, help="a JSON object {field: column}")
        parser.add_argument("--source-layer", help="layer inside a multi-layer source")

    def handle(self, *args, file, layer, municipality, map, mapping, source_layer, **options):
        try:
            fields = {}
            if mapping:
                fields.update(json.loads(mapping.read_text(encoding="utf-8")))
            fields.update(parse_mapping(map))
        except (VectorImportError, OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"bad mapping: {exc}") from exc
        run = import_vector(file, layer=layer, municipality=municipality, mapping=fields,
                            source_layer=source_layer).run
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"{file}: {run.message}")
        self.stdout.write(self.style.SUCCESS(
            f"{file}: {layer}: created {run.created}, updated {run.updated}, unchanged "
            f"{run.unchanged}, retired {run.retired}, rejected {run.rejected} [run #{run.pk}]"))
