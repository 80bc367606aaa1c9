"""Issue the tax decisions of a whole roll: ``manage.py issue_decisions TERYT YEAR``.

Resumable (``--resume BATCH``: continue a batch that stopped), a progress bar on the command
line, optionally every decision's PDF written to ``--pdf-dir``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from layers.models import Municipality
from registers.taxes import decisions
from registers.taxes.models import Decision, DecisionBatch, TaxOfficeSettings


class Command(BaseCommand):
    help = "Issue the tax decisions of a municipality's roll for a year (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("teryt", nargs="?", help="the municipality's TERYT code, e.g. 180501_1")
        parser.add_argument("year", nargs="?", type=int)
        parser.add_argument("--issued-on", type=date.fromisoformat,
                            help="date of issue, YYYY-MM-DD (default: today)")
        parser.add_argument("--resume", type=int, metavar="BATCH",
                            help="continue the batch with this id where it stopped")
        parser.add_argument("--chunk", type=int, default=500,
                            help="taxpayers per transaction (default 500)")
        parser.add_argument("--pdf-dir", type=Path,
                            help="write the new decisions as print files (one PDF per chunk "
                                 "and worker, each decision from a new page) into this folder")
        parser.add_argument("--workers", type=int, default=1,
                            help="processes rendering the PDFs (default 1)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["resume"]:
            batch = DecisionBatch.objects.filter(pk=opts["resume"]).first()
            if batch is None:
                raise CommandError(f"no decision batch {opts['resume']}")
            if batch.status == DecisionBatch.Status.DONE:
                raise CommandError(f"batch {batch.pk} is already finished")
        else:
            if not opts["teryt"] or not opts["year"]:
                raise CommandError("give TERYT and YEAR, or --resume BATCH")
            town = Municipality.objects.filter(teryt=opts["teryt"]).first()
            if town is None:
                raise CommandError(f"no municipality with TERYT {opts['teryt']!r}")
            from django.utils import timezone

            batch = decisions.batch_start(None, town.pk, opts["year"],
                                          opts["issued_on"] or timezone.localdate())
        if opts["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        on_decisions = None
        if opts["pdf_dir"]:
            on_decisions = pdf_writer(opts["pdf_dir"], batch.municipality_id,
                                       max(1, opts["workers"]))
        bar = tqdm(total=batch.total, initial=batch.done, unit=" taxpayers",
                   desc=f"decisions {batch.year}", disable=opts["no_progress"])
        seen = batch.done

        def progress(done: int, issued: int) -> None:
            nonlocal seen
            bar.update(done - seen)
            bar.set_postfix(issued=issued)
            seen = done

        try:
            batch = decisions.batch_run(batch, chunk=opts["chunk"], progress=progress,
                                        on_decisions=on_decisions)
        finally:
            bar.close()
            if on_decisions is not None:
                on_decisions.finish()  # type: ignore[attr-defined]
        self.stdout.write(f"batch {batch.pk}: {batch.issued} decisions issued, "
                          f"{batch.done} taxpayers gone through")


def render_job(job: tuple) -> bytes:
    """Render a part of a chunk as one print file in a worker process (no database access:
    everything is passed in)."""
    from registers.taxes.pdf import render_decisions

    items, office = job
    return render_decisions(items, office)


def split_parts(items: list, n: int) -> list[list]:
    size = -(-len(items) // n)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _save(folder: Path, part: list, data: bytes) -> None:
    first, last = part[0][0].number, part[-1][0].number
    (folder / f"{first}--{last}.pdf".replace("/", "-")).write_bytes(data)


def pdf_writer(folder: Path, municipality_id: int, workers: int
                ) -> Callable[[list[Decision]], None]:
    """A callback writing each chunk's PDFs, rendered by ``workers`` processes.

    With more than one worker the rendering overlaps the batch: a chunk's print files are
    handed to the pool and the batch goes on with the next chunk while they render; at most
    two chunks are in flight (memory stays flat), and ``write.finish()`` waits for the rest
    (the command calls it also when the batch stops on an error, so every committed chunk gets
    its files)."""
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing import get_context

    from django.db import connections

    from registers.taxes.models import DecisionInstalment

    folder.mkdir(parents=True, exist_ok=True)
    office = TaxOfficeSettings.objects.filter(municipality_id=municipality_id).first()
    if office is None:  # the default wording, so that no worker needs the database
        name = Municipality.objects.get(pk=municipality_id).name
        office = TaxOfficeSettings(municipality_id=municipality_id,
                                   organ=f"Organ podatkowy gminy {name}",
                                   appeal_body="Samorządowe Kolegium Odwoławcze")
    pool = None
    if workers > 1:
        # forked workers never touch the database; outside a transaction the parent's
        # connections are closed first and the workers forked at once (a fork-context pool
        # starts all its processes on the first job), so that no socket is shared at all
        if not any(c.in_atomic_block for c in connections.all()):
            connections.close_all()
        pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"))
        pool.submit(int).result()
    pending: deque[tuple[list, Future]] = deque()

    def drain(keep: int) -> None:
        while len(pending) > keep:
            part, future = pending.popleft()
            _save(folder, part, future.result())

    def write(new: list[Decision]) -> None:
        ids = [d.pk for d in new]
        rows = {d.pk: d for d in Decision.objects.filter(pk__in=ids).select_related(
            "taxpayer", "municipality")}
        inst: dict[int, list] = {}
        for i in DecisionInstalment.objects.filter(decision_id__in=ids).order_by("number"):
            inst.setdefault(i.decision_id, []).append(i)
        accounts = decisions.payment_accounts(d.taxpayer_id for d in rows.values())
        items = [(rows[pk], inst.get(pk, []), accounts.get(rows[pk].taxpayer_id, ""))
                 for pk in ids]
        # one print file per worker and chunk: the fonts are embedded once per file
        for part in split_parts(items, workers):
            if pool is None:
                _save(folder, part, render_job((part, office)))
            else:
                pending.append((part, pool.submit(render_job, (part, office))))
        drain(2 * workers)

    def finish() -> None:
        try:
            drain(0)
        finally:
            if pool is not None:
                pool.shutdown()

    write.finish = finish  # type: ignore[attr-defined]
    return write
