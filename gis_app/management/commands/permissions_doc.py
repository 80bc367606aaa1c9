"""Write docs/permissions.md from the rules the views declare."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from gis_app.permissions import matrix_markdown


class Command(BaseCommand):
    help = "Regenerate docs/permissions.md (the permission matrix)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="exit non-zero when the file is stale instead of writing it")

    def handle(self, *args, check: bool, **options):
        path = Path(settings.BASE_DIR) / "docs" / "permissions.md"
        text = matrix_markdown()
        if check:
            if not path.exists() or path.read_text() != text:
                raise SystemExit("docs/permissions.md is stale: run manage.py permissions_doc")
            return
        path.write_text(text)
        self.stdout.write(f"wrote {path}")
