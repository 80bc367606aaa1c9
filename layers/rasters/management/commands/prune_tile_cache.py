"""Prune the raster tile disk cache to its cap (what the tile view does in the background)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from layers.rasters.tiles import MB, live_folders, prune


class Command(BaseCommand):
    help = ("Delete cached raster tiles of rasters no longer registered, then the least "
            "recently used tiles until the cache takes at most 90 % of its cap.")

    def add_arguments(self, parser):
        parser.add_argument("--max-mb", type=float, default=None,
                            help="cap in MB (MiB); default GEOGMINA_RASTER_TILE_CACHE_MB "
                                 f"({settings.GEOGMINA_RASTER_TILE_CACHE_MB}); 0: no cap")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would be deleted, delete nothing")

    def handle(self, *args, max_mb: float | None, dry_run: bool, **options):
        if max_mb is None:
            max_mb = settings.GEOGMINA_RASTER_TILE_CACHE_MB
        if max_mb < 0:
            raise CommandError("--max-mb must be 0 (no cap) or more")
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            bar = bars.get(stage)
            if bar is None:
                desc = {"scan": "scanning", "delete": "deleting"}[stage]
                bar = bars[stage] = tqdm(total=total, desc=desc, unit="file",
                                         file=self.stderr._out, leave=True)
            bar.update(done - bar.n)

        try:
            report = prune(int(max_mb * MB) or None, live_folders(), dry_run=dry_run,
                           progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(report.summary())
