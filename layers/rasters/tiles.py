"""Disk cache of rendered raster tiles.

Tiles are cached under ``<var>/cache/rasters/<raster id>-<file stem>/<style>/z/x/y.<fmt>``: the
file stem changes on every re-import (``name-<random>.tif``), so a replaced raster never serves
stale tiles, and old cache folders can be deleted at will.

A town's orthophoto browsed for months would fill the disk, so the cache has a cap
(``GEOGMINA_RASTER_TILE_CACHE_MB``). :func:`prune` deletes the folders of rasters no longer in the
registry, then the least recently used tiles down to 90 % of the cap; the tile view calls
:func:`prune_soon`, which starts at most one prune per interval in a background thread, and
``manage.py prune_tile_cache`` runs one by hand or from cron.

Several gunicorn workers share the folder and any of them may render, read or prune at the same
time: every step tolerates a file or folder vanishing under it, and a tile that cannot be cached
is served all the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from layers.rasters.models import Raster
from layers.rasters.render import render_tile

logger = logging.getLogger(__name__)

MB = 1024 * 1024  # the cap is in MiB, like `du -m`
PRUNE_TARGET = 0.9  # prune below the cap, so the next prune is not due at the next new tile
# Least recently used = oldest mtime. atime would record reads for free, but servers mount with
# relatime (atime moves at most once a day, and only while it is older than mtime) or noatime
# (never), so the order it gives is unreliable. A cached tile is written once and never modified,
# so its mtime is ours to move: a hit sets it to now, at most once per TOUCH_AFTER_SECONDS, which
# keeps a hit to one fstat and costs at most one metadata write per tile per hour.
TOUCH_AFTER_SECONDS = 3600
# A ".part" file younger than this is a tile being written by another worker right now.
PART_GRACE_SECONDS = 120
_CACHE_FOLDER = re.compile(r"^\d+-")  # <raster id>-<stem>: anything else is not ours to delete
_LOCK_FILE = ".prune.lock"
_STAMP_FILE = ".pruned"


def cache_root() -> Path:
    return Path(settings.GEOGMINA_VAR_DIR) / "cache" / "rasters"


def cache_folder_name(raster_id: int, file_path: str) -> str:
    return f"{raster_id}-{Path(file_path).stem}"


def cache_path(raster: Raster, style: str, z: int, x: int, y: int, fmt: str) -> Path:
    return cache_root() / cache_folder_name(raster.pk, raster.file_path) / style / str(z) \
        / str(x) / f"{y}.{fmt}"


def get_tile(raster: Raster, style: str, z: int, x: int, y: int, fmt: str
             ) -> tuple[bytes, str, bool]:
    """(bytes, etag, was_cached). Rendered once, then read from disk."""
    path = cache_path(raster, style, z, x, y, fmt)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
            _mark_used(fh.fileno())
        cached = True
    except OSError:  # not cached yet, or pruned a moment ago by another worker
        data = render_tile(raster.path, raster.kind, style, z, x, y, fmt)
        cached = False
        try:
            _write_atomically(path, data)
        except OSError as exc:
            # A full disk, or a prune removing the folder under the write: the tile is rendered,
            # so it is served; the next request renders it again.
            logger.warning("raster tile not cached: %s: %s", path, exc)
    return data, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"', cached


def _mark_used(fd: int) -> None:
    """Move the tile's mtime to now (see TOUCH_AFTER_SECONDS): what the prune calls recent."""
    with contextlib.suppress(OSError):  # an unlinked file still has its inode; nothing to fail
        if time.time() - os.fstat(fd).st_mtime > TOUCH_AFTER_SECONDS:
            os.utime(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    """Concurrent workers may render the same tile: write a temp file, then rename.

    A prune may remove the folder, once empty, between ``mkdir`` and ``mkstemp``: one retry.
    """
    for attempt in (1, 2):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------
# Pruning


@dataclass
class PruneReport:
    """What a prune found and removed (or, in a dry run, would remove); sizes are disk usage."""

    root: Path
    max_bytes: int | None
    dry_run: bool = False
    files: int = 0
    bytes: int = 0
    stale_folders: int = 0
    stale_bytes: int = 0
    removed_files: int = 0
    removed_bytes: int = 0
    remaining_bytes: int = 0

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        cap = f"cap {self.max_bytes / MB:,.1f} MB" if self.max_bytes else "no cap"
        return (f"tile cache {self.root}: {self.files:,} files, {self.bytes / MB:,.1f} MB; "
                f"{verb} {self.stale_folders:,} folder(s) of rasters no longer registered "
                f"({self.stale_bytes / MB:,.1f} MB) and {self.removed_files:,} least recently "
                f"used tile(s) ({self.removed_bytes / MB:,.1f} MB); "
                f"{self.remaining_bytes / MB:,.1f} MB left, {cap}")


Progress = Callable[[str, int, int | None], None]


def live_folders() -> set[str]:
    """Cache folder names of the rasters in the registry; any other cache folder is stale."""
    return {cache_folder_name(pk, file_path)
            for pk, file_path in Raster.objects.values_list("pk", "file_path")}


def max_cache_bytes() -> int | None:
    return settings.GEOGMINA_RASTER_TILE_CACHE_MB * MB or None


def prune(max_bytes: int | None, live: Collection[str], *, root: Path | None = None,
          dry_run: bool = False, progress: Progress | None = None) -> PruneReport:
    """Delete the cache folders not in ``live``, then the least recently used tiles until the
    cache takes at most 90 % of ``max_bytes`` (``None``: no cap).

    ``live`` comes from :func:`live_folders`, read by the caller, so that a prune in a background
    thread needs no database connection of its own. Files another process deletes meanwhile are
    skipped, never an error: two workers may prune at once.
    """
    root = root or cache_root()
    report = PruneReport(root=root, max_bytes=max_bytes, dry_run=dry_run)
    try:
        tops = sorted(entry.path for entry in os.scandir(root)
                      if _CACHE_FOLDER.match(entry.name) and entry.is_dir(follow_symlinks=False))
    except FileNotFoundError:
        return report
    tiles: list[tuple[float, int, str]] = []
    for top in tops:
        files = list(_files(top))
        size = sum(f[1] for f in files)
        report.files += len(files)
        report.bytes += size
        if progress:
            progress("scan", report.files, None)
        if os.path.basename(top) in live:
            tiles += files
            continue
        report.stale_folders += 1
        report.stale_bytes += size
        if not dry_run:
            shutil.rmtree(top, onerror=_vanished_is_fine)
    total = report.bytes - report.stale_bytes
    if max_bytes is not None and total > max_bytes:
        target = int(max_bytes * PRUNE_TARGET)
        tiles.sort()  # oldest mtime first
        being_written = time.time() - PART_GRACE_SECONDS
        emptied: set[str] = set()
        for mtime, size, path in tiles:
            if total <= target:
                break
            if path.endswith(".part") and mtime > being_written:
                continue
            if not dry_run:
                try:
                    os.unlink(path)
                except FileNotFoundError:  # another worker's prune was first
                    total -= size
                    continue
                except OSError as exc:
                    logger.warning("raster tile cache: cannot remove %s: %s", path, exc)
                    continue
                emptied.add(os.path.dirname(path))
            total -= size
            report.removed_files += 1
            report.removed_bytes += size
            if progress and report.removed_files % 1000 == 0:
                progress("delete", report.removed_files, None)
        _remove_empty_folders(emptied, root)
    report.remaining_bytes = total
    return report


def _files(folder: str) -> Iterator[tuple[float, int, str]]:
    """(mtime, bytes on disk, path) of every file under ``folder``; vanished entries skipped."""
    stack = [folder]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                # Blocks, not st_size: a 300-byte empty tile still takes a 4 KiB block, and the
                # cap is about the disk filling up.
                yield st.st_mtime, st.st_blocks * 512, entry.path


def _vanished_is_fine(function: Callable, path: str, exc_info: tuple) -> None:
    if not isinstance(exc_info[1], FileNotFoundError):
        logger.warning("raster tile cache: cannot remove %s: %s", path, exc_info[1])


def _remove_empty_folders(folders: set[str], root: Path) -> None:
    """z/x folders emptied by the prune go too, deepest first; a writer re-creates them."""
    stop = str(root)
    for folder in sorted(folders, key=lambda f: f.count(os.sep), reverse=True):
        while folder.startswith(stop + os.sep):
            try:
                os.rmdir(folder)
            except OSError:  # not empty (a new tile, or files still to keep), or gone already
                break
            folder = os.path.dirname(folder)


# ---------------------------------------------------------------------------------------------
# The tile view's hook

_next_check = 0.0  # time.monotonic() before which this process does not look at the stamp
_running = threading.Lock()
_thread: threading.Thread | None = None


def prune_soon() -> threading.Thread | None:
    """Start a prune in a background thread when none ran for an interval in any process.

    Called on every tile request, so it must cost nothing: a clock read, and once an interval
    one stat of the stamp file, one small registry query and a thread start. The walk over the
    cache runs in the thread, never in the request, and failures are logged, never raised.
    """
    global _next_check, _thread
    interval = settings.GEOGMINA_RASTER_TILE_CACHE_PRUNE_MINUTES * 60
    now = time.monotonic()
    if interval <= 0 or now < _next_check:
        return None
    _next_check = now + interval
    root = cache_root()
    if _pruned_within(root, interval) or not _running.acquire(blocking=False):
        return None
    try:
        thread = threading.Thread(target=_prune_in_background,
                                  args=(root, max_cache_bytes(), live_folders(), interval),
                                  name="raster-tile-cache-prune", daemon=True)
        thread.start()
    except Exception:
        _running.release()
        logger.exception("raster tile cache: could not start a prune")
        return None
    _thread = thread
    return thread


def _pruned_within(root: Path, interval: float) -> bool:
    try:
        return time.time() - (root / _STAMP_FILE).stat().st_mtime < interval
    except FileNotFoundError:
        return False
    except OSError:
        return True  # an unreadable cache folder: do not try every request


def _prune_in_background(root: Path, max_bytes: int | None, live: set[str],
                         interval: float) -> None:
    """One prune at a time across processes (an flock), stamped for the others to skip."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with open(root / _LOCK_FILE, "ab") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another worker is pruning now
            if _pruned_within(root, interval):
                return  # another worker pruned while this one was starting
            (root / _STAMP_FILE).touch()
            report = prune(max_bytes, live, root=root)
        if report.stale_folders or report.removed_files:
            logger.info("%s", report.summary())
    except Exception:
        logger.exception("raster tile cache: prune failed")
    finally:
        _running.release()
