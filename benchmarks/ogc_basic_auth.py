"""A GIS client paging through a protected OGC API collection with HTTP Basic, in one run:
every request checking the password with the hasher (the baseline, the behaviour before the
verified-credentials cache) against the cache (GEOGMINA_BASIC_AUTH_CACHE_SECONDS).

    .venv/bin/python benchmarks/ogc_basic_auth.py [--pages 50] [--limit 10]

Builds, inside a transaction that is rolled back at the end (nothing stays in the database), a
town of ``--pages × --limit`` parcels and a property officer, then requests the ``parcel-owners``
items page by page through Django's test client with the production password hasher (the
project's default, PBKDF2): ``--pages`` requests with the cache off, then as many with it on.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import get_hasher
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.cache import cache
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role
    from layers.models import Municipality, Parcel, Precinct

    password = "bench-ogc-Haslo-2026"  # a throwaway user, rolled back
    token = base64.b64encode(f"bench-ogc-officer:{password}".encode()).decode()
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Basic {token}")
    hasher = get_hasher()

    def square(x: float, y: float, size: float) -> MultiPolygon:
        return MultiPolygon(Polygon(((x, y), (x + size, y), (x + size, y + size),
                                     (x, y + size), (x, y))), srid=2180)

    def run(ttl: int) -> list[float]:
        cache.clear()
        times = []
        with override_settings(GEOGMINA_BASIC_AUTH_CACHE_SECONDS=ttl):
            for page in range(args.pages):
                url = (f"/ogc/collections/parcel-owners/items?limit={args.limit}"
                       f"&offset={page * args.limit}")
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (response.status_code, response.content)
                assert response.json()["numberReturned"] > 0
        return times

    try:
        with transaction.atomic():
            town = Municipality.objects.create(teryt="bench_ogc", name="Bench OGC")
            precinct = Precinct.objects.create(municipality=town, teryt="bench_ogc.0001",
                                               name="1", source_namespace="bench",
                                               local_id="bench_ogc.0001")
            count = args.pages * args.limit
            Parcel.objects.bulk_create(
                Parcel(municipality=town, precinct=precinct, cadastral_id=f"bench_ogc.0001.{i}",
                       number=str(i), legal_area_m2=400, source_namespace="bench",
                       local_id=f"bench-ogc-{i}", version_id="1",
                       geom=square(600_000 + (i % 50) * 20, 300_000 + (i // 50) * 20, 20))
                for i in range(count))
            user = get_user_model().objects.create_user("bench-ogc-officer", password=password)
            grant(user, town, [Role.PROPERTY_OFFICER])
            start = time.perf_counter()
            hasher.verify(password, user.password)
            check_ms = (time.perf_counter() - start) * 1000
            run(0)  # warm-up: connections, imports, query plans
            before = run(0)
            after = run(settings.GEOGMINA_BASIC_AUTH_CACHE_SECONDS or 300)
            raise Rollback
    except Rollback:
        pass

    print(f"{args.pages} pages of {args.limit} parcels (parcel-owners), HTTP Basic, "
          f"hasher {hasher.algorithm} ({check_ms:.0f} ms per check)")
    for label, times in (("every request hashed (before)", before),
                         ("verified-credentials cache (after)", after)):
        print(f"  {label:36s}: total {sum(times) / 1000:6.2f} s, "
              f"p50 {statistics.median(times):7.1f} ms, max {max(times):7.1f} ms")
    print(f"  ratio total before / after: {sum(before) / sum(after):.1f} x")


if __name__ == "__main__":
    main()
