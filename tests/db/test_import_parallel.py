"""Parsing in several processes stages exactly what one process stages, or falls back.

Every real sample, the demo town and the benchmark's file are staged both ways (slices forced on
small files) and compared row by row: same rows in the same order, same line numbers, same
reader statistics. Bad cuts and bad files fall back to one process and still give the right
result or the right error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connection, transaction

from importers import parallel, services
from importers.demo.generator import DemoTown
from importers.gml.reader import Reader
from importers.merge import STAGED
from importers.models import ImportRun
from importers.services import import_cadastre
from importers.staging import copy_records
from layers import pii
from layers.models import Parcel
from tests.conftest import cadastre_benchmark, realdata_samples

COLUMNS = ("ftype, gml_id, ns, local_id, version_id, object_start, version_start, version_end, "
           "object_end, line, attrs, refs, geom_src, error, src_srid, ST_AsEWKB(g)")




def _plain(attrs: dict) -> dict:
    """Encrypted PESELs differ at every encryption (random IV): compare what they hide."""
    attrs = json.loads(attrs) if isinstance(attrs, str) else attrs
    if attrs.get("pesel_enc"):
        return {**attrs, "pesel_enc": pii.decrypt(attrs["pesel_enc"].encode())}
    return attrs


def _staged(cur) -> list[tuple]:
    cur.execute(f"SELECT seq, {COLUMNS} FROM {STAGED} ORDER BY seq")
    rows = [(*r[:11], _plain(r[11]), *r[12:]) for r in cur.fetchall()]
    cur.execute(f"DROP TABLE {STAGED}")
    return rows


def _both_ways(path: Path, workers: int) -> tuple[list, list, object, object, list]:
    slices = parallel.plan(path, workers)
    assert slices is not None and len(slices) == workers, "the file was not cut"
    with transaction.atomic(), connection.cursor() as c:
        cur = c.cursor
        reader = Reader(path, encrypt=pii.encrypt)
        copy_records(cur, reader, transform_srid=2180)
        serial = _staged(cur)
        count, stats = parallel.copy_parallel(cur, path, slices, pii.encrypt, None, 2180)
        para = _staged(cur)
        assert count == len(para)
        transaction.set_rollback(True)
    return serial, para, reader.stats, stats, slices


def _samples() -> list:
    return realdata_samples(lambda p: p.suffix.lower() in (".gml", ".xml")
                            and p.stat().st_size > 20_000)


@pytest.fixture
def anything_goes(monkeypatch):
    """Cut files of any size (the production threshold skips small ones)."""
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)


@pytest.mark.django_db
@pytest.mark.parametrize("path", _samples(), ids=lambda p: p.name if p else "missing")
def test_real_samples_stage_the_same_in_slices(path, anything_goes, realdata):
    if parallel.plan(path, 2) is None:
        pytest.skip("not a feature collection: no member elements to cut at")
    serial, para, s_stats, p_stats, _ = _both_ways(path, 2)
    assert [r[1:] for r in para] == [r[1:] for r in serial]
    assert [r[0] for r in para] == sorted(r[0] for r in para)  # file order kept
    assert (p_stats.schema, p_stats.features, p_stats.skipped, p_stats.units,
            p_stats.srids) == (s_stats.schema, s_stats.features, s_stats.skipped,
                               s_stats.units, s_stats.srids)


@pytest.mark.django_db
@pytest.mark.parametrize("workers", [2, 3])
def test_demo_town_stages_the_same_in_slices(tmp_path, anything_goes, workers):
    path = DemoTown(parcels=200, seed=7).write_gml(tmp_path / "town.gml")
    serial, para, s_stats, p_stats, _ = _both_ways(path, workers)
    assert len(serial) > 1000
    assert [r[1:] for r in para] == [r[1:] for r in serial]
    assert p_stats.features == s_stats.features
    # rows of the later slices carry the file's line numbers, not their slice's
    later = [r for r in para if r[0] > parallel.SEQ_STRIDE]
    assert later and min(r[10] for r in later) > 100
    lines = path.read_text(encoding="utf-8").splitlines()
    for row in later[:50]:
        assert f'gml:id="{row[2]}"' in lines[row[10] - 1]


@pytest.mark.django_db
def test_import_in_slices_gives_the_result_of_one_process(tmp_path, anything_goes, monkeypatch):
    bench = cadastre_benchmark()
    path = bench.generate(tmp_path / "b.gml", 400)
    monkeypatch.setattr(services, "WORKERS", 3)
    staged = []
    real = parallel.copy_parallel
    monkeypatch.setattr(parallel, "copy_parallel",
                        lambda *a, **k: staged.append(1) or real(*a, **k))
    first = import_cadastre(path, municipality=bench.TERYT)
    assert staged, "the import did not take the parallel path"
    assert first.run.status == ImportRun.Status.OK, first.run.message
    assert first.counts["parcels"]["created"] == 400
    assert first.counts["registration units"]["created"] == 40
    parcels = Parcel.objects.filter(municipality__teryt=bench.TERYT)
    assert parcels.filter(registration_unit__isnull=True).count() == 0
    again = import_cadastre(path, municipality=bench.TERYT)
    assert again.run.status == ImportRun.Status.UNCHANGED
    assert again.run.unchanged == 440


def _with_comment_at_the_cut(tmp_path: Path) -> Path:
    """A valid file whose middle is a comment quoting a member start tag: a wrong cut point."""
    bench = cadastre_benchmark()
    path = bench.generate(tmp_path / "c.gml", 60)
    text = path.read_text(encoding="utf-8")
    middle = text.index("<gml:featureMember>", len(text) // 3)
    # bigger than the rest of the file: the middle, where the cut is sought, falls inside it
    filler = "<!-- " + ("<gml:featureMember> quoted, not a member " * 10_000) + " -->\n"
    path.write_text(text[:middle] + filler + text[middle:], encoding="utf-8")
    return path


@pytest.mark.django_db
def test_a_cut_inside_a_comment_falls_back_to_one_process(tmp_path, anything_goes, monkeypatch):
    path = _with_comment_at_the_cut(tmp_path)
    slices = parallel.plan(path, 2)
    assert slices is not None
    with transaction.atomic(), connection.cursor() as c:  # the cut is wrong: refused
        with pytest.raises(parallel.ParallelReadFailed):
            parallel.copy_parallel(c.cursor, path, slices, pii.encrypt, None, 2180)
        transaction.set_rollback(True)
    monkeypatch.setattr(services, "WORKERS", 2)
    # ... and the import still works
    result = import_cadastre(path, municipality=cadastre_benchmark().TERYT)
    assert result.run.status == ImportRun.Status.OK, result.run.message
    assert result.counts["parcels"]["created"] == 60


@pytest.mark.django_db
def test_a_cut_off_file_reports_the_same_error_either_way(tmp_path, anything_goes, monkeypatch):
    bench = cadastre_benchmark()
    full = bench.generate(tmp_path / "full.gml", 300).read_bytes()
    path = tmp_path / "cut.gml"
    path.write_bytes(full[: len(full) * 4 // 5])
    monkeypatch.setattr(services, "WORKERS", 1)
    serial = import_cadastre(path, municipality=bench.TERYT)
    monkeypatch.setattr(services, "WORKERS", 2)
    para = import_cadastre(path, municipality=bench.TERYT)
    assert serial.run.status == para.run.status == ImportRun.Status.FAILED
    assert "malformed XML at line" in serial.run.message
    assert para.run.message == serial.run.message
    assert not Parcel.objects.filter(municipality__teryt=bench.TERYT).exists()


@pytest.mark.django_db
def test_workers_do_not_outlive_a_failed_copy(tmp_path, anything_goes):
    """A COPY the server refuses stops the workers; none is left behind."""
    path = DemoTown(parcels=120, seed=9).write_gml(tmp_path / "t.gml")
    slices = parallel.plan(path, 2)
    with transaction.atomic(), connection.cursor() as c:
        # a target CRS the server does not know: the first transformed row aborts the COPY
        with pytest.raises(Exception, match="999999"):  # the server's error, whatever class
            parallel.copy_parallel(c.cursor, path, slices, pii.encrypt, None, 999999)
        transaction.set_rollback(True)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child of this process is left, running or not
