"""Backup and restore round trip: every table comes back row for row."""

import pytest
from django.conf import settings
from django.db import connection

from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from gis_app.backup import backup, restore

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _table_digests(cur) -> dict[str, tuple[int, str]]:
    cur.execute("""SELECT quote_ident(schemaname) || '.' || quote_ident(tablename)
                   FROM pg_tables WHERE schemaname = 'public' ORDER BY 1""")
    digests = {}
    for (table,) in cur.fetchall():
        cur.execute(f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
                    f" FROM {table} t")
        digests[table] = cur.fetchone()
    return digests


def test_backup_restore_round_trip(tmp_path, make_parcel, make_user):
    import psycopg2

    p = make_parcel("1", 677_000, 211_000, kw_numbers=["KS1J/00012345/6"])
    make_parcel("2/3", 677_100, 211_000)
    audit(make_user("ewa"), AuditAction.READ_OWNERS, "parcel", p.cadastral_id)
    with connection.cursor() as cur:
        before = _table_digests(cur)
    assert before["public.layers_parcel"][0] == 2

    db = settings.DATABASES["default"]
    dump = backup(db, tmp_path)
    target = f"{db['NAME']}_restore"
    admin = psycopg2.connect(dbname="postgres", host=db.get("HOST") or None,
                             port=db.get("PORT") or None, user=db.get("USER") or None,
                             password=db.get("PASSWORD") or None)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cur.execute(f'CREATE DATABASE "{target}"')
    try:
        restore(db, dump, target)
        restored = psycopg2.connect(dbname=target, host=db.get("HOST") or None,
                                    port=db.get("PORT") or None, user=db.get("USER") or None,
                                    password=db.get("PASSWORD") or None)
        with restored, restored.cursor() as cur:
            after = _table_digests(cur)
        restored.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.close()
    assert after == before


def test_restore_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no backup file"):
        restore(settings.DATABASES["default"], tmp_path / "nope.dump", "x")


@pytest.mark.django_db
def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    """A dump holds owners, taxes and encrypted PESELs: 0600 whatever the umask, its folder 0700."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        dump = backup(settings.DATABASES["default"], tmp_path / "backups")
    finally:
        os.umask(old)
    assert dump.stat().st_size > 0
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(dump.parent.stat().st_mode) == 0o700
    assert dump.read_bytes()[:5] == b"PGDMP"  # a whole custom-format dump
