"""``python manage.py import_cadastre FILE… [--municipality TERYT] [--dry-run] [--complete]``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from importers.models import ImportRun
from importers.place import DEFAULT_BOUNDARY_TOLERANCE_M
from importers.services import import_cadastre

SHOWN_ISSUES = 20


class Command(BaseCommand):
    help = ("Import EGiB GML (2015/2021), INSPIRE Cadastral Parcels or county WFS building "
            "files into the spatial register; one transaction per file.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--municipality", metavar="TERYT",
                            help="cadastral unit (WWPPGG_R); default: from the identifiers")
        parser.add_argument("--dry-run", action="store_true",
                            help="do everything, report, then roll back")
        parser.add_argument("--complete", action="store_true",
                            help="the file is a complete extract of its precincts: stored "
                                 "objects missing from it are retired")
        parser.add_argument("--boundary-tolerance", type=float, metavar="METRES",
                            default=DEFAULT_BOUNDARY_TOLERANCE_M,
                            help="how far an object may reach outside the municipality's "
                                 "stored boundary (default %(default)g m)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, files, municipality, dry_run, complete, no_progress,
               boundary_tolerance, verbosity=1, **options):
        failed = 0
        for path in files:
            size = path.stat().st_size if path.exists() else 0
            bar = tqdm(total=None, unit=" features", desc=path.name, disable=no_progress,
                       leave=False, file=self.stderr._out)
            result = import_cadastre(
                path, municipality=municipality, dry_run=dry_run, complete=complete,
                on_batch=bar.update,
                on_phase=lambda phase, bar=bar, name=path.name: bar.set_description_str(
                    f"{name}: {phase}"), boundary_tolerance_m=boundary_tolerance)
            bar.close()
            run = result.run
            style = self.style.ERROR if run.status == ImportRun.Status.FAILED else (
                self.style.SUCCESS)
            self.stdout.write(style(f"{path} ({size / 1e6:.1f} MB): {run.get_status_display()}"
                                    + (f" — {run.message}" if run.message else "")))
            if run.status != ImportRun.Status.FAILED:
                self.stdout.write(
                    f"  created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
                    f"retired {run.retired}, rejected {run.rejected}, history {run.history}"
                    f"  [run #{run.pk}]")
                for label, row in result.counts.items():
                    self.stdout.write("    " + label + ": " + ", ".join(
                        f"{k} {v}" for k, v in row.items() if v))
            else:
                failed += 1
            # the first SHOWN_ISSUES issues (all of them at -v 2), of a failed run too
            shown = result.issues if verbosity >= 2 else result.issues[:SHOWN_ISSUES]
            for issue in shown:
                self.stdout.write(f"  {issue['kind']:9} line {issue['line'] or '-':>6} "
                                  f"{issue['object_id']}: {issue['reason']}")
            if len(result.issues) > len(shown):
                self.stdout.write(f"  … {len(result.issues) - len(shown)} more issues (-v 2 "
                                  f"prints all; the admin shows import run #{run.pk})")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) failed; nothing of them "
                               "was stored")
