"""The tax reconciliation run is audited: who ran it, for which town, what it found (issue 14)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_reconciliation_run_writes_an_audit_event(make_municipality, make_user, make_parcel):
    town = make_municipality()
    make_parcel("1", 677_000, 211_000, municipality=town)
    officer = make_user("podatki", town, (Role.TAX_OFFICER,))
    client = Client()
    client.force_login(officer)
    before = AuditEvent.objects.count()
    response = client.post(reverse("taxes:reconcile", args=[town.pk]))
    assert response.status_code == 302
    event = AuditEvent.objects.filter(object_type="taxes.reconciliationcase",
                                      detail__startswith="reconciliation run").get()
    assert AuditEvent.objects.count() > before
    assert event.username == "podatki" and event.user_id == officer.pk
    assert event.action == "update" and event.municipality_id == town.pk
    assert event.after["found"] == sum(event.after["by_kind"].values())
    assert "on_date" in event.after
