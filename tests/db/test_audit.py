"""The audit log: written by audit(), append-only in the database."""

import pytest
from django.db import DatabaseError, transaction

from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_records_who_what_before_after(make_user):
    user = make_user("ewa")
    ev = audit(user, AuditAction.UPDATE, "lease", 7, municipality_id=None,
               before={"rent": "100.00"}, after={"rent": "120.00"})
    ev.refresh_from_db()
    assert (ev.username, ev.action, ev.object_type, ev.object_id) == ("ewa", "update", "lease", "7")
    assert ev.before == {"rent": "100.00"} and ev.after == {"rent": "120.00"}


def test_audit_rows_cannot_be_changed_or_deleted(make_user):
    ev = audit(make_user("ewa"), AuditAction.READ_TAX, "taxpayer", 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).update(detail="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).delete()
    assert AuditEvent.objects.get(pk=ev.pk).detail == ""


def test_deleting_a_user_keeps_the_trail(make_user):
    user = make_user("jan")
    ev = audit(user, AuditAction.READ_OWNERS, "parcel", "180501_1.0001.5")
    user.delete()
    ev.refresh_from_db()
    assert ev.user_id is None and ev.username == "jan"
