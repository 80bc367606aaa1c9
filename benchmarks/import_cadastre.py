"""EGiB import speed and memory: geogmina against ``ogr2ogr -f PostgreSQL``, in one run.

    .venv/bin/python benchmarks/import_cadastre.py [--parcels 100000] [--small 10000] [--plain]

(``BENCH_PROFILE=1``: the import's slowest statements, from ``importers.profiling``.)

Generates EGiB 2021 files: ``--small`` parcels as parcels and registration units only, and
``--parcels`` parcels as a rich town (``generate(rich=True)``: buildings on 3 parcels in 5,
addresses on 7 in 10, an owner and an ownership share per registration unit; 100,000 parcels
are about 260,000 features); ``--plain`` adds the big file as parcels only. One JRG per 10
parcels, every parcel with IdIIP, lifecycle, an 8-vertex polygon written northing first in
EPSG:2178, legal
area, inline klasoużytek, a KW number and xlinks to its JRG and precinct; legal areas: the
polygon's own 515 m² for 49 parcels in 50, as in a surveyed register, and an older 500 m² for
every 50th, which the import reports as an area difference), then for each:

* geogmina: ``manage.py import_cadastre`` in a fresh process (reference resolution, validation,
  history and the merge into ``layers`` included), timed; its peak RSS read from the child;
  then the same file again (the "nothing changed" path);
* GDAL: ``ogr2ogr -f PostgreSQL`` of the same new file (no .gfs beforehand, WRITE_GFS=NO, COPY
  on, fresh tables in a fresh schema, reprojected to EPSG:2180 like ours);
* the bare write: geogmina's stored rows (registration units, parcels, land uses) deleted and
  inserted again from a copy, committed: the floor of any import into this schema;
* geogmina's first phase alone (parse in the worker processes + COPY into staging, rolled back),
  in a fresh process.

Uses its own database ``bench_importer`` in the project's cluster (created and migrated on first
use); the benchmark's municipality is emptied before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
BENCH_DB = "bench_importer"
TERYT = "999901_1"
NS = "PL.PZGiK.9999.EGiB"
E0, N0 = 7_520_000.0, 5_500_000.0


def _prepare_database() -> None:
    from gis_app import dbctl

    dbctl.use_bench_database(BENCH_DB)


def _ident(lid: str, version: str) -> str:
    return (f"<egb:idIIP><egb:EGB_IdentyfikatorIIP><egb:lokalnyId>{lid}</egb:lokalnyId>"
            f"<egb:przestrzenNazw>{NS}</egb:przestrzenNazw><egb:wersjaId>{version}"
            "</egb:wersjaId></egb:EGB_IdentyfikatorIIP></egb:idIIP>"
            f"<egb:startObiekt>{version}</egb:startObiekt>"
            f"<egb:startWersjaObiekt>{version}</egb:startWersjaObiekt>")


def generate(path: Path, parcels: int, rich: bool = False) -> Path:
    """A county-style EGiB 2021 file; streamed, so 100,000 parcels need little memory.

    ``rich``: the town as counties deliver it: besides the parcels (each with its inline
    land use, klasoużytek) and one registration unit per 10 parcels, a building on 3 parcels in
    5 (a polygon inside the parcel, linked to it and to its address), an address point on 7 in
    10 (linked from the parcel), and per registration unit an owner (a person with a PESEL,
    encrypted on import) and the ownership share linking the two."""
    side = int(parcels ** 0.5) + 1
    version = "2024-03-15T10:00:00"
    vid = version.replace(":", "-")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<gml:FeatureCollection gml:id="fc" '
                 'xmlns:gml="http://www.opengis.net/gml/3.2" '
                 'xmlns:xlink="http://www.w3.org/1999/xlink" '
                 'xmlns:egb="ewidencjaGruntowIBudynkow:1.0">\n')
        for j in range(0, parcels, 10):
            lid = str(uuid.UUID(int=j + 1))
            fh.write(f'<gml:featureMember><egb:EGB_JednostkaRejestrowaGruntow gml:id='
                     f'"{NS}_{lid}_{vid}">{_ident(lid, version)}'
                     f"<egb:idJednostkiRejestrowej>{TERYT}.0001.G{j // 10 + 1}"
                     "</egb:idJednostkiRejestrowej><egb:grupaRejestrowa>7</egb:grupaRejestrowa>"
                     "</egb:EGB_JednostkaRejestrowaGruntow></gml:featureMember>\n")
            if rich:
                olid = str(uuid.UUID(int=(3 << 64) + j))
                slid = str(uuid.UUID(int=(4 << 64) + j))
                fh.write(
                    f'<gml:featureMember><egb:EGB_OsobaFizyczna gml:id="{NS}_{olid}_{vid}">'
                    f"{_ident(olid, version)}<egb:pierwszeImie>Jan</egb:pierwszeImie>"
                    f"<egb:pierwszyCzlonNazwiska>Kowalski{j // 10}"
                    f"</egb:pierwszyCzlonNazwiska><egb:pesel>{80010100000 + j // 10:011d}"
                    "</egb:pesel><egb:plec>1</egb:plec><egb:status>1</egb:status>"
                    "</egb:EGB_OsobaFizyczna></gml:featureMember>\n"
                    f'<gml:featureMember><egb:EGB_UdzialWeWlasnosci gml:id="{NS}_{slid}_{vid}">'
                    f"{_ident(slid, version)}<egb:rodzajPrawa>1</egb:rodzajPrawa>"
                    "<egb:licznikUlamkaOkreslajacegoWartoscUdzialu>1"
                    "</egb:licznikUlamkaOkreslajacegoWartoscUdzialu>"
                    "<egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>1"
                    "</egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>"
                    f'<egb:podmiotUdzialuWlasnosci xlink:href="#{NS}_{olid}_{vid}"/>'
                    f'<egb:przedmiotUdzialuWlasnosci xlink:href="#{NS}_{lid}_{vid}"/>'
                    "</egb:EGB_UdzialWeWlasnosci></gml:featureMember>\n")
        for i in range(parcels):
            lid = str(uuid.UUID(int=(1 << 64) + i))
            jrg = str(uuid.UUID(int=(i // 10) * 10 + 1))
            e, n = E0 + (i % side) * 20.0, N0 + (i // side) * 25.0
            ring = [(e, n), (e + 10, n - 0.5), (e + 20, n), (e + 20.3, n + 12), (e + 20, n + 25),
                    (e + 10, n + 25.4), (e, n + 25), (e - 0.2, n + 12), (e, n)]
            pos = " ".join(f"{y:.2f} {x:.2f}" for x, y in ring)
            area = "0.0500" if i % 50 == 49 else "0.0515"
            alid = str(uuid.UUID(int=(2 << 64) + i)) if rich and i % 10 < 7 else None
            if alid:
                fh.write(
                    f'<gml:featureMember><egb:EGB_AdresNieruchomosci gml:id="{NS}_{alid}_{vid}">'
                    f"{_ident(alid, version)}<egb:nazwaMiejscowosci>Benchmarkowo"
                    "</egb:nazwaMiejscowosci><egb:idMiejscowosci>0955963</egb:idMiejscowosci>"
                    f"<egb:nazwaUlicy>ul. Długa {i // 500 + 1}</egb:nazwaUlicy>"
                    f"<egb:idNazwyUlicy>{i // 500 + 1:05d}</egb:idNazwyUlicy>"
                    f"<egb:numerPorzadkowy>{i % 500 + 1}</egb:numerPorzadkowy>"
                    f'<egb:geometria><gml:Point gml:id="a{i}" '
                    f'srsName="urn:ogc:def:crs:EPSG::2178"><gml:pos>{n + 5:.2f} {e + 2:.2f}'
                    "</gml:pos></gml:Point></egb:geometria>"
                    "</egb:EGB_AdresNieruchomosci></gml:featureMember>\n")
            fh.write(
                f'<gml:featureMember><egb:EGB_DzialkaEwidencyjna gml:id="{NS}_{lid}_{vid}">'
                f"{_ident(lid, version)}"
                f"<egb:idDzialki>{TERYT}.0001.{i + 1}</egb:idDzialki><egb:geometria>"
                f'<gml:Polygon gml:id="g{i}" srsName="urn:ogc:def:crs:EPSG::2178">'
                f"<gml:exterior><gml:LinearRing><gml:posList>{pos}</gml:posList>"
                "</gml:LinearRing></gml:exterior></gml:Polygon></egb:geometria>"
                f'<egb:poleEwidencyjne uom="ha">{area}</egb:poleEwidencyjne>'
                "<egb:dokladnoscReprezentacjiPola>1</egb:dokladnoscReprezentacjiPola>"
                "<egb:klasouzytek><egb:EGB_Klasouzytek><egb:OFU>B</egb:OFU>"
                f'<egb:powierzchnia uom="ha">{area}</egb:powierzchnia></egb:EGB_Klasouzytek>'
                f"</egb:klasouzytek><egb:numerKW>KS1J/{i:08d}/0</egb:numerKW>"
                f'<egb:JRG2 xlink:href="#{NS}_{jrg}_{vid}"/>'
                f'<egb:lokalizacjaDzialki xlink:href="urn:pzgik:id:{NS}:precinct-0001"/>'
                + (f'<egb:adresDzialki xlink:href="#{NS}_{alid}_{vid}"/>' if alid else "")
                + "</egb:EGB_DzialkaEwidencyjna></gml:featureMember>\n")
            if rich and i % 5 < 3:
                blid = str(uuid.UUID(int=(5 << 64) + i))
                footprint = [(e + 4, n + 4), (e + 16, n + 4), (e + 16, n + 14), (e + 4, n + 14),
                             (e + 4, n + 4)]
                bpos = " ".join(f"{y:.2f} {x:.2f}" for x, y in footprint)
                fh.write(
                    f'<gml:featureMember><egb:EGB_Budynek gml:id="{NS}_{blid}_{vid}">'
                    f"{_ident(blid, version)}"
                    f"<egb:idBudynku>{TERYT}.0001.{i + 1}.1_BUD</egb:idBudynku><egb:geometria>"
                    f'<gml:Polygon gml:id="b{i}" srsName="urn:ogc:def:crs:EPSG::2178">'
                    f"<gml:exterior><gml:LinearRing><gml:posList>{bpos}</gml:posList>"
                    "</gml:LinearRing></gml:exterior></gml:Polygon></egb:geometria>"
                    "<egb:rodzajWgKST>110</egb:rodzajWgKST>"
                    "<egb:liczbaKondygnacjiNadziemnych>2</egb:liczbaKondygnacjiNadziemnych>"
                    "<egb:liczbaKondygnacjiPodziemnych>0</egb:liczbaKondygnacjiPodziemnych>"
                    '<egb:powZabudowy uom="m2">120.00</egb:powZabudowy>'
                    f'<egb:dzialkaZabudowana xlink:href="#{NS}_{lid}_{vid}"/>'
                    + (f'<egb:adresBudynku xlink:href="#{NS}_{alid}_{vid}"/>' if alid else "")
                    + "</egb:EGB_Budynek></gml:featureMember>\n")
        fh.write("</gml:FeatureCollection>\n")
    return path


def feature_count(parcels: int, rich: bool) -> int:
    """How many features ``generate`` writes."""
    units = (parcels + 9) // 10
    if not rich:
        return parcels + units
    addresses = sum(1 for i in range(parcels) if i % 10 < 7)
    buildings = sum(1 for i in range(parcels) if i % 5 < 3)
    return parcels + units * 3 + addresses + buildings


def child(path: str) -> None:
    """Run one import in this (fresh) process; print seconds, peak RSS and counts as JSON."""
    import django

    django.setup()
    from importers import profiling
    from importers.services import import_cadastre

    if os.environ.get("BENCH_PROFILE"):
        profiling.TIMINGS = {}
    started = time.perf_counter()
    result = import_cadastre(path, municipality=TERYT)
    seconds = time.perf_counter() - started
    if profiling.TIMINGS:
        for sql, took in sorted(profiling.TIMINGS.items(), key=lambda kv: -kv[1])[:15]:
            print(f"{took:7.2f} s  {sql}", file=sys.stderr)
    run = result.run
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "status": run.status, "message": run.message,
                      "created": run.created, "unchanged": run.unchanged,
                      "rejected": run.rejected,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      # the parser worker processes (forked: most of their pages are shared)
                      "workers_maxrss_mb": workers.ru_maxrss / 1024,
                      # CPU of the parse alone (0 when the file is parsed in this process)
                      "workers_cpu_s": workers.ru_utime + workers.ru_stime}))


def stage_child(path: str) -> None:
    """Only geogmina's first phase, in a fresh process: the parse (worker processes) and the
    COPY into the staging table, rolled back; no merge, no write into ``layers``."""
    import django

    django.setup()
    from django.db import connection, transaction

    from importers import services

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        services.stage_file(cur.cursor, Path(path), None)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    print(json.dumps({"seconds": seconds}))


def _run_child(path: Path, mode: str = "--child") -> dict:
    out = subprocess.run([sys.executable, __file__, mode, str(path)], check=True,
                         capture_output=True, text=True, env=os.environ.copy())
    if out.stderr.strip() and os.environ.get("BENCH_PROFILE"):
        print(out.stderr, file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


LINK_TABLES = (  # many-to-many links and land uses of the municipality's objects
    ("layers_parcellanduse", "parcel_id", "layers_parcel"),
    ("layers_parcel_addresses", "parcel_id", "layers_parcel"),
    ("layers_building_parcels", "building_id", "layers_building"),
    ("layers_building_addresses", "building_id", "layers_building"),
    ("layers_subject_members", "from_subject_id", "layers_subject"),
)
OBJECT_TABLES = ("layers_share", "layers_building", "layers_parcel", "layers_address",
                 "layers_subject", "layers_registrationunit", "layers_featureversion",
                 "layers_precinct")


def _empty_municipality() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM layers_municipality WHERE teryt = %s", [TERYT])
        row = cur.fetchone()
        if not row:
            return
        m = row[0]
        for table, column, owner in LINK_TABLES:
            cur.execute(f"""DELETE FROM {table} WHERE {column} IN
                           (SELECT id FROM {owner} WHERE municipality_id = %s)""", [m])
        for table in OBJECT_TABLES:
            cur.execute(f"DELETE FROM {table} WHERE municipality_id = %s", [m])


FLOOR_TABLES = (  # parents first: the foreign keys are checked at commit anyway
    ("layers_registrationunit", "municipality_id = %(m)s"),
    ("layers_subject", "municipality_id = %(m)s"),
    ("layers_share", "municipality_id = %(m)s"),
    ("layers_address", "municipality_id = %(m)s"),
    ("layers_parcel", "municipality_id = %(m)s"),
    ("layers_building", "municipality_id = %(m)s"),
    *((table, f"{column} IN (SELECT id FROM {owner} WHERE municipality_id = %(m)s)")
      for table, column, owner in LINK_TABLES),
)


def _write_floor() -> float:
    """Seconds to write once more, bare, the rows geogmina has just stored (every table, links
    included): one INSERT … SELECT per table from a copy of its own rows, and the commit
    (indexes, generated columns, triggers,
    deferred foreign-key checks). No parse, no validation, no merge: the part of any import into
    this schema that no importer can avoid, measured in the same run as ogr2ogr."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM layers_municipality WHERE teryt = %s", [TERYT])
        params = {"m": cur.fetchone()[0]}
        with transaction.atomic():
            for i, (table, where) in enumerate(FLOOR_TABLES):
                cur.execute(f"CREATE TEMP TABLE floor_{i} AS SELECT * FROM {table} WHERE {where}",
                            params)
            for i, (table, _where) in reversed(list(enumerate(FLOOR_TABLES))):
                cur.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM floor_{i})")
        columns = {}
        for table, _where in FLOOR_TABLES:
            cur.execute("""SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum)
                           FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0
                             AND NOT attisdropped AND attgenerated = ''""", [table])
            columns[table] = cur.fetchone()[0]
        started = time.perf_counter()
        with transaction.atomic():
            for i, (table, _where) in enumerate(FLOOR_TABLES):
                cols = columns[table]
                cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM floor_{i}")
        seconds = time.perf_counter() - started
        cur.execute("DROP TABLE " + ", ".join(f"floor_{i}" for i in range(len(FLOOR_TABLES))))
    return seconds


def _ogr2ogr(path: Path, schema: str) -> float:
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    with connection.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    dsn = (f"PG:dbname={db['NAME']} host={db['HOST']} port={db['PORT']} user={db['USER']}"
           + (f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""))
    started = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL", dsn, str(path), "-lco", f"SCHEMA={schema}",
                    "-t_srs", "EPSG:2180", "--config", "PG_USE_COPY", "YES",
                    "-oo", "WRITE_GFS=NO", "-oo", "DOWNLOAD_SCHEMA=NO",
                    "-oo", "GML_ATTRIBUTES_TO_OGR_FIELDS=YES",
                    "--config", "GML_FIELDTYPES", "ALWAYS_STRING"], check=True,
                   capture_output=True)
    seconds = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000,
                        help="parcels of the big file, a rich town (default 100,000)")
    parser.add_argument("--small", type=int, default=10_000,
                        help="parcels of the small file, parcels and units only (0: none)")
    parser.add_argument("--plain", action="store_true",
                        help="also the big file as parcels and units only (the old benchmark)")
    parser.add_argument("--child")
    parser.add_argument("--stage-child")
    args = parser.parse_args()
    _prepare_database()
    if args.child:
        child(args.child)
        return
    if args.stage_child:
        stage_child(args.stage_child)
        return
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="bench-egib-") as tmp:
        rows = []
        files = [(args.small, False)] if args.small else []
        files += [(args.parcels, False)] if args.plain else []
        files.append((args.parcels, True))
        for n, rich in files:
            t0 = time.perf_counter()
            path = generate(Path(tmp) / f"egib_{n}{'_rich' if rich else ''}.gml", n, rich)
            features = feature_count(n, rich)
            print(f"{n} parcels{' (rich town)' if rich else ''}: generated "
                  f"{path.stat().st_size / 1e6:.0f} MB ({features} features) in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            _empty_municipality()
            first = _run_child(path)
            assert first["status"] == "ok" and first["rejected"] == 0, first
            floor = _write_floor()
            stage = _run_child(path, "--stage-child")["seconds"]
            again = _run_child(path)
            assert again["status"] == "unchanged", again
            ogr = _ogr2ogr(path, f"bench_ogr_{n}")
            _empty_municipality()
            rows.append((n, rich, features, path.stat().st_size / 1e6, first, again, ogr,
                         floor, stage))
            print(f"  geogmina {first['seconds']:.1f} s = {features / first['seconds']:,.0f} "
                  f"features/s (peak RSS {first['maxrss_mb']:.0f} MB, each parser worker "
                  f"{first['workers_maxrss_mb']:.0f} MB, parser CPU "
                  f"{first['workers_cpu_s']:.1f} s); re-import {again['seconds']:.1f} s; "
                  f"ogr2ogr {ogr:.1f} s = {features / ogr:,.0f} "
                  f"features/s; time ratio geogmina/ogr2ogr {first['seconds'] / ogr:.2f}; "
                  f"bare write of geogmina's rows {floor:.1f} s = {floor / ogr:.2f} x ogr2ogr; "
                  f"parse + staging COPY alone {stage:.1f} s = {stage / ogr:.2f} x ogr2ogr",
                  flush=True)
        print("\n| file | features | MB | geogmina s | features/s | peak RSS MB (worker) "
              "| re-import s | ogr2ogr s | features/s | geogmina / ogr2ogr "
              "| bare write s | bare write / ogr2ogr | parse + staging s "
              "| parse + staging / ogr2ogr |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n, rich, f, mb, first, again, ogr, floor, stage in rows:
            label = f"{n:,} parcels{', rich town' if rich else ''}"
            print(f"| {label} | {f:,} | {mb:.0f} | {first['seconds']:.1f} | "
                  f"{f / first['seconds']:,.0f} | "
                  f"{first['maxrss_mb']:.0f} ({first['workers_maxrss_mb']:.0f}) | "
                  f"{again['seconds']:.1f} | {ogr:.1f} | "
                  f"{f / ogr:,.0f} | {first['seconds'] / ogr:.2f} | {floor:.1f} | "
                  f"{floor / ogr:.2f} | {stage:.1f} | {stage / ogr:.2f} |")


if __name__ == "__main__":
    main()
