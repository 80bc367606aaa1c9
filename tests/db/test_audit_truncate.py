"""The audit log cannot be emptied: TRUNCATE and ``manage.py flush`` are refused (issue 14).

The test database is marked as one the harness may empty (tests/conftest.py); each test here
removes that mark inside its own transaction, so the database behaves as production's, and the
test's rollback puts the mark back.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_like():
    with connection.cursor() as cur:
        cur.execute(f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])}"
                    " RESET geogmina.test_database")
    audit(None, AuditAction.READ_OWNERS, "parcel", "180501_1.0001.1", detail="truncate marker")
    with connection.cursor() as cur:
        # the test's own transaction holds deferred foreign-key checks, which TRUNCATE refuses
        # for its own reason; checked now, only the trigger can refuse
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_truncate_of_the_audit_table_is_refused(production_like):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), \
            transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(detail="truncate marker").exists()
    # nor by cascading from the users it refers to
    with pytest.raises(DatabaseError, match="append-only"), \
            transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE auth_user CASCADE")
    assert AuditEvent.objects.filter(detail="truncate marker").exists()


def test_manage_py_flush_does_not_empty_the_audit_log(production_like):
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="couldn't be flushed") as refused:
        call_command("flush", interactive=False, verbosity=0)
    assert "append-only: TRUNCATE refused" in str(refused.value.__cause__)
    assert AuditEvent.objects.count() == before > 0
    # one statement: nothing else was emptied either
    from layers.models import Municipality

    Municipality.objects.create(teryt="180501_1", name="Jasło")
    assert Municipality.objects.exists()


def test_a_session_cannot_grant_itself_the_test_exception(production_like):
    with pytest.raises(DatabaseError, match="append-only"), \
            transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL geogmina.test_database = 'on'")
        cur.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(detail="truncate marker").exists()
