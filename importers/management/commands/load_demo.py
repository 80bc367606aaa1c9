"""Load the demo town (Jasło) through the real importers, then the registers' demo data.

Writes the EGiB 2021 GML and the GeoPackages under ``var/demo/``, imports them with the same
services as ``import_cadastre`` and ``import_vector``, creates the demo users (DEBUG only) and
calls each register's ``demo.load_demo(municipality)`` hook when that module exists (with the
module's ``DEMO_HOOK_OPTIONS`` as keywords, e.g. the parking demo's simulated activity).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from tqdm import tqdm

from gis_app.accounts.access import grant
from gis_app.accounts.roles import Role
from importers.demo.generator import TERYT, TOWN, DemoTown, write_vector_layers
from importers.demo.timing import PhaseClock
from importers.models import ImportRun
from importers.services import import_cadastre
from importers.vector import import_vector
from layers.models import Municipality, Parcel

# Leases before taxes: the tax demo declares some lessees and plants the rest as untaxed.
DEMO_HOOKS = ["importers.raster.demo", "registers.leases.demo", "registers.taxes.demo",
              "registers.payments.demo",
              "registers.housing.demo", "registers.parking.demo", "registers.landscape.demo",
              "registers.ppp.demo"]
DEMO_USERS = {
    "planista": [Role.PLANNER],
    "urzednik": [Role.PROPERTY_OFFICER],
    "podatki": [Role.TAX_OFFICER],
    "inspektor": [Role.LANDSCAPE_INSPECTOR],
    "kontrola": [Role.PARKING_CONTROLLER],
    "strefa": [Role.PARKING_MANAGER],
    "opieka": [Role.SOCIAL_WELFARE_OFFICER],
    "admin": [Role.ADMINISTRATOR],
}
VECTOR_MAPPING = {"code": "kod", "name": "nazwa", "kind": "rodzaj"}


class Command(BaseCommand):
    help = "Load the demo town Jasło through the real importers (--if-empty: only once)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the demo town already has imported parcels")
        parser.add_argument("--parcels", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=1805)
        parser.add_argument("--no-hooks", action="store_true",
                            help="skip the registers' demo data")
        parser.add_argument("--timings", action="store_true",
                            help="print wall clock, CPU and database CPU per phase")

    def handle(self, *args, if_empty: bool, parcels: int, seed: int, no_hooks: bool,
               timings: bool = False, **options):
        started = time.monotonic()
        self.clock = clock = PhaseClock()
        clock.phase("generating")
        if if_empty and Parcel.objects.filter(municipality__teryt=TERYT,
                                              source_format="egib2021",
                                              retired_at__isnull=True).exists():
            self.stdout.write("demo: Jasło is already loaded; nothing to do")
            return
        town, _ = Municipality.objects.get_or_create(teryt=TERYT, defaults={"name": TOWN})
        if town.name != TOWN:
            town.name = TOWN
            town.save(update_fields=["name"])
        directory = Path(settings.GEOGMINA_VAR_DIR) / "demo"
        generator = DemoTown(parcels=parcels, seed=seed)
        self.stdout.write(f"demo: writing {TOWN} ({parcels} plots) to {directory}/ …")
        gml = generator.write_gml(directory / f"{TERYT}.gml")
        clock.phase("writing the GeoPackages")
        vectors = write_vector_layers(generator, directory)
        self.stdout.write(f"demo: {gml.name} {gml.stat().st_size / 1e6:.1f} MB, "
                          + ", ".join(f"{k} {v}" for k, v in generator.counts.items()))
        bar = tqdm(unit=" features", desc="import", leave=False, file=self.stderr._out)

        def on_phase(phase: str) -> None:
            clock.phase(f"import: {phase}")
            bar.set_description_str(f"import: {phase}")

        clock.phase("import: starting")
        result = import_cadastre(gml, municipality=TERYT, complete=True, on_batch=bar.update,
                                 on_phase=on_phase)
        bar.close()
        clock.phase("vector layers")
        run = result.run
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"demo import failed: {run.message}")
        self.stdout.write(f"demo: cadastre imported: created {run.created}, updated "
                          f"{run.updated}, unchanged {run.unchanged}, retired {run.retired}, "
                          f"rejected {run.rejected}")
        for layer, path in vectors.items():
            vrun = import_vector(path, layer=layer, municipality=TERYT,
                                 mapping=VECTOR_MAPPING).run
            if vrun.status == ImportRun.Status.FAILED:
                raise CommandError(f"demo {layer} import failed: {vrun.message}")
            self.stdout.write(f"demo: {layer}: created {vrun.created}, updated {vrun.updated}")
        clock.phase("boundary")
        with transaction.atomic():
            town.geom = _boundary(town)
            town.save(update_fields=["geom"])
        clock.phase("users")
        if settings.DEBUG:
            self._users(town)
        if not no_hooks:
            clock.phase("statistics")
            _analyze_cadastre()
            self._hooks(town)
        clock.stop()
        if timings:
            self.stdout.write("\n".join(clock.table()))
        self.stdout.write(self.style.SUCCESS(
            f"demo: {TOWN} ready in {time.monotonic() - started:.0f} s"))

    def _users(self, town: Municipality) -> None:
        user_model = get_user_model()
        for username, roles in DEMO_USERS.items():
            user, created = user_model.objects.get_or_create(username=username)
            if created or not user.has_usable_password():
                user.set_password(f"demo-{username}")
            if username == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
            grant(user, town, [r.value for r in roles])
            self.stdout.write(f"demo user: {username} / demo-{username} "
                              f"({', '.join(str(r.label) for r in roles)})")

    def _hooks(self, town: Municipality) -> None:
        failures = []
        for name in DEMO_HOOKS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name and name.startswith(exc.name):
                    continue  # not written yet: skipped silently
                failures.append(f"{name}: {exc}")
                continue
            loader = getattr(module, "load_demo", None)
            if loader is None:
                continue
            started = time.monotonic()
            self.clock.phase(f"hook {name}")
            try:  # options only the demo command passes (the module's DEMO_HOOK_OPTIONS)
                loader(town, **getattr(module, "DEMO_HOOK_OPTIONS", {}))
            except Exception as exc:
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
                self.stderr.write(self.style.ERROR(f"demo: {name} failed: {exc}"))
                continue
            self.stdout.write(f"demo: {name} loaded ({time.monotonic() - started:.1f} s)")
        if failures:
            raise CommandError("demo hooks failed: " + "; ".join(failures))


def _analyze_cadastre() -> None:
    """Fresh planner statistics for the cadastre's tables before the hooks read them.

    The hooks start seconds after the import's commit, before autovacuum (which wakes once a
    minute) can have counted its rows: their joins were planned for near-empty tables."""
    tables = [m._meta.db_table for m in apps.get_app_config("layers").get_models()
              if m._meta.managed and not m._meta.proxy]
    with connection.cursor() as cur:
        cur.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _boundary(town: Municipality):
    from django.contrib.gis.geos import GEOSGeometry

    with connection.cursor() as cur:
        cur.execute("""SELECT ST_AsEWKT(ST_Multi(ST_Buffer(ST_Buffer(ST_Union(
                           ST_Envelope(geom)), 1), -1)))
                       FROM layers_parcel WHERE municipality_id = %s AND retired_at IS NULL""",
                    [town.id])
        ewkt = cur.fetchone()[0]
    return GEOSGeometry(ewkt) if ewkt else None
