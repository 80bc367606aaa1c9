"""The inspector's check at a busy point, against its baseline, in one run.

    .venv/bin/python benchmarks/landscape_check.py [--areas 2000] [--overlap 6] [--rules 12]
                                                   [--repeat 200]

Builds, inside a transaction that is rolled back at the end (nothing stays in the database), a
town with ``--areas`` landscape areas of 12 rules each on a grid, plus ``--overlap`` areas
(resolution zones and forms of protection) stacked on one point. Measures, in the same run:

* baseline: one hand-written SQL statement returning the areas at the point with their rules,
  then the pure ``rules.evaluate`` on the rows;
* the service: ``services.check`` (what the check page and API call: areas with rules, the
  municipality and parcel lookups, evaluation, translated findings);
* the number of queries of the service (it must not grow with the number of rules or areas).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")

BASELINE_SQL = """
SELECT a.code, a.name, a.kind, r.subject, r.kind, r.value, r.citation
FROM layers_landscapearea AS a
LEFT JOIN landscape_arearule AS r ON r.area_id = a.id
WHERE a.retired_at IS NULL
  AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(%s, %s), 2180))
ORDER BY a.kind, a.code, r.id
"""


class Rollback(Exception):
    pass


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=2000)
    parser.add_argument("--overlap", type=int, default=6)
    parser.add_argument("--rules", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role
    from layers.models import LandscapeArea, Municipality
    from registers.landscape import demo, rules, services
    from registers.landscape.models import AreaRule

    def square(x: float, y: float, size: float) -> MultiPolygon:
        return MultiPolygon(Polygon(((x, y), (x + size, y), (x + size, y + size),
                                     (x, y + size), (x, y))), srid=2180)

    kinds = [k for k, _ in LandscapeArea.Kind.choices]
    template = demo.RULES["A"][: args.rules]
    x0, y0 = 600_000.0, 300_000.0
    try:
        with transaction.atomic():
            town = Municipality.objects.create(teryt="bench_landscape", name="Bench")
            user = get_user_model().objects.create_user("bench-landscape-inspector")
            grant(user, town, [Role.LANDSCAPE_INSPECTOR])
            side = int(args.areas ** 0.5) + 1
            areas = [LandscapeArea(municipality=town, kind=LandscapeArea.Kind.RESOLUTION_ZONE,
                                   code=f"G{i}", name=f"grid {i}",
                                   geom=square(x0 + (i % side) * 200, y0 + (i // side) * 200,
                                               200),
                                   source_namespace="bench", local_id=f"g{i}")
                     for i in range(args.areas)]
            # the busy point: ``overlap`` areas of every kind stacked over it
            px, py = x0 + 50_000, y0 + 50_000
            areas += [LandscapeArea(municipality=town, kind=kinds[i % len(kinds)],
                                    code=f"O{i}", name=f"overlap {i}",
                                    geom=square(px - 100 - i, py - 100 - i, 200 + 2 * i),
                                    source_namespace="bench", local_id=f"o{i}")
                      for i in range(args.overlap)]
            LandscapeArea.objects.bulk_create(areas, batch_size=1000)
            AreaRule.objects.bulk_create(
                (AreaRule(area=a, subject=s, kind=k, value=v, citation=c)
                 for a in LandscapeArea.objects.filter(municipality=town)
                 for s, k, v, c in template), batch_size=5000)
            with connection.cursor() as cur:
                cur.execute("ANALYZE layers_landscapearea; ANALYZE landscape_arearule")
            point = Point(px, py, srid=2180)
            spec = rules.ObjectSpec(rules.ObjectType.BOARD, area_m2=rules.Decimal("12"),
                                    height_m=rules.Decimal("5"), lit=False,
                                    mounting=rules.Mounting.FREE_STANDING)

            def baseline() -> list:
                with connection.cursor() as cur:
                    cur.execute(BASELINE_SQL, [px, py])
                    rows = cur.fetchall()
                by_area: dict = {}
                for code, name, kind, subject, rkind, value, citation in rows:
                    entry = by_area.setdefault(code, (name, kind, []))
                    if subject:
                        entry[2].append(rules.Rule(rules.Subject(subject), rules.RuleKind(rkind),
                                                   value, citation))
                pure = [rules.Area(c, n, k, tuple(rs)) for c, (n, k, rs) in by_area.items()]
                return rules.evaluate(pure, spec)

            def service() -> dict:
                return services.check(user, point, spec)

            base_findings, result = baseline(), service()
            assert len(base_findings) == len(result["findings"]), "baseline and service differ"
            with CaptureQueriesContext(connection) as ctx:
                service()
            queries = len(ctx.captured_queries)
            if os.environ.get("BENCH_PROFILE"):
                for q in ctx.captured_queries:
                    print(q["time"], q["sql"][:200])
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.runcall(lambda: [service() for _ in range(50)])
                pstats.Stats(prof).sort_stats("tottime").print_stats(15)
            base_ms = _timed(baseline, args.repeat)
            serv_ms = _timed(service, args.repeat)
            raise Rollback
    except Rollback:
        pass

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1]

    print(f"areas {args.areas + args.overlap}, rules {args.rules} each, "
          f"{args.overlap} areas at the point, {len(result['findings'])} findings")
    print(f"baseline SQL + pure evaluate: p50 {statistics.median(base_ms):.2f} ms, "
          f"p95 {p(base_ms, 95):.2f} ms")
    print(f"services.check:               p50 {statistics.median(serv_ms):.2f} ms, "
          f"p95 {p(serv_ms, 95):.2f} ms, {queries} queries")
    print(f"ratio service / baseline (p50): "
          f"{statistics.median(serv_ms) / statistics.median(base_ms):.2f} x")


if __name__ == "__main__":
    main()
