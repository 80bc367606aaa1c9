"""The raster tile disk cache stays under its cap: least recently used tiles and the folders of
deleted rasters go, tiles in use stay, and concurrent pruning or deletion never fails a request.

Tiles are rendered through the real view from a real imported raster into a per-test cache
(``GEOGMINA_VAR_DIR`` in ``tmp_path``).
"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from importers.raster.importer import import_raster
from layers.rasters import tiles
from layers.rasters.models import Raster
from tests.db.test_raster_import import LAT, LON, write_marker_tiff
from tests.db.test_raster_tiles import tile_pixel

pytestmark = pytest.mark.django_db

Z = 18  # ≈ 100 m tiles at 50°N: the 700 m test orthophoto covers 7 × 7 of them
DAY = 86400


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"


@pytest.fixture
def make_ortho(tmp_path, make_municipality):
    make_municipality()

    def make(name: str) -> Raster:
        src = tmp_path / f"{name}.tif"
        write_marker_tiff(src, 2178, 1.0)
        return import_raster(src, kind="orthophoto", municipality="180501_1", name=name)

    return make


def grid(n: int = 12) -> list[tuple[int, int, int]]:
    """``n`` tiles around the marker, all inside the raster."""
    cx, cy, _, _ = tile_pixel(LON, LAT, Z)
    return [(Z, cx + dx, cy + dy) for dy in (-1, 0, 1, 2) for dx in (-1, 0, 1)][:n]


def fetch(client, raster: Raster, tile: tuple[int, int, int]):
    z, x, y = tile
    response = client.get(f"/rasters/{raster.name}/{z}/{x}/{y}.jpg")
    assert response.status_code == 200
    return response


def cached(raster: Raster, tile: tuple[int, int, int]) -> Path:
    return tiles.cache_path(raster, "default", *tile, "jpg")


def age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when))


def usage(root: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in root.rglob("*") if p.is_file())


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(autouse=True)
def no_background_prune(settings):
    """The view's background prune is tested on its own; elsewhere it would race the test."""
    settings.GEOGMINA_RASTER_TILE_CACHE_PRUNE_MINUTES = 0


def test_prune_keeps_recently_used_tiles_and_removes_the_oldest(client, make_ortho):
    ortho = make_ortho("orto")
    tile_list = grid()
    for tile in tile_list:
        assert fetch(client, ortho, tile)["X-Tile-Cache"] == "miss"
    # a month of browsing: tile i was last used (10 days - i hours) ago, tile 0 the oldest
    for i, tile in enumerate(tile_list):
        age(cached(ortho, tile), 10 * DAY - i * 3600)
    # the three oldest are viewed again today: a hit makes them the most recently used
    for tile in tile_list[:3]:
        assert fetch(client, ortho, tile)["X-Tile-Cache"] == "hit"
        assert time.time() - cached(ortho, tile).stat().st_mtime < 60

    total = usage(tiles.cache_root())
    cap = int(total * 0.6)
    report = tiles.prune(cap, tiles.live_folders())

    assert report.bytes == total and report.files == len(tile_list)
    assert report.remaining_bytes == usage(tiles.cache_root()) <= cap * tiles.PRUNE_TARGET
    assert report.removed_files > 0 and report.stale_folders == 0
    kept = [tile for tile in tile_list if cached(ortho, tile).exists()]
    removed = [tile for tile in tile_list if tile not in kept]
    assert set(tile_list[:3]) <= set(kept), "recently used tiles stay"
    # those removed are exactly the oldest of the rest
    assert removed == tile_list[3:3 + len(removed)]
    # a pruned tile is rendered again on its next request
    assert fetch(client, ortho, removed[0])["X-Tile-Cache"] == "miss"
    assert fetch(client, ortho, removed[0])["X-Tile-Cache"] == "hit"


def test_the_cache_folder_of_a_deleted_or_replaced_raster_goes(client, make_ortho, tmp_path):
    ortho, gone = make_ortho("orto"), make_ortho("stare")
    fetch(client, ortho, grid()[0])
    fetch(client, gone, grid()[0])
    gone_folder = cached(gone, grid()[0]).parents[3]
    assert gone_folder.parent == tiles.cache_root() and gone_folder.is_dir()
    gone.delete()
    # a re-import under the same name gets a new file stem: the old folder is stale too
    old_folder = cached(ortho, grid()[0]).parents[3]
    write_marker_tiff(tmp_path / "orto2.tif", 2178, 1.0)
    ortho = import_raster(tmp_path / "orto2.tif", kind="orthophoto", municipality="180501_1",
                          name="orto", replace=True)
    fetch(client, ortho, grid()[1])
    new_folder = cached(ortho, grid()[1]).parents[3]
    assert new_folder != old_folder
    # something that is not a raster's folder is not the prune's to delete
    (tiles.cache_root() / "README").write_text("not a tile")

    report = tiles.prune(None, tiles.live_folders())

    assert report.stale_folders == 2 and report.removed_files == 0
    assert not gone_folder.exists() and not old_folder.exists()
    assert cached(ortho, grid()[1]).is_file()
    assert (tiles.cache_root() / "README").exists()


def test_dry_run_deletes_nothing_and_the_command_reports(client, make_ortho):
    ortho, gone = make_ortho("orto"), make_ortho("stare")
    for tile in grid(6):
        fetch(client, ortho, tile)
    fetch(client, gone, grid()[0])
    for i, tile in enumerate(grid(6)):
        age(cached(ortho, tile), DAY - i)
    gone.delete()
    before = listing(tiles.cache_root())
    cap_mb = usage(tiles.cache_root()) * 0.5 / tiles.MB

    out, err = io.StringIO(), io.StringIO()
    call_command("prune_tile_cache", "--max-mb", f"{cap_mb:.6f}", "--dry-run", stdout=out,
                 stderr=err)
    assert listing(tiles.cache_root()) == before
    summary = out.getvalue()
    assert "would remove 1 folder(s)" in summary and "least recently used" in summary
    assert "would remove 0 folder" not in summary and " 0 least" not in summary
    assert "scanning" in err.getvalue()

    out = io.StringIO()
    call_command("prune_tile_cache", "--max-mb", f"{cap_mb:.6f}", stdout=out, stderr=err)
    assert "removed 1 folder(s)" in out.getvalue()
    assert usage(tiles.cache_root()) <= cap_mb * tiles.MB * tiles.PRUNE_TARGET
    assert cached(ortho, grid(6)[-1]).exists() and not cached(ortho, grid(6)[0]).exists()


def test_files_deleted_by_another_worker_during_a_prune_are_skipped(client, make_ortho):
    ortho = make_ortho("orto")
    for tile in grid():
        fetch(client, ortho, tile)
    half = grid()[:6]

    def other_worker_deletes(stage: str, done: int, total: int | None) -> None:
        # the scan is done: another worker's prune now deletes half of the tiles first
        for tile in half:
            cached(ortho, tile).unlink(missing_ok=True)

    report = tiles.prune(1, tiles.live_folders(), progress=other_worker_deletes)
    assert report.removed_files == len(grid()) - len(half)
    assert report.remaining_bytes <= 0 and usage(tiles.cache_root()) == 0
    # the emptied z/x folders went too; the next request re-creates them
    assert not any(p.is_file() for p in tiles.cache_root().rglob("*"))
    assert fetch(client, ortho, grid()[0])["X-Tile-Cache"] == "miss"


def test_workers_pruning_and_serving_at_once_never_fail(client, make_ortho):
    ortho = make_ortho("orto")
    for tile in grid():
        fetch(client, ortho, tile)
    live = tiles.live_folders()
    cap = usage(tiles.cache_root()) // 3
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            tiles.prune(cap, live)
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    start_time = time.monotonic()
    while any(t.is_alive() for t in threads) and time.monotonic() - start_time < 30:
        for tile in grid():  # requests while the prunes run: each is 200, hit or miss
            fetch(client, ortho, tile)
    for thread in threads:
        thread.join()
    assert errors == []
    # the whole cache folder removed between two requests: rendered and cached again
    import shutil

    shutil.rmtree(tiles.cache_root())
    assert fetch(client, ortho, grid()[0])["X-Tile-Cache"] == "miss"
    assert fetch(client, ortho, grid()[0])["X-Tile-Cache"] == "hit"


def test_a_cache_that_cannot_be_written_still_serves_the_tile(client, make_ortho, caplog):
    ortho = make_ortho("orto")
    style_dir = cached(ortho, grid()[0]).parents[2]
    style_dir.parent.mkdir(parents=True)
    style_dir.write_text("a file where the style folder should be")
    first = fetch(client, ortho, grid()[0])
    assert first["X-Tile-Cache"] == "miss" and first.content[:2] == b"\xff\xd8"
    assert "raster tile not cached" in caplog.text


def test_the_tile_view_prunes_in_the_background_once_per_interval(client, make_ortho,
                                                                  settings, monkeypatch):
    settings.GEOGMINA_RASTER_TILE_CACHE_MB = 1
    settings.GEOGMINA_RASTER_TILE_CACHE_PRUNE_MINUTES = 10
    monkeypatch.setattr(tiles, "_next_check", float("inf"))  # not while the cache is set up
    ortho, gone = make_ortho("orto"), make_ortho("stare")
    fetch(client, gone, grid()[0])
    gone_folder = cached(gone, grid()[0]).parents[3]
    gone.delete()
    # 1.5 MB of tiles browsed last week, in the live raster's folder
    old = cached(ortho, grid()[0]).parent.parent / "0"
    old.mkdir(parents=True)
    for y in range(192):
        (old / f"{y}.jpg").write_bytes(b"\xff" * 8192)
        age(old / f"{y}.jpg", 7 * DAY)

    monkeypatch.setattr(tiles, "_thread", None)
    monkeypatch.setattr(tiles, "_next_check", 0.0)  # as in a freshly started worker
    response = fetch(client, ortho, grid()[0])
    thread = tiles._thread
    assert thread is not None, "the first tile request of a worker starts a prune"
    thread.join(timeout=30)
    assert response["X-Tile-Cache"] == "miss"
    assert usage(tiles.cache_root()) <= tiles.MB * tiles.PRUNE_TARGET
    assert not gone_folder.exists()
    assert cached(ortho, grid()[0]).is_file(), "the tile just rendered is the newest"
    # within the interval no other prune starts, in this worker or (by the stamp) another one
    fetch(client, ortho, grid()[1])
    assert tiles._thread is thread
    monkeypatch.setattr(tiles, "_next_check", 0.0)
    fetch(client, ortho, grid()[2])
    assert tiles._thread is thread


def test_no_background_prune_when_the_interval_is_zero(client, make_ortho, monkeypatch):
    monkeypatch.setattr(tiles, "_next_check", 0.0)
    monkeypatch.setattr(tiles, "_thread", None)
    fetch(client, make_ortho("orto"), grid()[0])
    assert tiles._thread is None
