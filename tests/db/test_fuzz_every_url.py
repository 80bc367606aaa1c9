"""Bad requests get 4xx, never 500 (issue #14), on EVERY URL pattern, as the public and as
every role.

The URL patterns come from the URL configuration (``gis_app.permissions.walk``), so a page added
later is fuzzed too. For each page the query parameters it reads are found by asking it once
(reads of the request's QueryDict are recorded); then each of them, and all the usual filter
names at once, get huge, negative, non-numeric and 10,000-character values. The register demos
fill the town so that record pages exist (their ids fill the paths).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.http import QueryDict
from django.test import Client

from gis_app.accounts.roles import Role
from gis_app.permissions import walk
from tests.db.register_town import _ids
from tests.db.register_town import town as town

pytestmark = pytest.mark.django_db

BAD_VALUES = ["9" * 20, "-" + "9" * 20, "-1", "0", "abc", "1e309", "NaN", "x" * 10_000]
# Each parameter a page reads gets these on its own (the others stay unset).
EACH_VALUES = ["9" * 20, "-" + "9" * 20, "abc", "x" * 10_000]
# What a viewer gets in all the common filters on a page already fuzzed for the same parameters.
REPEAT_VALUES = ["9" * 20, "abc"]
# Filter names the pages use, sent all at once with each bad value as well.
COMMON_PARAMS = ["q", "year", "page", "page_size", "offset", "limit", "expiring", "municipality",
                 "parcel", "taxpayer", "zone", "kind", "status", "format", "export", "f", "bbox",
                 "bbox-crs", "crs", "ids", "lon", "lat", "x", "y", "srid", "start", "end",
                 "vehicle", "subscription", "saved", "area", "date_from", "date_to", "user",
                 "action", "object_type", "all", "review", "mode", "leased", "height"]
REGEX_SAMPLES = {"name": "demo", "z": "1", "x": "0", "y": "0", "fmt": "png"}


@contextmanager
def recorded_reads() -> Iterator[set[str]]:
    """The keys any QueryDict is asked for while the block runs."""
    seen: set[str] = set()
    originals = {name: getattr(QueryDict, name) for name in
                 ("get", "__getitem__", "getlist", "__contains__")}

    def wrap(name):
        original = originals[name]

        def reader(self, key, *args, **kwargs):
            if isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)

        return reader

    for name in originals:
        setattr(QueryDict, name, wrap(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(QueryDict, name, original)


def every_url(town) -> list[str]:
    from layers.ogc.registry import collections

    ids = _ids(town)
    urls = []
    for ep in walk():
        if ep.admin or ep.name in ("logout",):
            continue
        route = ep.route
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: REGEX_SAMPLES.get(m.group(1), "1"),
                       route)
        route = route.replace("^", "").replace("$", "").replace("\\.", ".")
        for key in ("municipality_id", "parcel_id", "taxpayer_id"):
            route = route.replace(f"<int:{key}>", str(ids[key]))
        if "<int:" in route:
            prefix = next((p for p in ids if "/" in p and route.startswith(p)), None)
            route = re.sub(r"<int:\w+>", str(ids[prefix]) if prefix else "1", route)
        route = route.replace("<str:fmt>", "csv").replace("<str:layer>", "parcels")
        routes = [route]
        if "<str:collection_id>" in route:
            routes = [route.replace("<str:collection_id>", c.id) for c in collections()]
        for r in routes:
            r = re.sub(r"<(\w+:)?(\w+)>", "1", r)
            urls.append("/" + r)
    return sorted(set(urls))


def _clients(town, make_user) -> dict[str, Client]:
    clients = {"public": Client(raise_request_exception=False)}
    for role in Role:
        c = Client(raise_request_exception=False)  # a 500 is counted, not raised
        c.force_login(make_user(f"fuzz-{role.value}", town, (role.value,)))
        clients[role.value] = c
    return clients


def test_every_url_found(town):
    urls = every_url(town)
    assert len(urls) >= 80
    for expected in ("/leases/", f"/taxes/{town.id}/roll/", "/ogc/collections/parcels/items",
                     "/api/search", "/landscape/devices/", "/audit/"):
        assert expected in urls, expected


@pytest.mark.slow
def test_no_value_of_any_parameter_makes_any_page_fail(town, make_user):
    failures: list[str] = []
    requests = 0
    clients = _clients(town, make_user)
    urls = every_url(town)

    def get(client: Client, url: str, params: dict[str, str], who: str) -> int:
        nonlocal requests
        requests += 1
        status = client.get(url, params).status_code
        if status >= 500:
            shown = {k: (v if len(v) < 30 else v[:10] + f"…({len(v)})") for k, v in params.items()}
            failures.append(f"{who} GET {url} {shown} -> {status}")
        return status

    # A page that reads the same parameters for two viewers parses them in the same code, so the
    # whole set of values is sent once per (page, parameters read); every other viewer still gets
    # the plain request and REPEAT_VALUES in all the common filters at once.
    fuzzed: set[tuple[str, frozenset[str]]] = set()
    for who, client in clients.items():
        for url in urls:
            with recorded_reads() as read:
                status = get(client, url, {}, who)
            if status in (302, 401, 403, 405):  # refused before reading anything
                get(client, url, dict.fromkeys(COMMON_PARAMS, BAD_VALUES[0]), who)
                continue
            names = frozenset(read - {"csrfmiddlewaretoken"})
            seen = (url, names) in fuzzed
            for value in REPEAT_VALUES if seen else BAD_VALUES:
                get(client, url, dict.fromkeys(COMMON_PARAMS, value), who)
            if seen:
                continue
            fuzzed.add((url, names))
            for name in sorted(names):
                for value in EACH_VALUES:
                    get(client, url, {name: value}, who)
    print(f"{requests} requests to {len(urls)} URLs as {len(clients)} viewers")
    assert requests > 1000
    assert failures == [], "\n".join(failures[:40]) + f"\n({len(failures)} in all)"
