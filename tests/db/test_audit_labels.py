"""The editing kernel's audit snapshot is stored by field name (the same in every language) and
the audit viewer shows each field by its label."""

from __future__ import annotations

import pytest
from django.test import Client

from gis_app.audit.models import AuditEvent


@pytest.mark.django_db
def test_the_audit_viewer_shows_an_edits_fields_by_their_labels(make_user, make_parcel):
    from gis_app.accounts.roles import Role
    from registers.housing import services
    from registers.housing.models import ProtectedFlat

    plot = make_parcel("7", 677_000, 211_000)
    town = plot.municipality
    flat = services.flat_save(None, town.pk, {
        "address": "ul. Długa 7", "cadastral_id": plot.cadastral_id, "kind": "training",
        "operator_kind": "municipality", "places": 4, "occupied_places": 1,
        "usable_area_m2": "60.00"})
    officer = make_user("opiekun", town, (Role.PROPERTY_OFFICER,))
    services.flat_save(officer, town.pk, {"occupied_places": 3}, flat_id=flat.pk,
                       expected_version=flat.version)
    event = AuditEvent.objects.filter(object_type=ProtectedFlat.audit_type,
                                      action="update").latest("pk")
    assert event.before == {"occupied_places": 1}  # keyed by field name, in every language
    admin_user = make_user("admin", town, (Role.ADMINISTRATOR,))
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert "occupied places" in page and "occupied_places" not in page
