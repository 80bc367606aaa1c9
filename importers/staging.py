"""COPY rows into a staging table while the file is still being parsed.

A producer thread runs the (pure Python) reader and hands encoded COPY chunks to the main
thread through a bounded queue; ``copy_expert`` drains it, so PostgreSQL ingests while Python
parses, and memory is bounded by the queue, not by the file.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache

from importers.gml.reader import Record
from importers.merge import STAGED

_TS = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d(:?\d\d)?)?$")
BATCH = 500  # records per COPY chunk

_STAGING_COLUMNS = """
    seq bigint, ftype text, gml_id text, ns text, local_id text, version_id text,
    object_start timestamptz, version_start timestamptz, version_end timestamptz,
    object_end timestamptz, line integer, attrs jsonb, refs jsonb, geom_src text, error text,
    src_srid integer"""
# Computed by the server while the COPY runs, i.e. while Python is still reading the file (the
# server's core is otherwise idle then): the geometry in the storage CRS. A transform the server
# refuses aborts the COPY; the caller then stages again without it (``transform_srid=None``)
# so that the area-of-use check can name the problem first.
_TRANSFORMED = (", g geometry GENERATED ALWAYS AS "
                "(ST_Transform(ST_GeomFromEWKT(geom_src), {srid})) STORED")
STAGING_COPY = (f"COPY {STAGED} (seq, ftype, gml_id, ns, local_id, version_id, object_start, "
                "version_start, version_end, object_end, line, attrs, refs, geom_src, error, "
                "src_srid) FROM STDIN")


def staging_ddl(transform_srid: int | None) -> str:
    extra = _TRANSFORMED.format(srid=int(transform_srid)) if transform_srid else ""
    return f"CREATE TEMP TABLE {STAGED} ({_STAGING_COLUMNS}{extra}) ON COMMIT DROP"


def copy_escape(value: str | None) -> str:
    """``value`` as a field of COPY's text format (``\\N`` for None)."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                 .replace("\r", "\\r"))
    return value


# one encoder for every line (json.dumps with options builds a new one per call)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@lru_cache(maxsize=10_000)  # a file repeats a few dates-times thousands of times
def _ts(value: str | None) -> str | None:
    return value if value and _TS.match(value) else None


def copy_line(seq: int, rec: Record) -> str:
    attrs = _JSON(rec.attrs)
    refs = _JSON(rec.refs) if rec.refs else "{}"
    version = rec.version_id
    if not version:  # sources without versions: the content is the version
        digest = hashlib.md5((attrs + (rec.geom or "")).encode(), usedforsecurity=False)
        version = "h:" + digest.hexdigest()[:20]
    error = rec.error
    geom = rec.geom
    srid = geom[5:geom.index(";")] if geom and geom.startswith("SRID=") else None
    for name in ("object_start", "version_start", "version_end", "object_end"):
        raw = getattr(rec, name)
        if raw and not _ts(raw):
            problem = f"{name}: {raw!r} is not a date-time"
            error = f"{error}; {problem}" if error else problem
    esc = copy_escape
    return "\t".join((
        str(seq), rec.ftype, esc(rec.gml_id), esc(rec.ns[:64]), esc(rec.local_id[:128]),
        esc(version[:64]), esc(_ts(rec.object_start)), esc(_ts(rec.version_start)),
        esc(_ts(rec.version_end)), esc(_ts(rec.object_end)), str(rec.line), esc(attrs),
        esc(refs), esc(geom), esc(error), esc(srid),
    )) + "\n"


class _Stream:
    """File-like object fed by a producer thread; ``read`` is what copy_expert calls."""

    def __init__(self, records: Iterable[Record], on_record: Callable[[], None] | None) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=64)
        self._buf = b""
        self._done = False
        self.error: BaseException | None = None
        self.count = 0
        self._thread = threading.Thread(target=self._produce, args=(records, on_record),
                                        daemon=True)
        self._thread.start()

    def _produce(self, records: Iterable[Record], on_record) -> None:
        try:
            lines: list[str] = []
            for rec in records:
                self.count += 1
                lines.append(copy_line(self.count, rec))
                if len(lines) >= BATCH:
                    self._q.put("".join(lines).encode())
                    lines.clear()
                    if on_record:
                        on_record()
            if lines:
                self._q.put("".join(lines).encode())
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self.error = exc
        finally:
            self._q.put(None)

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buf) < size):
            chunk = self._q.get()
            if chunk is None:
                self._done = True
                break
            self._buf += chunk
        if self._done and self.error is not None:
            raise self.error
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out

    readline = read

    def close(self) -> None:
        # drain so the producer can finish if the consumer stopped early
        while not self._done:
            if self._q.get() is None:
                self._done = True
        self._thread.join(timeout=5)


def copy_records(cursor, records: Iterable[Record],
                 on_batch: Callable[[], None] | None = None,
                 transform_srid: int | None = None) -> int:
    """Create the staging table (``importers.merge.STAGED``) and COPY every record into it;
    returns the number of records.

    ``transform_srid``: also have the server transform each geometry into that CRS during the
    COPY (column ``g``)."""
    cursor.execute(staging_ddl(transform_srid))
    stream = _Stream(records, on_batch)
    try:
        cursor.copy_expert(STAGING_COPY, stream, size=1 << 16)
    except Exception:
        if stream.error is not None:
            raise stream.error from None
        raise
    finally:
        stream.close()
    if stream.error is not None:
        raise stream.error
    return stream.count
