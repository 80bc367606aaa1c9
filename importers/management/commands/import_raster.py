"""Import a GeoTIFF orthophoto or elevation model (any CRS) as a COG in EPSG:2180."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from importers.raster.importer import RasterImportError, import_raster


class Command(BaseCommand):
    help = ("Import a GeoTIFF orthophoto or elevation model: check it, reproject it to "
            "EPSG:2180, store it as a Cloud-Optimised GeoTIFF and register it for tiles.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=["orthophoto", "elevation"])
        parser.add_argument("--municipality", required=True, help="TERYT, e.g. 180501_1")
        parser.add_argument("--name", required=True, help="URL name, e.g. jaslo-orto-2024")
        parser.add_argument("--label", default="", help="label in the layer switcher")
        parser.add_argument("--attribution", default="")
        parser.add_argument("--replace", action="store_true",
                            help="replace a raster of the same name")

    def handle(self, *args, file: Path, kind: str, municipality: str, name: str, label: str,
               attribution: str, replace: bool, **options):
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                desc = {"warp": "reprojecting to EPSG:2180", "cog": "writing COG + overviews"}
                bar = bars[stage] = tqdm(total=total, desc=desc.get(stage, stage), unit="block",
                                         file=self.stderr._out, leave=True)
            bar.update(done - bar.n)

        try:
            raster = import_raster(file, kind=kind, municipality=municipality, name=name,
                                   label=label, attribution=attribution, replace=replace,
                                   progress=progress)
        except RasterImportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"raster {raster.name}: {raster.width}×{raster.height} px, "
            f"{raster.resolution_m:.2f} m/px, {raster.band_count} band(s), "
            f"from {raster.source_crs} → EPSG:2180, stored at {raster.file_path}"))
