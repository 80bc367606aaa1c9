"""Restore a backup into a new, empty database (see docs/operations.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gis_app.backup import restore


class Command(BaseCommand):
    help = "Restore a pg_dump backup into an existing empty database named --into."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--into", required=True, help="name of the empty target database")

    def handle(self, *args, file: Path, into: str, **options):
        try:
            restore(settings.DATABASES["default"], file, into)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {file} into database {into}")
