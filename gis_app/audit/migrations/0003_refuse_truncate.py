"""The audit log refuses TRUNCATE too (``manage.py flush`` emptied it).

Row triggers do not fire on TRUNCATE, so a statement trigger refuses it. The one exception is a
database its owner has marked as a throw-away test database with
``ALTER DATABASE … SET geogmina.test_database = 'on'`` (the test harness marks the test database
it creates, tests/conftest.py): Django's transactional tests empty every table between tests with
TRUNCATE. The mark is read from the catalogue (pg_db_role_setting), not from the session, so a
session cannot grant itself the exception with SET; only the database owner or a superuser can
mark a database, and they can drop the trigger anyway (docs/operations.md).
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database() AND s.setrole = 0
          AND 'geogmina.test_database=on' = ANY (s.setconfig)
    ) THEN
        RETURN NULL;  -- a database marked as a test database: the harness empties it
    END IF;
    RAISE EXCEPTION 'audit log is append-only: TRUNCATE refused on audit_auditevent'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'The audit log is kept; flush and TRUNCATE cannot empty it.';
END;
$$;
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_no_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
