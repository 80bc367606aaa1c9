"""``python manage.py import_vector FILE --layer parking_zones|landscape_areas --municipality
TERYT --map code=kod --map name=nazwa --map kind=rodzaj`` (or ``--mapping mapping.json``)
``[--complete] [--boundary-tolerance METRES]``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers.models import ImportRun
from importers.place import DEFAULT_BOUNDARY_TOLERANCE_M
from importers.vector import FORMATS, LAYERS, VectorImportError, import_vector, parse_mapping

SHOWN_ISSUES = 20


def print_issues(command: BaseCommand, issues, run: ImportRun, verbosity: int) -> None:
    """The first SHOWN_ISSUES issues (all of them at ``-v 2``) and how many were left out."""
    shown = issues if verbosity >= 2 else issues[:SHOWN_ISSUES]
    for issue in shown:
        command.stdout.write(f"  {issue.kind:9} row {issue.line or '-':>6} {issue.object_id}: "
                             f"{issue.reason}")
    if len(issues) > len(shown):
        command.stdout.write(f"  … {len(issues) - len(shown)} more issues (-v 2 prints all; "
                             f"the admin shows import run #{run.pk})")


class Command(BaseCommand):
    help = (f"Import paid-parking zones or landscape areas from a {FORMATS} file "
            "(recognised by content; GDAL virtual sources are refused).")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--layer", required=True, choices=sorted(LAYERS))
        parser.add_argument("--municipality", required=True, metavar="TERYT",
                            help="the municipality's TERYT code WWPPGG_R, e.g. 180501_1")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="our field = the source's column (or FIELD==constant)")
        parser.add_argument("--mapping", type=Path, help="a JSON object {field: column}")
        parser.add_argument("--source-layer", help="layer inside a multi-layer source")
        parser.add_argument("--complete", action="store_true",
                            help="the file is the whole layer: stored features missing from it "
                                 "are retired even when some rows are rejected")
        parser.add_argument("--boundary-tolerance", type=float, metavar="METRES",
                            default=DEFAULT_BOUNDARY_TOLERANCE_M,
                            help="how far a feature may reach outside the municipality's "
                                 "stored boundary (default %(default)g m)")

    def handle(self, *args, file, layer, municipality, map, mapping, source_layer, complete,
               boundary_tolerance, verbosity=1, **options):
        try:
            fields = {}
            if mapping:
                fields.update(json.loads(mapping.read_text(encoding="utf-8")))
            fields.update(parse_mapping(map))
        except (VectorImportError, OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"bad mapping: {exc}") from exc
        result = import_vector(file, layer=layer, municipality=municipality, mapping=fields,
                               source_layer=source_layer, complete=complete,
                               boundary_tolerance_m=boundary_tolerance)
        run = result.run
        print_issues(self, result.issues, run, verbosity)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"{file}: {run.message} [run #{run.pk}]")
        self.stdout.write(self.style.SUCCESS(
            f"{file}: {layer}: created {run.created}, updated {run.updated}, unchanged "
            f"{run.unchanged}, retired {run.retired}, rejected {run.rejected} [run #{run.pk}]"))
        if run.message:
            self.stdout.write(run.message)
