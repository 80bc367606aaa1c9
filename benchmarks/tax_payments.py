"""Bank statement import: 100,000 transactions parsed, stored, matched and allocated, against the
plain COPY of the same rows, in one run.

    .venv/bin/python benchmarks/tax_payments.py [--transactions 100000] [--repeat 3]

Uses its own database ``bench_payments`` in the project's cluster (created and migrated on first
use; the town is kept for the next run): ``transactions / 2`` taxpayers with individual accounts
and four instalments of 2026 each. The statement: two credits per taxpayer, spread over the
year (so many are late and carry interest, some pay several instalments, some overpay), 5 % paid
to the collection account with the taxpayer's reference in the title, 1 % unidentifiable. Each
measured import runs in a transaction rolled back afterwards, so every round starts equal (the
deferred foreign-key checks a commit would run are forced before the rollback and counted).

Measured, best of ``--repeat``:
* baseline: COPY of the same rows (the TSV the import writes) into an unlogged table;
* parse only (camt.053 with lxml; MT940 with the mt-940 package);
* the whole import (``services.import_statement``): parse, COPY, insert, match by account and by
  title, allocate (sql/allocate.sql), for camt.053 and for MT940.
Goal: the whole camt.053 import of 100,000 transactions under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
BENCH_DB = "bench_payments"
GOAL_SECONDS = 10.0


def _prepare_database() -> None:
    from gis_app import dbctl

    dbctl.use_bench_database(BENCH_DB)


GENERATE_SQL = """
INSERT INTO taxes_taxpayer (municipality_id, kind, name, tax_id, address, business,
    subject_local_id, external_ref, created_at)
SELECT %(m)s, 'person', 'Podatnik ' || j, '', '', false, '', 'BENCH-' || j, now()
FROM generate_series(1, %(n)s) AS j;

INSERT INTO payments_charge (municipality_id, taxpayer_id, kind, tax_kind, year, number,
    due_date, amount, decision_number, principal_open, interest_open, accrued_to, posted_seq,
    posted_at)
SELECT %(m)s, t.id, 'instalment', 'property', 2026, k.n, k.due, a.amount, 'PN.2026.' || t.id,
       a.amount, 0, k.due, nextval('payments_event_seq'), now()
FROM taxes_taxpayer AS t
CROSS JOIN (VALUES (1, date '2026-03-16'), (2, date '2026-05-15'), (3, date '2026-09-15'),
                   (4, date '2026-11-16')) AS k (n, due)
CROSS JOIN LATERAL (SELECT (100 + (t.id * 37) %% 900)::numeric(14, 2) + 0.25 AS amount) AS a
WHERE t.municipality_id = %(m)s
ORDER BY t.id, k.n;
"""


def _town(n_taxpayers: int):
    from django.db import connection, transaction

    from layers.models import Municipality
    from registers.payments import services
    from registers.payments.models import IndividualAccount
    from registers.taxes.models import Taxpayer

    town, _ = Municipality.objects.get_or_create(teryt="180501_1", defaults={"name": "Jasło"})
    if Taxpayer.objects.filter(municipality=town).count() != n_taxpayers:
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            for table in ("payments_ledgerentry", "payments_payment", "payments_statement",
                          "payments_charge", "payments_individualaccount", "taxes_taxpayer"):
                cur.execute(f"DELETE FROM {table} WHERE municipality_id = %s", [town.pk])
            services.bank_settings_save(None, town, "10201026", "1805")
            cur.execute(GENERATE_SQL, {"m": town.pk, "n": n_taxpayers})
            services.ensure_accounts(town.pk)
            cur.execute("ANALYZE")
        print(f"  generated {n_taxpayers} taxpayers with accounts and 4 instalments each in "
              f"{time.perf_counter() - t0:.1f} s")
    accounts = dict(IndividualAccount.objects.filter(municipality=town)
                    .values_list("taxpayer_id", "nrb"))
    return town, accounts


def _credits(accounts: dict[int, str], n: int):
    from datetime import date, timedelta
    from decimal import Decimal

    from registers.payments.samples import Credit

    collection = "63102010260000000000000000"
    out = []
    start = date(2026, 3, 1)
    for i, (tid, nrb) in enumerate(sorted(accounts.items())):
        for k in range(2):
            if len(out) >= n:
                break
            j = 2 * i + k
            day = start + timedelta(days=(j * 7) % 280)
            amount = Decimal(150 + (j * 53) % 1500) + Decimal("0.40")
            if j % 100 == 1:
                out.append(Credit(day, amount, collection, title="wplata bez danych"))
            elif j % 20 == 3:
                out.append(Credit(day, amount, collection, title=f"podatek BENCH-{tid}"))
            else:
                out.append(Credit(day, amount, nrb, title="podatek od nieruchomosci"))
    out.sort(key=lambda c: c.booked_on)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="camt053,mt940",
                        help="which whole imports to measure (comma-separated)")
    args = parser.parse_args()
    _prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from registers.payments import samples, services, statements
    from registers.payments.models import LedgerEntry, Payment

    town, accounts = _town(args.transactions // 2)
    credits = _credits(accounts, args.transactions)
    camt = samples.camt053("63102010260000000000000000", "BENCH-CAMT", credits)
    mt = samples.mt940("63102010260000000000000000", "BENCH-MT", credits)
    payload = services.copy_payload(statements.parse(camt)).getvalue()

    def copy_baseline():
        import io

        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_copy (line integer, "
                        "fingerprint text, booked_on date, amount numeric(14, 2), "
                        "payer_name text, payer_account text, title text, accounts text, "
                        "title_keys text, named_number smallint, named_year smallint)")
            cur.copy_expert("COPY bench_copy FROM STDIN", io.StringIO(payload))
            transaction.set_rollback(True)

    last: dict = {}

    def backend_cpu() -> float:
        """CPU seconds of this connection's PostgreSQL process (same host): with the host
        loaded, CPU time tells what the work costs better than the wall clock."""
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements' "
                    "AND current_setting('shared_preload_libraries') LIKE '%%pg_stat_statements%%'")
        statements_on = cur.fetchone() is not None
        if statements_on:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def top_statements(limit: int = 12) -> list:
        """PostgreSQL's own time per statement of the import (pg_stat_statements, when the
        cluster preloads it; with ``track = all`` the allocation's inner statements show)."""
        if not statements_on:
            return []
        with connection.cursor() as cur:
            cur.execute("SELECT round(total_exec_time::numeric / 1000, 2), calls, toplevel, "
                        "left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database()) "
                        "ORDER BY total_exec_time DESC LIMIT %s", [limit])
            return [[float(r[0]), r[1], r[2], r[3]] for r in cur.fetchall()]

    if os.environ.get("BENCH_EXPLAIN"):  # plans of the import's slow statements, server log
        with connection.cursor() as cur:
            cur.execute("LOAD 'auto_explain'")
            cur.execute("SET auto_explain.log_min_duration = %s", [os.environ["BENCH_EXPLAIN"]])
            cur.execute("SET auto_explain.log_analyze = on")
            cur.execute("SET auto_explain.log_nested_statements = on")

    def full(data, name):
        def run():
            if statements_on:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_stat_statements_reset()")
            with transaction.atomic():
                cpu, db_cpu = time.process_time(), backend_cpu()
                result = services.import_statement(None, town, data, name)
                t0 = time.perf_counter()
                with connection.cursor() as cur:  # the foreign-key checks a commit would run
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                steps = {k: round(v, 2) for k, v in result.timings.items()}
                steps["deferred_checks"] = round(time.perf_counter() - t0, 2)
                steps["python_cpu"] = round(time.process_time() - cpu, 2)
                steps["postgres_cpu"] = round(backend_cpu() - db_cpu, 2)
                last[name] = {"steps": steps,
                    "new": result.new, "matched_account": result.matched_account,
                    "matched_title": result.matched_title, "queued": result.queued,
                    "allocated": result.allocated,
                    "ledger_entries": LedgerEntry.objects.filter(municipality=town).count(),
                    "interest_entries": LedgerEntry.objects.filter(
                        municipality=town, kind="interest_accrued").count(),
                    "payments": Payment.objects.filter(municipality=town).count(),
                    "load_average": [round(x, 1) for x in os.getloadavg()]}
                transaction.set_rollback(True)
            last[name]["pg_stat_statements_s"] = top_statements()
        return run

    timings = {"copy_baseline": copy_baseline,
               "parse_camt053": lambda: statements.parse(camt),
               "parse_mt940": lambda: statements.parse(mt)}
    formats = args.formats.split(",")
    if "camt053" in formats:
        timings["import_camt053"] = full(camt, "camt053")
    if "mt940" in formats:
        timings["import_mt940"] = full(mt, "mt940")
    best = {k: float("inf") for k in timings}
    for _ in range(args.repeat):
        for name, fn in timings.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    report = {
        "transactions": len(credits), "taxpayers": len(accounts),
        "seconds": {k: round(v, 3) for k, v in best.items()},
        "ratio_to_copy": {k: round(v / best["copy_baseline"], 1) for k, v in best.items()
                          if k.startswith("import")},
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "camt_bytes": len(camt), "mt940_bytes": len(mt), "result": last,
    }
    print(json.dumps(report, indent=2))
    if "import_camt053" not in best:
        return 0
    ok = best["import_camt053"] < GOAL_SECONDS
    print(f"goal: camt.053 import of {len(credits)} transactions < {GOAL_SECONDS:.0f} s: "
          f"{'PASS' if ok else 'FAIL'} ({best['import_camt053']:.2f} s); MT940 "
          f"{best.get('import_mt940', float('nan')):.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
