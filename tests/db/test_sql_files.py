"""The database functions live in .sql files (layers/tiles/sql, registers/*/sql) and the
migrations apply those files: a database migrated from scratch defines every function of the
current .sql files exactly as the files do (compared with pg_get_functiondef)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import REPO

SQL_FILES = sorted(p for p in [*REPO.glob("layers/**/sql/*.sql"),
                               *REPO.glob("registers/*/sql/*.sql")]
                   if ".venv" not in p.parts)
FUNCTION = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)\s*\(", re.IGNORECASE)

pytestmark = pytest.mark.django_db


def _definitions(names: set[str]) -> dict[str, list[str]]:
    with connection.cursor() as cur:
        cur.execute("""
            SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.proname = ANY(%s)
            ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)""", [sorted(names)])
        out: dict[str, list[str]] = {}
        for name, definition in cur.fetchall():
            out.setdefault(name, []).append(definition)
    return out


def test_the_sql_files_define_functions():
    assert any("tiles" in p.parts for p in SQL_FILES), SQL_FILES
    assert not list(REPO.glob("layers/tiles/migrations/*.py")) or all(
        "CREATE OR REPLACE FUNCTION" not in p.read_text()
        for p in REPO.glob("layers/tiles/migrations/*.py")), "tile SQL belongs in sql/*.sql"


@pytest.mark.parametrize("path", [p for p in SQL_FILES if FUNCTION.search(p.read_text())],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_a_migrated_database_defines_the_functions_of_the_sql_file(path: Path):
    text = path.read_text()
    names = {n.split(".")[-1].lower() for n in FUNCTION.findall(text)}
    migrated = _definitions(names)
    assert set(migrated) == names, f"not created by the migrations: {names - set(migrated)}"
    with connection.cursor() as cur:  # rolled back with the test's transaction
        cur.execute(text)
    assert _definitions(names) == migrated, (
        f"{path.name} differs from what the migrations created: add a migration applying it")
