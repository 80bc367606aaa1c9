"""Tiles and search on a 100,000-parcel town: the endpoint against its own SQL, in one run.

Builds (once) a separate database ``geogmina_bench_tiles`` in the project's cluster, migrates it
and loads the demo town with ``load_demo --parcels N``; where the demo holds no addresses or
owners (an older generator) it adds synthetic ones so search can be measured. Then starts
gunicorn (one sync worker, production settings) on 127.0.0.1 and measures, for the same tiles:

- the raw SQL function (``SELECT tiles_parcels(z, x, y, '{}')`` on a psycopg2 connection),
- the endpoint ``/tiles/parcels/z/x/y.pbf`` over a keep-alive HTTP connection (uncached: no
  If-None-Match), interleaved tile by tile with the raw call so both see the same buffer cache,
- the cached tile (If-None-Match with the tile's ETag → 304),
- tile sizes (parcels z12/z14/z16, buildings z16), search p95 by id, address and owner
  (``/api/search`` as a property officer), and autocomplete p95 (what the search box sends
  while typing: prefixes, partial ids, plot numbers; page_size=10),
- bytes on the wire with and without gzip (tiles z14/z16, a 1,000-feature OGC page).

    .venv/bin/python benchmarks/tiles.py [--parcels 100000] [--rounds 5] [--rebuild] [--client]

``--client`` sends the same requests through Django's test Client in this process (see
``InProcess``) instead of gunicorn.

Prints a JSON report and the goals with PASS/FAIL; exit status 1 if a goal fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BENCH_DB = "geogmina_bench_tiles"
PORT = 8791


def _base_url() -> str:
    from gis_app import dbctl

    return dbctl.url()


def bench_url() -> str:
    base = _base_url()
    head, _, query = base.partition("?")
    return head.rsplit("/", 1)[0] + "/" + BENCH_DB + "?" + query


def _psql_conn(dbname: str):
    import psycopg2

    from gis_app import dbctl

    return psycopg2.connect(dbname=dbname, user=dbctl.DB_USER, host=str(dbctl.socket_dir()),
                            port=dbctl.port())


def ensure_database(parcels: int, rebuild: bool) -> None:
    env = dict(os.environ, DATABASE_URL=bench_url(), GEOGMINA_DEBUG="1")
    admin = _psql_conn("postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        exists = cur.fetchone() is not None
        if exists and rebuild:
            cur.execute(f'DROP DATABASE "{BENCH_DB}"')
            exists = False
        if not exists:
            cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    admin.close()
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env,
                   check=True)
    conn = _psql_conn(BENCH_DB)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers_parcel WHERE retired_at IS NULL")
        have = cur.fetchone()[0]
    conn.close()
    if have < parcels:
        print(f"tiles: loading the demo town with {parcels} parcels into {BENCH_DB} …",
              file=sys.stderr)
        t = time.perf_counter()
        subprocess.run([py, "manage.py", "load_demo", "--parcels", str(parcels)], cwd=REPO,
                       env=env, check=True)
        print(f"tiles: loaded in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    add_search_data()


STREETS = ["Żółkiewskiego", "Kościuszki", "Mickiewicza", "Słowackiego", "Łokietka",
           "Piłsudskiego", "Wąska", "Źródlana", "Ściegiennego", "Grunwaldzka", "Śląska",
           "Ogrodowa", "Polna", "Leśna", "Krótka", "Długa", "Różana", "Kwiatowa", "Żwirki",
           "Wigury"]
NAMES = ["Kowalski", "Nowak", "Wiśniewska", "Wójcik", "Kowalczyk", "Kamińska", "Lewandowski",
         "Zieliński", "Szymańska", "Woźniak", "Dąbrowski", "Kozłowska", "Jankowski", "Mazur",
         "Kwiatkowska", "Krawczyk", "Piotrowski", "Grabowska", "Nowakowski", "Pawłowska"]
GIVEN = ["Jan", "Anna", "Piotr", "Zofia", "Łukasz", "Małgorzata", "Józef", "Krystyna"]


def add_search_data() -> None:
    """Synthetic addresses and owners for parcels that have none (older demo generators)."""
    from layers.domain.text import normalize_text

    conn = _psql_conn(BENCH_DB)
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers_address")
        addresses = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM layers_share WHERE subject_id IS NOT NULL")
        shares = cur.fetchone()[0]
        if addresses and shares:
            conn.close()
            return
        print("tiles: the demo has no addresses/owners: adding synthetic ones",
              file=sys.stderr)
        cur.execute("SELECT id, municipality_id FROM layers_parcel WHERE retired_at IS NULL "
                    "ORDER BY id")
        parcels = cur.fetchall()
        rnd = random.Random(4)
        if not addresses:
            rows = []
            for i, (pid, mid) in enumerate(parcels):
                street, number = STREETS[i % len(STREETS)], str(i // len(STREETS) + 1)
                rows.append((pid, mid, street, number,
                             normalize_text(f"{street} {number} Jasło")))
            cur.execute("CREATE TEMP TABLE a_in (pid bigint, mid bigint, street text, "
                        "num text, st text)")
            from psycopg2.extras import execute_values

            execute_values(cur, "INSERT INTO a_in VALUES %s", rows, page_size=5000)
            cur.execute("""
                WITH ins AS (
                    INSERT INTO layers_address (municipality_id, locality, locality_simc, street,
                        street_ulic, house_number, flat_number, search_text, source_namespace,
                        local_id, version_id, unresolved_links)
                    SELECT mid, 'Jasło', '', street, '', num, '', st, 'bench', 'a' || pid, '1',
                           '{}'
                    FROM a_in RETURNING id, local_id)
                INSERT INTO layers_parcel_addresses (parcel_id, address_id)
                SELECT substr(local_id, 2)::bigint, id FROM ins""")
        if not shares:
            cur.execute("""
                INSERT INTO layers_registrationunit (municipality_id, unit_id, kind, "group",
                    source_namespace, local_id, version_id, unresolved_links)
                SELECT municipality_id, 'G' || id, 'G', 7, 'bench', 'ru' || id, '1', '{}'
                FROM layers_parcel WHERE registration_unit_id IS NULL AND retired_at IS NULL""")
            cur.execute("""
                UPDATE layers_parcel p SET registration_unit_id = r.id
                FROM layers_registrationunit r
                WHERE r.source_namespace = 'bench' AND r.local_id = 'ru' || p.id""")
            subjects = []
            for i in range(len(parcels) // 2):
                name = f"{rnd.choice(NAMES)} {rnd.choice(GIVEN)} {i}"
                subjects.append((parcels[0][1], name, normalize_text(name), f"s{i}"))
            from psycopg2.extras import execute_values

            execute_values(cur, """
                INSERT INTO layers_subject (municipality_id, kind, name, search_text, regon,
                    source_namespace, local_id, version_id, unresolved_links)
                SELECT v.mid, 'person', v.name, v.st, '', 'bench', v.lid, '1', '{}'
                FROM (VALUES %s) v(mid, name, st, lid)""", subjects, page_size=5000)
            cur.execute("""
                INSERT INTO layers_share (municipality_id, kind, numerator, denominator,
                    subject_id, registration_unit_id, source_namespace, local_id, version_id,
                    unresolved_links)
                SELECT r.municipality_id, 'ownership', 1, 1, s.id, r.id, 'bench',
                       'sh' || r.id, '1', '{}'
                FROM layers_registrationunit r
                JOIN layers_subject s ON s.source_namespace = 'bench'
                     AND s.local_id = 's' || ((substr(r.local_id, 3)::bigint) %% %s)
                WHERE r.source_namespace = 'bench'""", [len(parcels) // 2])
        cur.execute("ANALYZE")
    conn.commit()
    conn.close()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def pick_tiles(conn, per_zoom: int) -> dict[int, list[tuple[int, int, int]]]:
    """Tiles over the town at z12, z14 and z16, spread evenly over the parcels."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT ST_X(c), ST_Y(c) FROM (
                SELECT ST_Transform(ST_PointOnSurface(geom), 4326) c, row_number() OVER () rn
                FROM layers_parcel WHERE retired_at IS NULL) s
            WHERE rn %% 97 = 0""", [])
        points = cur.fetchall()
    rnd = random.Random(12)
    out = {}
    for z in (12, 14, 16):
        tiles = sorted({(z, *tile_of(lon, lat, z)) for lon, lat in points})
        rnd.shuffle(tiles)
        out[z] = tiles[:per_zoom]
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(pct(values, 50) * 1000, 2), "p95_ms": round(pct(values, 95) * 1000, 2),
            "n": len(values)}


class Http:
    """One keep-alive connection (TCP_NODELAY is set by http.client itself)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, bytes, dict[str, str]]:
        self.conn.request("GET", path, headers=headers or {})
        resp = self.conn.getresponse()
        body = resp.read()
        return resp.status, body, dict(resp.getheaders())


class InProcess:
    """The same requests through Django's test Client in this process (``--client``): the whole
    middleware stack and view, without the HTTP hop. On an oversubscribed 2-core host the three
    processes of the HTTP setup (client, gunicorn, PostgreSQL) mostly measure the scheduler;
    this isolates what the view adds to its SQL."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client(raise_request_exception=False)

    def get(self, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, bytes, dict[str, str]]:
        extra = {}
        for name, value in (headers or {}).items():
            if name.lower() == "cookie":
                key, _, val = value.partition("=")
                self.client.cookies[key] = val
            else:
                extra["HTTP_" + name.upper().replace("-", "_")] = value
        resp = self.client.get(path, **extra)
        self.client.cookies.clear()
        return resp.status_code, resp.content, dict(resp.headers)


def start_server(port: int) -> subprocess.Popen:
    from django.conf import settings

    env = dict(os.environ)
    env.update({
        # the session cookie was signed by this process: the server must share its key
        "DATABASE_URL": bench_url(), "GEOGMINA_DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY, "GEOGMINA_PII_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1", "GEOGMINA_SSL_REDIRECT": "0",
        "GEOGMINA_SECURE_COOKIES": "0", "GEOGMINA_HSTS_SECONDS": "0",
    })
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "gis_app.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
         "--access-logfile", "/dev/null", "--log-level", "warning"], cwd=REPO, env=env)
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health/")
            if c.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("tiles: gunicorn did not come up")


def measure_tiles(conn, client: Http, tiles: dict[int, list[tuple[int, int, int]]],
                  rounds: int) -> dict:
    report: dict = {}
    with conn.cursor() as cur:
        for z, zt in tiles.items():
            raw, endpoint, cached, sizes = [], [], [], []
            etags = {}
            for z_, x, y in zt:  # warm both paths
                cur.execute("SELECT tiles_parcels(%s, %s, %s, '{}'::bigint[])", [z_, x, y])
                cur.fetchone()
                status, body, headers = client.get(f"/tiles/parcels/{z_}/{x}/{y}.pbf")
                assert status == 200, status
                etags[(x, y)] = headers.get("ETag")
                sizes.append(len(body))
            for _ in range(rounds):
                for z_, x, y in zt:
                    t = time.perf_counter()
                    cur.execute("SELECT tiles_parcels(%s, %s, %s, '{}'::bigint[])", [z_, x, y])
                    cur.fetchone()
                    raw.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    status, body, _ = client.get(f"/tiles/parcels/{z_}/{x}/{y}.pbf")
                    endpoint.append(time.perf_counter() - t)
                    if etags[(x, y)] is None:  # below the layer's zooms: empty, no ETag
                        continue
                    t = time.perf_counter()
                    status, _, _ = client.get(f"/tiles/parcels/{z_}/{x}/{y}.pbf",
                                              {"If-None-Match": etags[(x, y)]})
                    cached.append(time.perf_counter() - t)
                    assert status == 304, status
            report[f"z{z}"] = {
                "tiles": len(zt), "raw_sql": ms(raw), "endpoint": ms(endpoint),
                "cached_304": ms(cached) if cached else None,
                "size_avg_kb": round(statistics.mean(sizes) / 1024, 1),
                "size_max_kb": round(max(sizes) / 1024, 1),
                "ratio_p50": round(pct(endpoint, 50) / pct(raw, 50), 3) if pct(raw, 50) else None,
                "diff_p50_ms": round((pct(endpoint, 50) - pct(raw, 50)) * 1000, 2),
            }
    sizes = []
    for _z, x, y in tiles[16]:
        status, body, _ = client.get(f"/tiles/buildings/16/{x}/{y}.pbf")
        sizes.append(len(body))
    report["buildings_z16"] = {"size_avg_kb": round(statistics.mean(sizes) / 1024, 1),
                               "size_max_kb": round(max(sizes) / 1024, 1)}
    return report


def session_cookie() -> str:
    """A property officer of the bench town (owner search needs VIEW_OWNERS)."""
    os.environ["DATABASE_URL"] = bench_url()
    os.environ.setdefault("GEOGMINA_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role
    from layers.models import Municipality

    user, _ = get_user_model().objects.get_or_create(username="bench_officer")
    for town in Municipality.objects.all():
        grant(user, town, [Role.PROPERTY_OFFICER])
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    return s.session_key


def measure_search(conn, client: Http, cookie: str, n: int) -> dict:
    from urllib.parse import quote

    from layers.domain.text import normalize_text

    rnd = random.Random(7)
    with conn.cursor() as cur:
        cur.execute("SELECT cadastral_id FROM layers_parcel WHERE retired_at IS NULL "
                    "ORDER BY random() LIMIT %s", [n])
        ids = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT street, house_number FROM layers_address WHERE street <> '' "
                    "ORDER BY random() LIMIT %s", [n])
        addresses = [normalize_text(f"{s} {h}") for s, h in cur.fetchall()]  # no diacritics
        cur.execute("SELECT s.name FROM layers_subject s JOIN layers_share sh "
                    "ON sh.subject_id = s.id ORDER BY random() LIMIT %s", [n])
        owners = [name.split()[0] + " " + name.split()[1] if len(name.split()) > 1 else name
                  for (name,) in cur.fetchall()]
    headers = {"Cookie": f"sessionid={cookie}"}
    report = {}
    for kind, queries in (("id", ids), ("address", addresses), ("owner", owners),
                          ("autocomplete", autocomplete_queries(ids, addresses, owners, rnd))):
        rnd.shuffle(queries)
        times, hits = [], 0
        for q in queries[:10]:  # warm
            client.get(f"/api/search?q={quote(q)}", headers)
        size = "&page_size=10" if kind == "autocomplete" else ""
        for q in queries:
            t = time.perf_counter()
            status, body, _ = client.get(f"/api/search?q={quote(q)}{size}", headers)
            times.append(time.perf_counter() - t)
            assert status == 200, (status, body[:200])
            hits += bool(json.loads(body)["results"])
        report[kind] = {**ms(times), "queries_with_results": hits} if times else {"n": 0}
    return report


def autocomplete_queries(ids: list[str], addresses: list[str], owners: list[str],
                         rnd: random.Random) -> list[str]:
    """What an autocomplete box sends while the user types (each keystroke after the third,
    as the page's debounce lets through): address and owner prefixes, partial parcel ids
    ("1.0001.108"), plot numbers alone ("108") and precinct + number ("0001 108")."""
    out: list[str] = []
    for text in addresses[:40] + owners[:20]:
        out += [text[:k] for k in range(3, len(text) + 1, 2)]
    for cid in ids[:40]:
        unit, precinct, number = cid.split(".", 2)
        out += [f"{unit.split('_')[-1]}.{precinct}.{number}", number.split("/")[0],
                f"{precinct} {number}", cid[: rnd.randint(10, len(cid))]]
    return out


def measure_compression(client: Http, tiles: dict[int, list[tuple[int, int, int]]]) -> dict:
    """Bytes on the wire with and without gzip: z14/z16 tiles and a 1,000-feature OGC page."""
    def sizes(path: str) -> tuple[int, int]:
        _s, plain, _h = client.get(path)
        _s, packed, headers = client.get(path, {"Accept-Encoding": "gzip"})
        assert headers.get("Content-Encoding") == "gzip" or len(plain) < 200, path
        return len(plain), len(packed)

    report = {}
    for z in (14, 16):
        pairs = [sizes(f"/tiles/parcels/{z_}/{x}/{y}.pbf") for z_, x, y in tiles[z][:10]]
        report[f"parcels_z{z}_avg_kb"] = {
            "plain": round(statistics.mean(p for p, _ in pairs) / 1024, 1),
            "gzip": round(statistics.mean(g for _, g in pairs) / 1024, 1)}
    plain, packed = sizes("/ogc/collections/parcels/items?limit=1000")
    report["ogc_page_1000_kb"] = {"plain": round(plain / 1024, 1), "gzip": round(packed / 1024, 1)}
    return report


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tiles", type=int, default=40, help="tiles per zoom level")
    ap.add_argument("--searches", type=int, default=200)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--client", action="store_true",
                    help="requests through Django's test Client in-process instead of gunicorn")
    args = ap.parse_args()
    ensure_database(args.parcels, args.rebuild)
    if args.client:  # production settings in this process
        os.environ.update({
            "GEOGMINA_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
            "GEOGMINA_PII_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "testserver,127.0.0.1", "GEOGMINA_SSL_REDIRECT": "0",
            "GEOGMINA_SECURE_COOKIES": "0", "GEOGMINA_HSTS_SECONDS": "0",
        })
    cookie = session_cookie()
    conn = _psql_conn(BENCH_DB)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers_parcel WHERE retired_at IS NULL")
        n_parcels = cur.fetchone()[0]
    tiles = pick_tiles(conn, args.tiles)
    server = None if args.client else start_server(PORT)
    try:
        client = InProcess() if args.client else Http(PORT)
        report = {"parcels": n_parcels,
                  "server": ("Django test Client, in-process, production settings" if args.client
                             else "gunicorn, 1 sync worker, 127.0.0.1"),
                  "load_average_before": os.getloadavg(),
                  "tiles": measure_tiles(conn, client, tiles, args.rounds),
                  "search": measure_search(conn, client, cookie, args.searches),
                  "compression": measure_compression(client, tiles)}
        report["load_average_after"] = os.getloadavg()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        conn.close()
    t = report["tiles"]
    s = report["search"]
    goals = {
        "z14 endpoint p50 <= 1.15 x raw": t["z14"]["ratio_p50"] <= 1.15,
        "z16 endpoint p50 <= raw + 2 ms": t["z16"]["diff_p50_ms"] <= 2.0,
        "cached tile p50 < 2 ms": all(t[z]["cached_304"]["p50_ms"] < 2.0
                                      for z in ("z14", "z16")),
        "no tile > 500 KB": max(t[z]["size_max_kb"] for z in ("z12", "z14", "z16",
                                                              "buildings_z16")) <= 500,
        "z14 parcel tiles < 60 KB on average": t["z14"]["size_avg_kb"] < 60,
        "search p95 < 20 ms (id, address, owner)": all(s[k]["p95_ms"] < 20
                                                       for k in ("id", "address", "owner")),
        "autocomplete p95 < 50 ms": s["autocomplete"]["p95_ms"] < 50,
        "gzip: z14 tile and 1,000-feature page at most half": all(
            v["gzip"] <= v["plain"] / 2 for k, v in report["compression"].items()
            if k != "parcels_z16_avg_kb"),
    }
    report["goals"] = {k: "PASS" if v else "FAIL" for k, v in goals.items()}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
