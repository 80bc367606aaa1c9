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


@pytest.mark.django_db
def test_the_audit_viewer_reads_as_a_table_in_polish_with_geometry_changes(make_user,
                                                                            make_municipality):
    """Issue #18: before/after as a table of labels and values, choices by their labels,
    booleans as tak/nie, numbers in the Polish format, a geometry as the change of its area
    with a drawing of both; object types in Polish; filters by town, object type and id."""
    from django.contrib.gis.geos import Polygon

    from gis_app.accounts.roles import Role
    from gis_app.audit.log import audit
    from gis_app.audit.models import AuditAction

    town = make_municipality()
    other = make_municipality("186101_1", "Krosno")
    admin_user = make_user("admin", town, (Role.ADMINISTRATOR,))
    make_user("admin-krosno", other, (Role.ADMINISTRATOR,))

    def rectangle(width: float, height: float) -> str:
        x, y = 677_000.0, 211_000.0
        return Polygon(((x, y), (x + width, y), (x + width, y + height), (x, y + height),
                        (x, y)), srid=2180).wkt

    audit(admin_user, AuditAction.UPDATE, "lease", 17, municipality_id=town.pk,
          before={"status": "proposed", "whole_plot": False, "rent_amount": "420000.00",
                  "geom": rectangle(16, 32)},
          after={"status": "active", "whole_plot": True, "rent_amount": "420500.50",
                 "geom": rectangle(10, 53.01)})
    audit(admin_user, AuditAction.READ_OWNERS, "parcel", "180501_1.0001.1",
          municipality_id=town.pk, detail="parcel card, 1 shares")
    client = Client(headers={"accept-language": "pl"})
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert "zmieniono: powierzchnia 512,00 → 530,10\xa0m²" in page
    assert 'class="audit-geom"' in page  # the small drawing of both shapes
    assert "czynsz netto za okres" in page and "420\xa0000,00" in page and "420\xa0500,50" in page
    assert "cała działka" in page and ">nie<" in page and ">tak<" in page
    assert "umowa dzierżawy" in page and "karta działki" in page  # object types in Polish
    assert "karta działki, 1 udział" in page and "shares" not in page  # the read's detail
    assert "POLYGON" not in page and "{&#x27;" not in page and "whole_plot" not in page
    # filters: the town, the object type (a choice of Polish names) and the object's id
    assert client.get("/audit/", {"municipality": other.pk}).status_code == 200  # not theirs:
    narrowed = client.get("/audit/", {"municipality": other.pk}).context["page"]
    assert narrowed.paginator.count == 0  # an invalid choice shows nothing
    assert client.get("/audit/", {"object_type": "lease"}).context["page"].paginator.count == 1
    assert client.get("/audit/", {"object_type": "parcel", "object_id": "180501_1.0001.1"}
                      ).context["page"].paginator.count == 1
    assert client.get("/audit/", {"municipality": town.pk}).context["page"].paginator.count == 2
    # a detail the code writes (the export's own event) is stored as a message with its
    # parameters and shown in the reader's language; the log's text column keeps the English
    assert client.get("/audit/", {"format": "csv"}).status_code == 200
    export = AuditEvent.objects.filter(action="export", object_type="audit_event").get()
    assert export.detail.startswith("audit log export (CSV), events: 2;")
    assert export.detail_note["t"].startswith("audit log export (%(format)s)")
    page = client.get("/audit/").content.decode()
    assert "eksport dziennika zdarzeń (CSV), liczba zdarzeń: 2; filtry:" in page
    english = Client(headers={"accept-language": "en"})
    english.force_login(admin_user)
    assert "audit log export (CSV), events: 2;" in english.get("/audit/").content.decode()
