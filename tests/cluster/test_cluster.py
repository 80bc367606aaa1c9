"""``make test-cluster``: the running cluster of scripts/cluster.py (issue #20), over HTTP.

Started by ``make cluster`` (the demo town loaded), run without pytest-django
(``-p no:django``): everything goes through nginx on 127.0.0.1, the database is inspected and
changed with psql on the primary's and the replica's unix sockets. The one parcel the test edits
gets its number back at the end.
"""

from __future__ import annotations

import http.cookiejar
import math
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import cluster  # noqa: E402  (scripts/cluster.py)

from gis_app import dbctl  # noqa: E402
from tests.mvt import decode_mvt  # noqa: E402

BASE = f"http://127.0.0.1:{cluster.HTTP_PORT}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client; answers (status, headers, body) whatever the status."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(BASE + path, data=body, headers={
            "Referer": BASE + "/", **(headers or {})})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def login(self, username: str, password: str) -> None:
        status, _, body = self.request("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        status, _, _ = self.request("/accounts/login/", {
            "username": username, "password": password,
            "csrfmiddlewaretoken": token.decode()})
        assert status == 302, f"login of {username} failed ({status})"
        assert self.cookie("sessionid")


def psql(sql: str, replica: bool = False) -> str:
    host, port = ((cluster.replica_run(), cluster.REPLICA_PORT) if replica
                  else (dbctl.socket_dir(), dbctl.port()))
    return subprocess.run(["psql", "-h", str(host), "-p", str(port), "-U", dbctl.DB_USER,
                           "-d", dbctl.DB_NAME, "-tAc", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def wait_for_replica_replay(seconds: float = 10) -> None:
    """Until the replica has replayed all the primary has written so far."""
    target = psql("SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + seconds
    while psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", replica=True) != "t":
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not replay up to {target} within {seconds:g} s")
        time.sleep(0.1)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    return (z, int((lon + 180.0) / 360.0 * n),
            int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n))


def tile_urls(browser: Browser) -> dict[str, str]:
    """The tile URL templates the map page hands this browser (with their ?v=)."""
    status, _, body = browser.request("/")
    assert status == 200
    return {m.group(1): m.group(0) for m in re.finditer(
        r"/tiles/([a-z_]+)/\{t?z\}/\{x\}/\{y\}\.pbf(?:\?v=[0-9.]+)?", body.decode())}


@pytest.fixture(scope="module")
def parcel():
    if cluster.nginx_pid() is None or not cluster.replica_running():
        pytest.fail("the cluster is not running: `make cluster` first (make test-cluster does)")
    row = psql("SELECT id, number, ST_X(c), ST_Y(c) FROM (SELECT id, number, "
               "ST_Transform(ST_PointOnSurface(geom), 4326) c FROM layers_parcel "
               "ORDER BY id LIMIT 1) s")
    if not row:
        pytest.fail("no parcel in the database: load the demo town (make demo)")
    pid, number, lon, lat = row.split("|")
    cluster.clear_tile_cache()
    yield {"id": int(pid), "number": number, "tile": tile_of(float(lon), float(lat), 16)}
    psql(f"UPDATE layers_parcel SET number = '{number}' WHERE id = {int(pid)}")


def _tile_path(template: str, zxy: tuple[int, int, int]) -> str:
    z, x, y = zxy
    # {tz}: the map's 512-pixel grid names the tile by its own zoom (map_ui/views.py)
    return (template.replace("{tz}", str(z)).replace("{z}", str(z)).replace("{x}", str(x))
            .replace("{y}", str(y)))


def test_a_public_tile_is_served_from_the_edge_cache_without_reaching_django(parcel):
    url = _tile_path(tile_urls(Browser())["parcels"], parcel["tile"])
    assert "?v=" in url
    status, headers, first = Browser().request(url)
    assert status == 200 and headers["X-Cache-Status"] in {"MISS", "EXPIRED"}
    assert headers["Cache-Control"] == "public, max-age=86400, immutable"
    features = decode_mvt(first)["parcels"]
    assert any(f["_id"] == parcel["id"] for f in features)
    status, headers, second = Browser().request(url)
    assert status == 200 and headers["X-Cache-Status"] == "HIT" and second == first
    # the access log: the HIT went to no upstream (Django never saw it)
    last = (cluster.nginx_dir() / "access.log").read_text().splitlines()[-1]
    assert url in last and " - - cache=HIT" in last


def test_a_tile_without_the_current_version_is_not_kept(parcel):
    url = _tile_path("/tiles/parcels/{z}/{x}/{y}.pbf?v=0.0", parcel["tile"])
    for _ in range(2):
        status, headers, _ = Browser().request(url)
        assert status == 200 and headers["X-Cache-Status"] == "MISS"
        assert "immutable" not in headers["Cache-Control"]


def test_protected_tiles_are_never_shared_between_viewers(parcel):
    tax_officer, planner = Browser(), Browser()
    tax_officer.login("podatki", "demo-podatki")
    planner.login("planista", "demo-planista")
    template = tile_urls(tax_officer)["tax_status"]
    url = _tile_path(template, parcel["tile"])
    for _ in range(2):
        status, headers, _ = tax_officer.request(url)
        assert status == 200 and headers["X-Cache-Status"] == "BYPASS"
        assert {"private", "no-store"} <= {
            v.strip() for v in headers["Cache-Control"].split(",")}
    # the planner holds no tax capability: Django answers him, not the officer's copy
    status, headers, _ = planner.request(url)
    assert status == 403 and headers["X-Cache-Status"] == "BYPASS"
    status, headers, _ = Browser().request(url)  # anonymous
    assert status == 401 and headers["X-Cache-Status"] == "MISS"
    # a logged-in viewer of a public layer is not answered from the anonymous entry either
    public = _tile_path(tile_urls(Browser())["parcels"], parcel["tile"])
    Browser().request(public)
    status, headers, _ = planner.request(public)
    assert status == 200 and headers["X-Cache-Status"] == "BYPASS"


def test_a_data_change_is_visible_on_the_next_request(parcel):
    viewer = Browser()
    old = _tile_path(tile_urls(viewer)["parcels"], parcel["tile"])
    viewer.request(old)
    assert viewer.request(old)[1]["X-Cache-Status"] == "HIT"
    marker = f"T{int(time.time()) % 100000}"
    psql(f"UPDATE layers_parcel SET number = '{marker}' WHERE id = {parcel['id']}")
    new = _tile_path(tile_urls(viewer)["parcels"], parcel["tile"])
    assert new != old  # the data version moved: new URLs, new cache entries

    def number(body: bytes) -> str:
        return {f["_id"]: f.get("number") for f in decode_mvt(body)["parcels"]}[parcel["id"]]

    status, headers, body = viewer.request(new)
    assert status == 200 and headers["X-Cache-Status"] == "MISS"
    if number(body) != marker:
        # Streaming is asynchronous: the replica answered before it replayed the change. Its
        # tile names an older version than the URL, so nginx must not keep it under that URL.
        assert "immutable" not in headers["Cache-Control"], headers["X-Geogmina-Read-DB-Reason"]
        wait_for_replica_replay()
        status, headers, body = viewer.request(new)
        assert status == 200 and headers["X-Cache-Status"] == "MISS"
    assert number(body) == marker
    status, headers, again = viewer.request(new)
    assert status == 200 and headers["X-Cache-Status"] == "HIT" and again == body


def test_a_write_then_a_read_sees_the_write(parcel):
    officer = Browser()
    officer.login("urzednik", "demo-urzednik")  # a POST: pins this browser to the primary
    assert officer.cookie("geogmina_pin")
    marker = f"W{int(time.time()) % 100000}"
    psql(f"UPDATE layers_parcel SET number = '{marker}' WHERE id = {parcel['id']}")
    status, headers, body = officer.request(f"/api/parcels/{parcel['id']}")
    assert status == 200 and headers["X-Geogmina-Read-DB"] == "default"
    assert marker.encode() in body


def test_reads_go_to_the_replica_and_fall_back_when_it_lags_or_stops(parcel):
    reader = Browser()
    # a tile with a stale ?v= is never cached: each request reaches Django and the database
    url = _tile_path("/tiles/parcels/{z}/{x}/{y}.pbf?v=0.0", parcel["tile"])

    reasons: list[str] = []

    def route() -> str:
        status, headers, _ = reader.request(url)
        assert status == 200, f"a read failed ({status})"
        reasons.append(f"{headers['X-Geogmina-Read-DB']}: {headers['X-Geogmina-Read-DB-Reason']}")
        return headers["X-Geogmina-Read-DB"]

    def until(alias: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        reasons.clear()
        while time.monotonic() < deadline:
            if route() == alias:
                return
            time.sleep(0.3)
        pytest.fail(f"reads did not move to {alias} within {seconds:g} s; the router said:\n"
                    + "\n".join(dict.fromkeys(reasons)))

    until("replica", 10)
    assert psql("SELECT pg_is_in_recovery()", replica=True) == "t"
    # lag: the replica stops replaying while the primary writes
    psql("SELECT pg_wal_replay_pause()", replica=True)
    try:
        psql(f"UPDATE layers_parcel SET number = number WHERE id = {parcel['id']}")
        until("default", 3 * cluster.MAX_LAG_SECONDS + 5)
    finally:
        psql("SELECT pg_wal_replay_resume()", replica=True)
    until("replica", 10)
    # down: reads keep answering (from the primary once the health check, ~1 s, sees it)
    cluster.stop_replica()
    try:
        for _ in range(5):
            route()  # no error even in the second the cached health still says "up"
        until("default", 3)
        assert all(route() == "default" for _ in range(5))
    finally:
        cluster.start_replica()
    until("replica", 20)


def test_the_primary_down_writes_answer_503_and_reads_keep_working(parcel):
    reader, writer = Browser(), Browser()
    url = _tile_path("/tiles/parcels/{z}/{x}/{y}.pbf?v=0.0", parcel["tile"])
    status, _, login_page = writer.request("/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = {"username": "planista", "password": "demo-planista",
            "csrfmiddlewaretoken": token.decode()}
    dbctl.stop()
    try:
        time.sleep(cluster.MAX_LAG_SECONDS + 1.5)  # the replica now looks "behind" as well
        for _ in range(5):
            status, headers, _ = reader.request(url)
            assert status == 200 and headers["X-Geogmina-Read-DB"] == "replica"
        status, headers, body = writer.request("/accounts/login/", form)
        assert status == 503 and headers["Retry-After"]
        assert b"temporarily unavailable" in body or b"chwilowo" in body
    finally:
        dbctl.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, _, _ = writer.request("/accounts/login/", form)
        if status == 302:
            break
        time.sleep(0.5)
    else:
        pytest.fail("writes did not recover after the primary restarted")
