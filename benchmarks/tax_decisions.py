"""The decision batch on the 100,000-parcel town, against its baseline, in one run.

    .venv/bin/python benchmarks/tax_decisions.py [--parcels 100000] [--limit 0] [--pdfs 300]
                                                 [--chunk 500] [--whole --workers 2]

Uses the town of ``benchmarks/tax_roll.py`` (database ``bench_taxes``, generated on first use
and kept): 50,001 taxpayers, of whom 47,500 natural persons get a decision. Measures, in the
same run:

* baseline: the set-based roll with every taxpayer's amount fetched (``services.roll_rows``):
  the least work that computes every decision's amount;
* the batch (``decisions.batch_run``): every natural person's objects read chunk by chunk,
  assessed by the pure rules, decisions and instalments written, one ``decisions_issued``
  signal per chunk (the payments register posts the chunk's charges at once), resumable
  cursor committed per chunk. ``--limit N`` stops after N taxpayers and
  extrapolates linearly (0 = the whole roll);
* the PDFs: ``--pdfs N`` decisions rendered (reportlab) one file per decision, and as print
  files (what ``issue_decisions --pdf-dir`` writes: one file per chunk and worker) by 1 and 2
  processes, the per-decision time extrapolated to every decision of the batch;
* peak memory (RSS) before and after the batch, to show it stays flat;
* with ``--limit N``: the next N taxpayers of the same batch with the print files written as
  ``issue_decisions --pdf-dir --workers W`` does (``--workers``, default 2: rendering overlaps
  the batch), wall time and CPU of this process, the workers and PostgreSQL, extrapolated.

With ``--whole``: only the baseline and the whole roll issued and printed as ``issue_decisions
--pdf-dir --workers W`` runs it (rendering overlapping the batch), measured end to end.

The year's earlier decisions of the bench town are deleted first, so every run issues anew.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _roll_module():
    spec = importlib.util.spec_from_file_location("bench_tax_roll",
                                                  ROOT / "benchmarks" / "tax_roll.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL process (same host; nan when unreadable)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Stop(Exception):
    """Raised from a progress callback: the batch records itself as stopped (resumable)."""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=0,
                        help="taxpayers of the batch to run (0 = all; the rest extrapolated)")
    parser.add_argument("--pdfs", type=int, default=300, help="decisions to render as PDF")
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2,
                        help="PDF processes of the overlapped slice (after --limit)")
    parser.add_argument("--whole", action="store_true",
                        help="only the whole roll as `issue_decisions --pdf-dir --workers N` "
                             "runs it: every decision issued and printed, measured, not "
                             "extrapolated")
    args = parser.parse_args()
    roll_bench = _roll_module()
    roll_bench._prepare_database()
    import django

    django.setup()
    from datetime import date

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from registers.taxes import decisions, services
    from registers.taxes.models import (
        Decision,
        DecisionBatch,
        DecisionInstalment,
        DecisionSequence,
        TaxOfficeSettings,
    )
    from registers.taxes.pdf import render_decision

    call_command("migrate", verbosity=0)
    settings.DEBUG = False
    year = 2026
    town = roll_bench._town("999901_1", "Bench city", args.parcels)
    TaxOfficeSettings.objects.update_or_create(
        municipality=town, defaults={"organ": "Burmistrz Miasta Bench",
                                     "appeal_body": "Samorządowe Kolegium Odwoławcze",
                                     "district": "II"})
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM taxes_decisioninstalment WHERE decision_id IN (SELECT id FROM "
                    "taxes_decision WHERE municipality_id = %s AND year = %s)", [town.pk, year])
        cur.execute("DELETE FROM taxes_decision WHERE municipality_id = %s AND year = %s",
                    [town.pk, year])
        # the charges the payments register posted from them (no payments in this town)
        cur.execute("DELETE FROM payments_charge WHERE municipality_id = %s AND year = %s",
                    [town.pk, year])
    DecisionBatch.objects.filter(municipality=town).delete()
    DecisionSequence.objects.filter(municipality=town, year=year).delete()
    print(f"cleared earlier decisions in {time.perf_counter() - t0:.1f} s")

    # baseline: every decision's amount, set-based
    t0 = time.perf_counter()
    rows = list(services.roll_rows(town.pk, year))
    t_base = time.perf_counter() - t0
    persons = sum(1 for r in rows if r["kind"] == "person" and not r["below_threshold"])
    print(f"baseline roll_rows: {len(rows)} taxpayers ({persons} persons assessed) "
          f"in {t_base:.2f} s")

    batch = decisions.batch_start(None, town.pk, year, date(2026, 2, 10))
    if args.whole:
        return _whole(batch, town, args, t_base)
    rss0 = _rss_mb()
    load0 = os.getloadavg()
    db0 = _backend_cpu()
    t0 = time.perf_counter()
    c0 = time.process_time()

    def progress(done: int, issued: int) -> None:
        if args.limit and done >= args.limit:
            raise Stop  # the batch records itself as stopped; a resume would continue

    with contextlib.suppress(Stop):
        decisions.batch_run(batch, chunk=args.chunk, progress=progress)
    t_batch = time.perf_counter() - t0
    c_batch = time.process_time() - c0
    db_batch = _backend_cpu() - db0
    rss1 = _rss_mb()
    batch.refresh_from_db()
    issued = Decision.objects.filter(batch=batch).count()
    instalments = DecisionInstalment.objects.filter(decision__batch=batch).count()
    per_taxpayer = t_batch / max(1, batch.done)
    full = per_taxpayer * batch.total
    print(f"batch: {batch.done}/{batch.total} taxpayers, {issued} decisions, {instalments} "
          f"instalments in {t_batch:.1f} s ({1000 * per_taxpayer:.2f} ms/taxpayer); "
          f"whole roll {'measured' if batch.done == batch.total else 'extrapolated'}: "
          f"{full:.0f} s = {full / t_base:.0f} × the baseline; Python CPU of this process "
          f"{1000 * c_batch / max(1, batch.done):.2f} ms/taxpayer, PostgreSQL CPU "
          f"{1000 * db_batch / max(1, batch.done):.2f} ms/taxpayer; load average "
          f"{load0[0]:.1f} → {os.getloadavg()[0]:.1f}")
    print(f"max RSS before/after the batch: {rss0:.0f} / {rss1:.0f} MB")

    sample = list(Decision.objects.filter(batch=batch).select_related(
        "taxpayer", "municipality").order_by("pk")[:args.pdfs])
    office = TaxOfficeSettings.objects.get(municipality=town)
    inst: dict[int, list] = {}
    for i in DecisionInstalment.objects.filter(decision__in=sample).order_by("number"):
        inst.setdefault(i.decision_id, []).append(i)
    render_decision(sample[0], instalments=inst[sample[0].pk], office=office)  # fonts loaded
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from django.db import connections

    from registers.taxes.management.commands.issue_decisions import render_job, split_parts

    items = [(d, inst[d.pk], "12 3456 7890 1234 5678 9012 3456") for d in sample]
    all_decisions = issued * batch.total / max(1, batch.done)
    per_pdf = {}
    with tempfile.TemporaryDirectory() as folder:
        t0, c0 = time.perf_counter(), time.process_time()
        for d, i, acc in items:
            (Path(folder) / f"{d.pk}.pdf").write_bytes(
                render_decision(d, payment_account=acc, instalments=i, office=office))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"PDF per decision, 1 process: {len(items)} in {wall:.1f} s "
              f"({1000 * wall / len(items):.1f} ms each wall, {1000 * cpu / len(items):.1f} ms "
              f"CPU); for {all_decisions:.0f} decisions: {wall / len(items) * all_decisions:.0f} s")
        for workers in (1, 2):
            connections.close_all()
            jobs = [(part, office) for part in split_parts(items, workers)]
            t0, c0 = time.perf_counter(), time.process_time()
            if workers == 1:
                results = list(map(render_job, jobs))
            else:
                with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
                    results = list(pool.map(render_job, jobs))
            for n, data in enumerate(results):
                (Path(folder) / f"print-{workers}-{n}.pdf").write_bytes(data)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            per_pdf[workers] = wall / len(items)
            size = sum(len(r) for r in results) / len(items) / 1024
            print(f"print files, {workers} process(es): {len(items)} decisions in {wall:.1f} s "
                  f"({1000 * wall / len(items):.1f} ms each wall"
                  + (f", {1000 * cpu / len(items):.1f} ms CPU" if workers == 1 else "")
                  + f", {size:.1f} kB each); for {all_decisions:.0f} decisions: "
                  f"{per_pdf[workers] * all_decisions:.0f} s")
    per_pdf = per_pdf[2]
    total = full + per_pdf * all_decisions
    print(f"whole roll, decisions + PDFs one after the other: {total:.0f} s = "
          f"{total / 60:.1f} min (goal < 10 min), {total / t_base:.0f} × the baseline")

    # what `issue_decisions --pdf-dir --workers N` does: the batch goes on with the next chunk
    # while the workers render the last one; the next slice of the same batch, measured whole
    if args.limit and batch.done < batch.total:
        start = batch.done

        def progress2(done: int, issued: int) -> None:
            if done - start >= args.limit:
                raise Stop

        m = _issue_and_print(batch, town, args.workers, args.chunk, progress2)
        batch.refresh_from_db()
        n = batch.done - start
        whole = m["wall"] / n * batch.total
        print(f"batch + print files overlapped, {args.workers} workers: {n} taxpayers, "
              f"{m['files']} files in {m['wall']:.1f} s ({1000 * m['wall'] / n:.2f} "
              f"ms/taxpayer; CPU per taxpayer: Python {1000 * m['cpu'] / n:.2f} ms, workers "
              f"{1000 * m['child_cpu'] / n:.2f} ms, PostgreSQL {1000 * m['db_cpu'] / n:.2f} "
              f"ms); load average {m['load0'][0]:.1f} → {os.getloadavg()[0]:.1f}; whole roll "
              f"extrapolated from this slice of {n}: {whole:.0f} s = {whole / 60:.1f} min "
              f"(goal < 10 min), {whole / t_base:.0f} × the baseline")
    return 0


def _issue_and_print(batch, town, workers: int, chunk: int, progress=None) -> dict:
    """Run the batch (until ``progress`` raises Stop) with the print files written as
    ``issue_decisions --pdf-dir --workers N`` does; wall time and the CPU of this process, the
    render workers and PostgreSQL."""
    from registers.taxes import decisions
    from registers.taxes.management.commands.issue_decisions import pdf_writer

    with tempfile.TemporaryDirectory() as folder:
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        load0 = os.getloadavg()
        t0, c0 = time.perf_counter(), time.process_time()
        writer = pdf_writer(Path(folder), town.pk, workers)
        db0 = _backend_cpu()
        try:
            with contextlib.suppress(Stop):
                decisions.batch_run(batch, chunk=chunk, progress=progress,
                                    on_decisions=writer)
            db_cpu = _backend_cpu() - db0
        finally:
            writer.finish()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        files = list(Path(folder).glob("*.pdf"))
        return {"wall": wall, "cpu": cpu, "db_cpu": db_cpu, "load0": load0,
                "child_cpu": (children.ru_utime + children.ru_stime
                              - children0.ru_utime - children0.ru_stime),
                "files": len(files), "mb": sum(f.stat().st_size for f in files) / 1e6}


def _whole(batch, town, args, t_base: float) -> int:
    """The whole roll issued and printed at once, as the command does it."""
    from registers.taxes.models import Decision

    m = _issue_and_print(batch, town, args.workers, args.chunk)
    batch.refresh_from_db()
    issued = Decision.objects.filter(batch=batch).count()
    print(f"whole roll, issued and printed ({args.workers} workers): {batch.done} taxpayers, "
          f"{issued} decisions, {m['files']} print files ({m['mb']:.0f} MB) in "
          f"{m['wall']:.1f} s = {m['wall'] / 60:.1f} min (goal < 10 min), "
          f"{m['wall'] / t_base:.0f} × the baseline; CPU: Python {m['cpu']:.0f} s, workers "
          f"{m['child_cpu']:.0f} s, PostgreSQL {m['db_cpu']:.0f} s; load average "
          f"{m['load0'][0]:.1f} → {os.getloadavg()[0]:.1f}; max RSS {_rss_mb():.0f} MB")
    return 0 if m["wall"] < 600 else 1


if __name__ == "__main__":
    sys.exit(main())
