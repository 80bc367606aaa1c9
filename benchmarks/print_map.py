"""The map print (``/map/print.pdf``) on the 100,000-parcel bench town, against its own SQL.

Uses the database of ``benchmarks/tiles.py`` (``geogmina_bench_tiles``; built there, or here with
the same options). Renders, through Django's test Client in this process (production settings),
an A4 portrait at 1:1,000 over the densest part of the town with parcels, buildings and land uses
on the orthophoto when one is registered (plain otherwise), and, in the same run, the baseline:
the raw tile-function calls for exactly the tiles the print reads (its data cost). Also an A3
landscape at 1:5,000 and at 1:25,000 for the record.

    .venv/bin/python benchmarks/print_map.py [--parcels 100000] [--rounds 5]

Prints a JSON report and the goal (A4 at 1:1,000 under 5 s, p95) with PASS/FAIL; exit status 1 if
it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import tiles as tiles_bench  # noqa: E402  (the bench database and its helpers)

LAYERS = "parcels,buildings,land_uses"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tiles_bench.ensure_database(args.parcels, rebuild=False)
    os.environ.update({
        "DATABASE_URL": tiles_bench.bench_url(), "GEOGMINA_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50), "GEOGMINA_PII_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "testserver", "GEOGMINA_SSL_REDIRECT": "0",
        "GEOGMINA_SECURE_COOKIES": "0", "GEOGMINA_HSTS_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
    })
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from layers.tiles.registry import tile_layer
    from layers.tiles.views import render_tile
    from map_ui.basemaps import all_base_maps
    from map_ui.printing import TO_4326, print_zoom, tile_range

    with connection.cursor() as cur:  # the densest 200 m square: the most parcels to draw
        cur.execute("""
            SELECT avg(ST_X(c)), avg(ST_Y(c)), count(*) FROM (
                SELECT ST_Centroid(geom) AS c,
                       floor(ST_X(ST_Centroid(geom)) / 200) AS gx,
                       floor(ST_Y(ST_Centroid(geom)) / 200) AS gy
                FROM layers_parcel WHERE retired_at IS NULL) p
            GROUP BY gx, gy ORDER BY count(*) DESC LIMIT 1""")
        e, n, dense = cur.fetchone()
        cur.execute("SELECT count(*) FROM layers_parcel WHERE retired_at IS NULL")
        n_parcels = cur.fetchone()[0]
    bases = [b.key for b in all_base_maps() if b.url and not b.online
             and not b.key.endswith("-hillshade")]
    base = bases[0] if bases else "plain"
    client = Client()

    def print_once(paper: str, orientation: str, scale: int) -> tuple[float, int]:
        t = time.perf_counter()
        response = client.get("/map/print.pdf", {
            "paper": paper, "orientation": orientation, "scale": scale,
            "center": f"{e:.1f},{n:.1f}", "layers": LAYERS, "base": base,
            "title": "Benchmark", "author": "bench"})
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.content[:300]
        return elapsed, len(response.content)

    def raw_sql(scale: int, map_mm: tuple[float, float]) -> float:
        """The tile functions the print calls, for the same tiles, on the same connection."""
        half_w, half_h = map_mm[0] / 2000 * scale, map_mm[1] / 2000 * scale
        extent = (e - half_w, n - half_h, e + half_w, n + half_h)
        lat = TO_4326.transform(e, n)[1]
        t = time.perf_counter()
        for name in LAYERS.split(","):
            layer = tile_layer(name)
            z = print_zoom(scale, lat, layer)
            xs, ys = tile_range(extent, z)
            for x in xs:
                for y in ys:
                    render_tile(layer, z, x, y, [])
        return time.perf_counter() - t

    from map_ui.printing import PrintRequest

    def map_mm(paper: str, orientation: str) -> tuple[float, float]:
        return PrintRequest(paper, orientation, 1000, (e, n), [], "plain", "", "").map_mm

    print_once("A4", "portrait", 1000)  # warm: fonts, plans, the COG's blocks
    a4, raw, size = [], [], 0
    for _ in range(args.rounds):
        raw.append(raw_sql(1000, map_mm("A4", "portrait")))
        elapsed, size = print_once("A4", "portrait", 1000)
        a4.append(elapsed)
    others = {}
    for paper, orientation, scale in (("A3", "landscape", 5000), ("A3", "landscape", 25000)):
        elapsed, pdf_size = print_once(paper, orientation, scale)
        others[f"{paper} {orientation} 1:{scale}"] = {
            "s": round(elapsed, 2), "raw_sql_s": round(raw_sql(scale, map_mm(paper,
                                                                             orientation)), 2),
            "pdf_kb": round(pdf_size / 1024)}
    p = tiles_bench.pct
    report = {
        "parcels": n_parcels, "centre_2180": [round(e), round(n)],
        "parcels_in_densest_200m": dense, "base": base, "layers": LAYERS,
        "load_average": os.getloadavg(),
        "A4 portrait 1:1000": {
            "p50_s": round(p(a4, 50), 2), "p95_s": round(p(a4, 95), 2),
            "raw_sql_p50_s": round(p(raw, 50), 3),
            "ratio_to_raw_sql_p50": round(p(a4, 50) / p(raw, 50), 1) if p(raw, 50) else None,
            "pdf_kb": round(size / 1024), "rounds": args.rounds},
        **others,
    }
    goals = {"A4 at 1:1,000 p95 < 5 s": p(a4, 95) < 5.0}
    report["goals"] = {k: "PASS" if v else "FAIL" for k, v in goals.items()}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
