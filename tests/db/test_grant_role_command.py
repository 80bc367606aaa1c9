"""The first administrator of a town is granted from the command line, audited (issue 14)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gis_app.accounts.models import Grant
from gis_app.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_grant_role_grants_and_audits(make_municipality, make_user):
    town = make_municipality()
    user = make_user("pierwszy_admin", is_staff=True, is_superuser=True)
    out = io.StringIO()
    call_command("grant_role", "pierwszy_admin", town.teryt, "administrator", stdout=out)
    assert Grant.objects.filter(user=user, municipality=town, role="administrator").exists()
    event = AuditEvent.objects.get(object_type="accounts.grant",
                                   detail="command manage.py grant_role")
    assert event.municipality_id == town.pk and event.after["role"] == "administrator"
    call_command("grant_role", "pierwszy_admin", town.teryt, "administrator", stdout=out)
    assert "already held" in out.getvalue()
    with pytest.raises(CommandError, match="no municipality with TERYT code 'ES'"):
        call_command("grant_role", "pierwszy_admin", "ES", "administrator")
    with pytest.raises(CommandError, match="no user named"):
        call_command("grant_role", "nikt", town.teryt, "administrator")
