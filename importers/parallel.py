"""Parse one big GML file in several processes and feed their rows into one COPY.

Python's parse is the slowest part of an import, and it holds the GIL, so a thread cannot share
it; worker processes can. The file is cut at the start tags of top-level feature members; each
worker reads its slice (the file's head, i.e. the XML declaration, the root start tag with its
namespaces and the ``boundedBy`` envelope, is put in front of every slice but the first, and a
root end tag after every slice but the last) with the ordinary ``Reader``, so every rule of the
reader applies unchanged. Workers number their rows from disjoint bases in file order (``seq``
keeps its meaning: later in the file, larger) and shift line numbers to the file's. They send
whole COPY lines in length-prefixed frames over pipes; the parent only interleaves frames.

A cut can only be wrong in a way that makes a slice malformed (a member tag inside a comment or
CDATA, or a nested member): any failure of a worker makes ``ParallelReadFailed``, and the caller
reads the file again in one process, which reports the real problem if there is one.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import selectors
import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from importers.gml.reader import Reader, ReadStats
from importers.staging import BATCH, STAGING_COPY, copy_line, staging_ddl

MIN_BYTES = 4 * 1024 * 1024  # below this, forking costs more than it saves
SEQ_STRIDE = 10**12  # worker k numbers its rows from k·SEQ_STRIDE + 1
_HEAD_SCAN = 4 * 1024 * 1024
_WINDOW = 8 * 1024 * 1024
_FRAME = struct.Struct("!cI")
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[\s>/]")
_MEMBER = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?(?:featureMember|member))[\s>]")
_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


class ParallelReadFailed(Exception):
    """A worker could not read its slice; read the whole file in one process instead."""


@dataclass
class Slice:
    """What one worker reads: byte ranges of the file, glued, plus a suffix."""

    ranges: list[tuple[int, int]]
    suffix: bytes
    line_offset: int
    seq_base: int


def _first_element(head: bytes) -> re.Match | None:
    """The root element's start tag, after the XML declaration, PIs and comments."""
    pos = 0
    while True:
        lt = head.find(b"<", pos)
        if lt < 0:
            return None
        if head.startswith(b"<?", lt):
            end, step = head.find(b"?>", lt), 2
        elif head.startswith(b"<!--", lt):
            end, step = head.find(b"-->", lt), 3
        elif head.startswith(b"<!", lt):
            return None  # a DTD: the reader refuses the file, plan nothing
        else:
            return _ROOT.match(head, lt)
        if end < 0:
            return None
        pos = end + step


def plan(path: Path, workers: int) -> list[Slice] | None:
    """Cut points for ``workers`` slices, or None when the file should be read in one piece."""
    size = path.stat().st_size
    if workers < 2 or size < MIN_BYTES:
        return None
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_SCAN)
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")):
            return None  # UTF-16/32, EBCDIC: not cut at byte offsets
        enc = _ENCODING.match(head)
        if enc and enc.group(1).lower().replace(b"-", b"").startswith((b"utf16", b"utf32", b"ucs")):
            return None
        root = _first_element(head)
        if root is None:
            return None
        member = _MEMBER.search(head, root.end())
        if member is None:
            return None
        head_end = member.start()
        open_tag = b"<" + member.group(1)
        cuts = [head_end]
        for k in range(1, workers):
            fh.seek(size * k // workers)
            window = fh.read(_WINDOW)
            pos = 0
            while True:
                i = window.find(open_tag, pos)
                if i < 0 or i + len(open_tag) >= len(window):
                    return None
                if window[i + len(open_tag)] in b" \t\r\n>":
                    break
                pos = i + 1
            cut = size * k // workers + i
            if cut <= cuts[-1]:
                return None
            cuts.append(cut)
        # newlines before each cut, for the line numbers of the later slices
        fh.seek(0)
        lines_before: list[int] = []
        counted, pos = 0, 0
        for cut in cuts[1:]:
            while pos < cut:
                block = fh.read(min(1 << 22, cut - pos))
                counted += block.count(b"\n")
                pos += len(block)
            lines_before.append(counted)
    head_lines = head.count(b"\n", 0, head_end)
    close = b"</" + root.group(1) + b">"
    slices = []
    bounds = [*cuts[1:], size]
    for k, (start, end) in enumerate(zip([0, *cuts[1:]], bounds, strict=True)):
        if k == 0:
            slices.append(Slice([(0, end)], close, 0, 0))
        else:
            tail = close if k < workers - 1 else b""
            slices.append(Slice([(0, head_end), (start, end)], tail,
                                lines_before[k - 1] - head_lines, k * SEQ_STRIDE))
    return slices


class _SliceFile:
    """File-like view of a ``Slice`` for lxml's parser."""

    def __init__(self, path: Path, piece: Slice) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._ranges = list(piece.ranges)
        self._suffix = piece.suffix
        self._pos: int | None = None

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else 1 << 20
        while self._ranges:
            start, end = self._ranges[0]
            if self._pos is None:
                self._fh.seek(start)
                self._pos = start
            if self._pos >= end:
                self._ranges.pop(0)
                self._pos = None
                continue
            data = self._fh.read(min(size, end - self._pos))
            self._pos += len(data)
            if data:
                return data
            self._ranges.pop(0)
            self._pos = None
        out, self._suffix = self._suffix[:size], self._suffix[size:]
        return out

    def close(self) -> None:
        self._fh.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _work(fd: int, path: Path, piece: Slice, encrypt) -> None:
    """Body of a worker process: read the slice, send COPY lines, then the reader's stats."""
    source = _SliceFile(path, piece)
    try:
        reader = Reader(path, encrypt=encrypt, source=source, line_offset=piece.line_offset)
        lines: list[str] = []
        seq = piece.seq_base
        for rec in reader:
            seq += 1
            lines.append(copy_line(seq, rec))
            if len(lines) >= BATCH:
                payload = "".join(lines).encode()
                _write_all(fd, _FRAME.pack(b"D", len(payload)) + payload)
                lines.clear()
        if lines:
            payload = "".join(lines).encode()
            _write_all(fd, _FRAME.pack(b"D", len(payload)) + payload)
        payload = pickle.dumps((seq - piece.seq_base, reader.stats))
        _write_all(fd, _FRAME.pack(b"S", len(payload)) + payload)
    except BaseException as exc:  # reported to the parent, which falls back to one process
        with contextlib.suppress(Exception):
            payload = f"{type(exc).__name__}: {exc}".encode()
            _write_all(fd, _FRAME.pack(b"E", len(payload)) + payload)
    finally:
        source.close()


class ParallelStream:
    """File-like object for ``copy_expert``: interleaves whole frames of the workers' pipes."""

    def __init__(self, path: Path, slices: list[Slice], encrypt,
                 on_batch: Callable[[], None] | None = None,
                 hide_fd: int | None = None) -> None:
        """``hide_fd``: the database connection's socket, which the workers must not hold."""
        self._on_batch = on_batch
        self._buf = bytearray()
        self._pending: dict[int, bytearray] = {}
        self._sel = selectors.DefaultSelector()
        self._pids: list[int] = []
        self.results: dict[int, tuple[int, ReadStats]] = {}
        self.error: str | None = None
        for k, piece in enumerate(slices):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns, never touches the parent's connections
                code = 0
                try:
                    # keep only the write end of its pipe: the read ends of the other workers'
                    # pipes and the parent's database socket must not outlive the parent (if it
                    # is killed, the workers then stop on a broken pipe and the server sees the
                    # connection close and rolls the import back)
                    for fd in (r, *self._pending):
                        os.close(fd)  # raw pipe ends, owned by no Python object
                    if hide_fd is not None:  # the socket stays owned by psycopg2: replaced,
                        devnull = os.open(os.devnull, os.O_RDWR)  # not closed, so that its
                        os.dup2(devnull, hide_fd)  # number is never reused under it
                        os.close(devnull)
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    _work(w, path, piece, encrypt)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            os.close(w)
            self._pids.append(pid)
            self._pending[r] = bytearray()
            self._sel.register(r, selectors.EVENT_READ, k)

    def _pump(self) -> None:
        """Read what is available; move complete data frames to the output buffer."""
        for key, _ in self._sel.select():
            fd, k = key.fd, key.data
            chunk = os.read(fd, 1 << 20)
            pending = self._pending[fd]
            if not chunk:
                self._sel.unregister(fd)
                os.close(fd)
                if k not in self.results and self.error is None:
                    self.error = f"worker {k} ended without its statistics"
                continue
            pending += chunk
            while len(pending) >= _FRAME.size:
                kind, length = _FRAME.unpack_from(pending)
                if len(pending) < _FRAME.size + length:
                    break
                payload = bytes(pending[_FRAME.size:_FRAME.size + length])
                del pending[:_FRAME.size + length]
                if kind == b"D":
                    self._buf += payload
                    if self._on_batch:
                        self._on_batch()
                elif kind == b"S":
                    self.results[k] = pickle.loads(payload)  # noqa: S301 (our own child)
                else:
                    self.error = payload.decode(errors="replace")

    def read(self, size: int = -1) -> bytes:
        while self.error is None and self._sel.get_map() and (
                size < 0 or len(self._buf) < size):
            self._pump()
        if self.error is not None:
            raise ParallelReadFailed(self.error)
        n = len(self._buf) if size < 0 else min(size, len(self._buf))
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    readline = read

    def close(self) -> None:
        """Stop and reap the workers (a failed COPY leaves them blocked on a full pipe)."""
        for fd in list(self._sel.get_map()):
            self._sel.unregister(fd)
            os.close(fd)
        for pid in self._pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._pids.clear()

    def stats(self) -> tuple[int, ReadStats]:
        """Records read and the workers' statistics merged (schema of the earliest slice)."""
        total, merged = 0, ReadStats()
        for k in sorted(self.results):
            count, st = self.results[k]
            total += count
            merged.schema = merged.schema or st.schema
            merged.features.update(st.features)
            merged.skipped.update(st.skipped)
            merged.units.update(st.units)
            merged.srids |= st.srids
        return total, merged


def copy_parallel(cursor, path: Path, slices: list[Slice], encrypt,
                  on_batch: Callable[[], None] | None = None,
                  transform_srid: int | None = None) -> tuple[int, ReadStats]:
    """Create the staging table and COPY the rows of every slice into it; (records, stats)."""
    cursor.execute(staging_ddl(transform_srid))
    stream = ParallelStream(path, slices, encrypt, on_batch,
                            hide_fd=cursor.connection.fileno())
    try:
        cursor.copy_expert(STAGING_COPY, stream, size=1 << 16)
    except Exception:
        if stream.error is not None:
            raise ParallelReadFailed(stream.error) from None
        raise
    finally:
        stream.close()
    if len(stream.results) != len(slices):
        raise ParallelReadFailed(stream.error or "a worker ended without its statistics")
    return stream.stats()


def default_workers() -> int:
    return min(os.cpu_count() or 1, 4)
