"""Tax roll and reconciliation on a 100,000-parcel town, against its baselines, in one run.

    .venv/bin/python benchmarks/tax_roll.py [--parcels 100000] [--orm-limit 0]

Uses its own database ``bench_taxes`` in the project's cluster (created and migrated on first
use; the generated town is kept for the next run). The town is made with generate_series: a
grid of 20 × 20 m parcels, a building on every other parcel, one land object per parcel and one
object per building, with 1 % planted discrepancies of each kind. Measures, in the same run:

* hand-written SQL: one statement summing the same per-object liabilities;
* the roll: ``services.roll`` (category totals and the rounded, thresholded decisions), and
  the roll with every decision fetched (``roll_rows``), as the export does;
* the per-object ORM loop: objects one by one, the rate looked up per object, the rules in
  Python (``--orm-limit N``, default 20,000, stops after N objects and extrapolates linearly;
  0 = all objects, about 5 minutes on this machine);
* the reconciliation of the whole town;
* the number of queries of the roll and of the reconciliation for a 1,000-parcel town and for
  the big one (it must not grow with the number of objects).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
BENCH_DB = "bench_taxes"


def _prepare_database() -> None:
    from gis_app import dbctl

    dbctl.use_bench_database(BENCH_DB)


GENERATE_SQL = """
-- parcels: a square grid of 20 × 20 m, legal area 400 m² (1 %% recorded as 380 m² later)
INSERT INTO layers_parcel (municipality_id, precinct_id, cadastral_id, number, sheet,
    legal_area_m2, kw_numbers, source_namespace, local_id, version_id, unresolved_links,
    source_format, geom)
SELECT %(m)s, %(pr)s, %(teryt)s || '.0001.' || i, i::text, '', 400, '{}', 'bench',
       %(teryt)s || '-p' || i, '1', '{}', 'bench',
       ST_Multi(ST_MakeEnvelope(600000 + (i %% %(side)s) * 20, 300000 + (i / %(side)s) * 20,
                                600020 + (i %% %(side)s) * 20,
                                20 + 300000 + (i / %(side)s) * 20, 2180))
FROM generate_series(0, %(n)s - 1) AS i;

INSERT INTO layers_building (municipality_id, precinct_id, building_id, kind, kind_source,
    storeys_above, built_up_area_m2, kw_numbers, source_namespace, local_id, version_id,
    unresolved_links, geom)
SELECT %(m)s, %(pr)s, %(teryt)s || '.0001.' || i || '.1_BUD',
       CASE WHEN i %% 10 = 0 THEN 'h' ELSE 'm' END, '', 1 + i %% 3, 100, '{}', 'bench',
       %(teryt)s || '-b' || i, '1', '{}',
       ST_Multi(ST_MakeEnvelope(600005 + (i %% %(side)s) * 20, 300005 + (i / %(side)s) * 20,
                                600015 + (i %% %(side)s) * 20, 300015 + (i / %(side)s) * 20, 2180))
FROM generate_series(0, %(n)s - 1, 2) AS i;

INSERT INTO layers_building_parcels (building_id, parcel_id)
SELECT b.id, p.id FROM layers_building b
JOIN layers_parcel p ON p.municipality_id = b.municipality_id
    AND p.cadastral_id = split_part(b.building_id, '.1_BUD', 1)
WHERE b.municipality_id = %(m)s;

-- one taxpayer per two parcels, every 20th a company
INSERT INTO taxes_taxpayer (municipality_id, kind, name, tax_id, address, business,
    subject_local_id, external_ref, created_at)
SELECT %(m)s, CASE WHEN j %% 20 = 0 THEN 'company' ELSE 'person' END, 'Podatnik ' || j, '', '',
       j %% 20 = 0, '', 'bench-' || j, now()
FROM generate_series(0, %(n)s / 2) AS j;

-- land objects: all parcels but 1 %% (untaxed); 1 %% with a wrong area; part years here and there
INSERT INTO taxes_taxobject (municipality_id, taxpayer_id, kind, category, variant,
    cadastral_id, building_id, parcel_row_id, area_m2, exempt, exemption_basis, arose_on,
    ceased_on, declaration, note, created_at, updated_at)
SELECT %(m)s, t.id, 'land', CASE WHEN t.business THEN 'G1' ELSE 'G3' END, '', p.cadastral_id, '',
       p.id, CASE WHEN p.number::int %% 100 = 7 THEN 300 ELSE 400 END, false, '',
       CASE WHEN p.number::int %% 50 = 3 THEN date '2026-04-10' END, NULL, '', 'bench', now(), now()
FROM layers_parcel p
JOIN taxes_taxpayer t ON t.municipality_id = p.municipality_id
    AND t.external_ref = 'bench-' || (p.number::int / 2)
WHERE p.municipality_id = %(m)s AND p.number::int %% 100 <> 5;

-- building objects: all buildings but 1 %%; 1 %% declared at a third of their size
INSERT INTO taxes_taxobject (municipality_id, taxpayer_id, kind, category, variant,
    cadastral_id, building_id, building_row_id, usable_full_m2, usable_half_m2, exempt,
    exemption_basis, declaration, note, created_at, updated_at)
SELECT %(m)s, t.id, 'building', CASE b.kind WHEN 'm' THEN 'B1' ELSE 'B2' END, '',
       split_part(b.building_id, '.1_BUD', 1), b.building_id, b.id,
       CASE WHEN substr(b.local_id, length(%(teryt)s) + 3)::int %% 100 = 12
            THEN 20 ELSE 80 * b.storeys_above END, 10, false, '', '', 'bench', now(), now()
FROM layers_building b
JOIN taxes_taxpayer t ON t.municipality_id = b.municipality_id
    AND t.external_ref = 'bench-' || (substr(b.local_id, length(%(teryt)s) + 3)::int / 2)
WHERE b.municipality_id = %(m)s AND substr(b.local_id, length(%(teryt)s) + 3)::int %% 100 <> 4;
"""

HAND_SQL = """
SELECT o.category, count(*),
       sum(round(CASE o.category WHEN 'G2' THEN b.base / 10000 WHEN 'BU' THEN b.base / 100
                 ELSE b.base END * r.rate * m.months / 12, 2))
FROM taxes_taxobject o
CROSS JOIN LATERAL (SELECT CASE o.kind WHEN 'land' THEN o.area_m2
        WHEN 'building' THEN o.usable_full_m2 + COALESCE(o.usable_half_m2, 0) * 0.5
        ELSE o.value END AS base) b
CROSS JOIN LATERAL (SELECT GREATEST(0, LEAST(12, COALESCE((EXTRACT(YEAR FROM o.ceased_on)::int
        - %(y)s) * 12 + EXTRACT(MONTH FROM o.ceased_on)::int, 12))
        - GREATEST(1, COALESCE((EXTRACT(YEAR FROM o.arose_on)::int - %(y)s) * 12
        + EXTRACT(MONTH FROM o.arose_on)::int + 1, 1)) + 1) AS months) m
JOIN taxes_rate r ON r.resolution_id = %(res)s AND r.category = o.category AND r.variant = ''
WHERE o.municipality_id = %(m)s AND NOT o.exempt AND m.months > 0
GROUP BY o.category
"""


def _town(teryt: str, name: str, n: int):
    from datetime import date
    from decimal import Decimal

    from django.db import connection, transaction

    from layers.models import Municipality, Parcel, Precinct
    from registers.taxes.demo import DEMO_2026
    from registers.taxes.services import RateInput, resolution_save

    town, _ = Municipality.objects.get_or_create(teryt=teryt, defaults={"name": name})
    if Parcel.objects.filter(municipality=town).count() != n:
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            for table, col in (("taxes_reconciliationcase", "municipality_id"),
                               ("taxes_taxobject", "municipality_id"),
                               ("taxes_taxpayer", "municipality_id")):
                cur.execute(f"DELETE FROM {table} WHERE {col} = %s", [town.pk])
            cur.execute("DELETE FROM layers_building_parcels WHERE building_id IN "
                        "(SELECT id FROM layers_building WHERE municipality_id = %s)", [town.pk])
            cur.execute("DELETE FROM layers_building WHERE municipality_id = %s", [town.pk])
            cur.execute("DELETE FROM layers_parcel WHERE municipality_id = %s", [town.pk])
            precinct, _ = Precinct.objects.get_or_create(
                teryt=f"{teryt}.0001", defaults={"municipality": town, "name": "1",
                                                 "source_namespace": "bench",
                                                 "local_id": f"{teryt}.0001"})
            cur.execute(GENERATE_SQL, {"m": town.pk, "pr": precinct.pk, "teryt": teryt, "n": n,
                                       "side": int(n ** 0.5) + 1})
            cur.execute("ANALYZE")
        print(f"  generated {name}: {n} parcels in {time.perf_counter() - t0:.1f} s")
    resolution_save(None, town, 2026, "bench/2026", date(2025, 11, 20),
                    [RateInput(c, Decimal(r)) for c, r in DEMO_2026.items()],
                    resolution=town.tax_resolutions.filter(year=2026).first())
    return town


def _interleaved(fns, repeat: int) -> list[float]:
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


class QueryCounter:
    """Counts statements sent to the database (not capped like the debug query log)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--orm-limit", type=int, default=20_000,
                        help="objects of the ORM loop to time (0 = all; the rest extrapolated)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    _prepare_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from registers.taxes import services
    from registers.taxes.models import TaxObject

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # no debug query log: it would slow the ORM loop down
    year = 2026
    big = _town("999901_1", "Bench city", args.parcels)
    small = _town("999902_1", "Bench village", 1_000)
    objects = TaxObject.objects.filter(municipality=big).count()
    res = big.tax_resolutions.get(year=year).pk
    print(f"town: {args.parcels} parcels, {objects} tax objects, year {year}")

    def hand():
        with connection.cursor() as cur:
            cur.execute(HAND_SQL, {"m": big.pk, "y": year, "res": res})
            return cur.fetchall()

    hand_rows = hand()
    roll = services.roll(big.pk, year)
    assert {c: a for c, _, a in hand_rows} == {c["category"]: c["amount"]
                                               for c in roll.categories}, "roll ≠ hand SQL"
    # interleaved and best of several, so that other load on the machine hits all alike
    t_hand, t_roll, t_roll_all = _interleaved([
        hand,
        lambda: services.roll(big.pk, year),
        lambda: (services.roll(big.pk, year), list(services.roll_rows(big.pk, year))),
    ], repeat=args.repeat)

    # the per-object ORM loop, as code without the set-based roll would do it
    from registers.taxes.models import Rate
    from registers.taxes.services import object_line

    def orm_loop(limit: int):
        total, n = 0, 0
        for obj in TaxObject.objects.filter(municipality=big).iterator(chunk_size=2000):
            rates = {(r.category, r.variant): r.rate for r in Rate.objects.filter(
                resolution__municipality=big, resolution__year__lte=year,
                category=obj.category).order_by("-resolution__year")[:1]}
            line = object_line(obj, year, rates)
            if line is not None:
                total += line.amount
            n += 1
            if limit and n >= limit:
                break
        return total, n

    t0 = time.perf_counter()
    orm_total, orm_n = orm_loop(args.orm_limit)
    t_orm = (time.perf_counter() - t0) * (objects / orm_n)
    if not args.orm_limit:
        assert orm_total == roll.subtotal, (orm_total, roll.subtotal)

    t0 = time.perf_counter()
    rec = services.reconcile(big.pk)
    t_rec = time.perf_counter() - t0

    def queries(town):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            services.roll(town.pk, year)
            list(services.roll_rows(town.pk, year))
        roll_q = counter.n
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            services.reconcile(town.pk)
        return roll_q, counter.n

    q_small, q_big = queries(small), queries(big)
    small_objects = TaxObject.objects.filter(municipality=small).count()

    print(f"hand-written SQL (one statement)      {t_hand * 1000:8.0f} ms")
    print(f"roll (totals, decisions)              {t_roll * 1000:8.0f} ms   "
          f"{t_roll / t_hand:5.2f} × hand SQL (goal ≤ 3)")
    print(f"roll + every decision fetched         {t_roll_all * 1000:8.0f} ms   "
          f"{t_roll_all / t_hand:5.2f} × hand SQL")
    orm_note = "" if not args.orm_limit else f" (extrapolated from {orm_n} objects)"
    print(f"per-object ORM loop                   {t_orm * 1000:8.0f} ms   "
          f"{t_orm / t_roll:5.0f} × slower than the roll (goal ≥ 50){orm_note}")
    print(f"reconciliation of the whole town      {t_rec * 1000:8.0f} ms   "
          f"(goal < 10 s): {rec.found} cases {dict(sorted(rec.by_kind.items()))}")
    print(f"queries, roll + decisions: {q_small[0]} for {small_objects} objects, "
          f"{q_big[0]} for {objects}")
    print(f"queries, reconciliation:   {q_small[1]} for {small_objects} objects, "
          f"{q_big[1]} for {objects}")
    ok = (t_roll <= 3 * t_hand and t_orm >= 50 * t_roll and t_rec < 10
          and q_small == q_big and q_big[0] > 0)
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
