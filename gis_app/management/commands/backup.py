"""Back up the database to var/backups (or --dir)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from gis_app.backup import backup


class Command(BaseCommand):
    help = "Dump the whole database (pg_dump, custom format)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.GEOGMINA_VAR_DIR / "backups")

    def handle(self, *args, dir: Path, **options):
        path = backup(settings.DATABASES["default"], dir)
        self.stdout.write(f"backup written to {path} ({path.stat().st_size:,} bytes)")
