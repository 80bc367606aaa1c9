"""Autocomplete at 100,000 parcels (issue 17): ``/api/search`` with ``page_size=10`` as the
search box sends it while the user types, against the id search in the same run.

The tiles benchmark builds its town with ``load_demo`` (its GML alone took over 10 minutes at
100,000 parcels on the shared host); this one writes a synthetic town straight in SQL into its
own database ``geogmina_bench_search`` (built once; ``--rebuild``): N square plots in 10
precincts, one address per plot (200 streets of a town named Jasło, house numbers 1–500) and
one owner per two plots (registration units, shares, subjects). Requests go through Django's
test Client in-process as a property officer (owner search included); the baseline in the same
run is the search by full parcel id.

    .venv/bin/python benchmarks/search.py [--parcels 100000] [--rebuild] [--rounds 1]

Prints a JSON report and the goal (autocomplete p95 < 50 ms) with PASS/FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BENCH_DB = "geogmina_bench_search"
STREETS = [f"{w} {s}" for w in ("Jasna", "Kościuszki", "Mickiewicza", "Słowackiego",
                                  "Piłsudskiego", "Sienkiewicza", "Konopnickiej", "Reymonta",
                                  "Żeromskiego", "Kopernika") for s in (
    "Górna", "Dolna", "Boczna", "Polna", "Leśna", "Łąkowa", "Ogrodowa", "Krótka", "Długa",
    "Cicha", "Wąska", "Szeroka", "Stroma", "Kręta", "Nowa", "Stara", "Wiejska", "Miejska",
    "Parkowa", "Spacerowa")]
NAMES = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
         "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur"]
GIVEN = ["Anna", "Jan", "Maria", "Piotr", "Katarzyna", "Andrzej", "Małgorzata", "Krzysztof"]


def build(parcels: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers_share")  # the last table written
        if cur.fetchone()[0] >= parcels // 2:
            return
        cur.execute("TRUNCATE layers_parcel_addresses, layers_share, layers_subject, "
                    "layers_address, layers_parcel, layers_registrationunit, layers_precinct "
                    "CASCADE")
        print(f"search: writing a synthetic town of {parcels} parcels …", file=sys.stderr)
        cur.execute("""
            INSERT INTO layers_municipality (teryt, name) VALUES ('180501_1', 'Jasło')
            ON CONFLICT (teryt) DO NOTHING""")
        cur.execute("SELECT id FROM layers_municipality WHERE teryt = '180501_1'")
        mid = cur.fetchone()[0]
        common = "source_namespace, local_id, version_id, unresolved_links"
        cur.execute(f"""
            INSERT INTO layers_precinct ({common}, teryt, name, municipality_id)
            SELECT 'bench', 'pr' || g, '1', '[]', '180501_1.' || lpad(g::text, 4, '0'),
                   g::text, %s FROM generate_series(1, 10) g""", [mid])
        cur.execute(f"""
            INSERT INTO layers_parcel ({common}, cadastral_id, number, sheet, kw_numbers,
                                       source_format, geom, municipality_id, precinct_id)
            SELECT 'bench', 'p' || g, '1', '[]',
                   pr.teryt || '.' || (g / 10 + 1)::text || CASE WHEN mod(g, 3) = 0
                       THEN '/' || (mod(g, 7) + 1)::text ELSE '' END,
                   (g / 10 + 1)::text || CASE WHEN mod(g, 3) = 0
                       THEN '/' || (mod(g, 7) + 1)::text ELSE '' END, '', '{{}}', 'bench',
                   ST_Multi(ST_MakeEnvelope(700000 + mod(g, 400) * 20, 240000 + (g / 400) * 20,
                                            700020 + mod(g, 400) * 20, 240020 + (g / 400) * 20,
                                            2180)), %s, pr.id
            FROM generate_series(0, %s - 1) g
            JOIN layers_precinct pr
              ON pr.teryt = '180501_1.' || lpad((mod(g, 10) + 1)::text, 4, '0')
            """, [mid, parcels])
        streets = STREETS
        cur.execute(f"""
            INSERT INTO layers_address ({common}, locality, locality_simc, street, street_ulic,
                                        house_number, flat_number, search_text, municipality_id)
            SELECT 'bench', 'a' || p.id, '1', '[]', 'Jasło', '', s.street, '',
                   (mod(p.id / {len(streets)}, 500) + 1)::text, '',
                   '', %s
            FROM layers_parcel p
            JOIN unnest(%s::text[]) WITH ORDINALITY s(street, n)
              ON s.n = mod(p.id, {len(streets)}) + 1
            WHERE p.source_namespace = 'bench'""", [mid, streets])
        # search_text as the app writes it (normalize_text: lower case, no diacritics)
        from layers.domain.text import normalize_text

        cur.execute("SELECT DISTINCT street FROM layers_address WHERE source_namespace='bench'")
        for (street,) in cur.fetchall():
            cur.execute("UPDATE layers_address SET search_text = %s || ' ' || house_number || "
                        "' ' || %s WHERE street = %s AND source_namespace = 'bench'",
                        [normalize_text(street), normalize_text("Jasło"), street])
        cur.execute("""
            INSERT INTO layers_parcel_addresses (parcel_id, address_id)
            SELECT p.id, a.id FROM layers_parcel p JOIN layers_address a
              ON a.local_id = 'a' || p.id AND a.source_namespace = 'bench'""")
        cur.execute(f"""
            INSERT INTO layers_registrationunit ({common}, unit_id, kind, "group",
                                                 municipality_id)
            SELECT 'bench', 'ru' || g, '1', '[]', '180501_1.0001.G' || g, 'G', 1, %s
            FROM generate_series(0, %s / 2) g""", [mid, parcels])
        cur.execute("""
            UPDATE layers_parcel p SET registration_unit_id = ru.id FROM layers_registrationunit ru
            WHERE ru.local_id = 'ru' || (p.id / 2) AND p.source_namespace = 'bench'""")
        rnd = random.Random(3)
        names = [f"{rnd.choice(NAMES)} {rnd.choice(GIVEN)}" for _ in range(parcels // 2 + 1)]
        cur.execute(f"""
            INSERT INTO layers_subject ({common}, kind, name, search_text, regon,
                                        municipality_id)
            SELECT 'bench', 's' || (n - 1), '1', '[]', 'person', name, '', '', %s
            FROM unnest(%s::text[]) WITH ORDINALITY s(name, n)""", [mid, names])
        for name in set(names):
            cur.execute("UPDATE layers_subject SET search_text = %s WHERE name = %s",
                        [normalize_text(name), name])
        cur.execute(f"""
            INSERT INTO layers_share ({common}, kind, numerator, denominator, subject_id,
                                      registration_unit_id, municipality_id)
            SELECT 'bench', 'sh' || s.id, '1', '[]', 'ownership', 1, 1, s.id, ru.id, %s
            FROM layers_subject s JOIN layers_registrationunit ru
              ON ru.local_id = 'ru' || substring(s.local_id from 2)
            WHERE s.source_namespace = 'bench'""", [mid])
        cur.execute("ANALYZE")


def queries(rnd: random.Random) -> tuple[list[str], list[str]]:
    """(full ids: the baseline; what the search box sends while typing)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT cadastral_id FROM layers_parcel ORDER BY random() LIMIT 60")
        ids = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT street || ' ' || house_number FROM layers_address "
                    "ORDER BY random() LIMIT 30")
        addresses = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT name FROM layers_subject ORDER BY random() LIMIT 15")
        owners = [r[0] for r in cur.fetchall()]
    typed: list[str] = []
    for text in addresses + owners:
        typed += [text[:k] for k in range(3, len(text) + 1, 2)]
    for cid in ids[:30]:
        unit, precinct, number = cid.split(".", 2)
        typed += [f"{unit.split('_')[-1]}.{precinct}.{number}", number.split("/")[0],
                  f"{precinct} {number}", cid[: rnd.randint(10, len(cid))]]
    return ids, typed


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    from gis_app import dbctl

    if args.rebuild and "DATABASE_URL" not in os.environ:
        import psycopg2

        conn = psycopg2.connect(dbname=dbctl.DB_NAME, user=dbctl.DB_USER,
                                host=str(dbctl.socket_dir()), port=dbctl.port())
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.close()
    dbctl.use_bench_database(BENCH_DB)
    os.environ.setdefault("GEOGMINA_DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("GEOGMINA_PII_KEY", "bench-pii-key-" + "y" * 20)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    for k in ("GEOGMINA_SSL_REDIRECT", "GEOGMINA_SECURE_COOKIES", "GEOGMINA_HSTS_SECONDS"):
        os.environ.setdefault(k, "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
    import django

    django.setup()
    from urllib.parse import quote

    from django.contrib.auth import get_user_model
    from django.test import Client

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role
    from layers.models import Municipality, Parcel

    build(args.parcels)
    user, _ = get_user_model().objects.get_or_create(username="bench_search_officer")
    grant(user, Municipality.objects.get(teryt="180501_1"), [Role.PROPERTY_OFFICER])
    client = Client()
    client.force_login(user)
    rnd = random.Random(7)
    ids, typed = queries(rnd)
    rnd.shuffle(typed)
    report: dict = {"parcels": Parcel.objects.count(), "requests": len(typed),
                    "load_average_before": os.getloadavg()}
    for q in typed[:10]:  # warm
        client.get(f"/api/search?q={quote(q)}&page_size=10")
    times: dict[str, list[float]] = {"id (baseline)": [], "autocomplete": []}
    slowest: list = []
    for _round in range(args.rounds):
        for q in ids:
            t = time.perf_counter()
            r = client.get(f"/api/search?q={quote(q)}")
            times["id (baseline)"].append(time.perf_counter() - t)
            assert r.status_code == 200 and r.json()["results"], q
        for q in typed:
            t = time.perf_counter()
            r = client.get(f"/api/search?q={quote(q)}&page_size=10")
            took = time.perf_counter() - t
            assert r.status_code == 200, (q, r.content[:200])
            times["autocomplete"].append(took)
            slowest.append((round(took * 1000, 1), q, r.json()["count"]))
    report["ms"] = {k: {"p50": round(pct(v, 50) * 1000, 1), "p95": round(pct(v, 95) * 1000, 1)}
                    for k, v in times.items()}
    report["slowest"] = sorted(slowest, reverse=True)[:8]
    report["autocomplete_vs_id_p95"] = round(pct(times["autocomplete"], 95)
                                             / pct(times["id (baseline)"], 95), 2)
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=1, ensure_ascii=False))
    p95 = report["ms"]["autocomplete"]["p95"]
    ok = p95 < 50
    print(f"autocomplete p95 {p95} ms at {report['parcels']} parcels (goal 50 ms): "
          f"{'PASS' if ok else 'FAIL'}; id search p95 {report['ms']['id (baseline)']['p95']} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
