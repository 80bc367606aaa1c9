"""The audit trail is complete: every change to a register record and every read of owner or tax
data leaves an AuditEvent saying who, when, what, and (for changes) before and after.

Runs on the permission matrix's world (the demo town as town A through the real importers and
register hooks, a second town B): each change goes through the register's own service or page,
each read through the page or API a user would use.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gis_app.audit.models import AuditEvent
from tests.db.test_permission_matrix import PDF, world  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db


def _client(world, key):  # noqa: F811
    client = Client()
    client.force_login(world.users[key])
    return client


def _last(action: str, object_type: str, since: int) -> AuditEvent:
    events = AuditEvent.objects.filter(pk__gt=since, action=action, object_type=object_type)
    got = list(AuditEvent.objects.filter(pk__gt=since).values_list("action", "object_type"))
    assert events.exists(), f"no {action} event for {object_type}; got {got}"
    return events.latest("pk")


def _mark() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def _changed(event: AuditEvent, user, town) -> None:
    """An update names who, where, and what was before and after (and they differ)."""
    assert event.user_id == user.pk and event.username == user.username
    assert event.municipality_id == town.pk and event.at is not None
    assert event.before not in (None, {}, []), event.object_type
    assert event.after not in (None, {}, []), event.object_type
    assert event.before != event.after, event.object_type


# --- changes ----------------------------------------------------------------------------------


def test_lease_update_and_document(world):  # noqa: F811
    from registers.leases.models import Lease
    from registers.leases.services import document_add, lease_update

    user, town = world.users["A:property_officer"], world.town_a
    lease = Lease.objects.get(pk=world.by_name["lease_detail"]["pk"])
    mark = _mark()
    lease_update(user, lease.pk, lease.version, {"notes": "przedłużona aneksem nr 2"})
    event = _last("update", "lease", mark)
    _changed(event, user, town)
    assert event.after["notes"] == "przedłużona aneksem nr 2"
    document_add(user, lease, "Aneks", SimpleUploadedFile("aneks.pdf", PDF))
    doc = _last("create", "lease_document", mark)
    assert doc.after["title"] == "Aneks" and doc.user_id == user.pk


def test_property_override_usufruct_offer(world):  # noqa: F811
    from registers.leases.models import InvestmentOffer, PropertyOverride, Usufruct
    from registers.leases.services import offer_save, property_override_save, usufruct_update

    user, town = world.users["A:property_officer"], world.town_a
    override = PropertyOverride.objects.filter(municipality=town).first()
    mark = _mark()
    property_override_save(user, town.pk, override.cadastral_id,
                           expected_version=override.version,
                           manager="Zakład Gospodarki Komunalnej (zmiana)")
    _changed(_last("update", "property_override", mark), user, town)

    usufruct = Usufruct.objects.get(pk=world.by_name["usufruct_update"]["pk"])
    year = max(date.today().year + 1, (usufruct.fee_updated_year or 0) + 3)
    usufruct_update(user, usufruct.pk, usufruct.version, usufruct.land_value + Decimal("10000"),
                    year, notice_on=date(year - 1, 12, 1))
    _changed(_last("update", "usufruct", mark), user, town)

    offer = InvestmentOffer.objects.get(pk=world.by_name["offer_edit"]["pk"])
    data = {"municipality_id": offer.municipality_id, "title": offer.title + " (aktualizacja)"}
    offer_save(user, data, offer_id=offer.pk, expected_version=offer.version)
    _changed(_last("update", "investment_offer", mark), user, town)


def test_flat_update(world):  # noqa: F811
    from registers.housing.models import ProtectedFlat
    from registers.housing.services import flat_save

    user, town = world.users["A:property_officer"], world.town_a
    flat = ProtectedFlat.objects.get(pk=world.by_name["flat_edit"]["pk"])
    data = {f.name: getattr(flat, f.name) for f in ProtectedFlat._meta.concrete_fields
            if f.name not in ("id", "municipality", "version", "created_at", "updated_at")}
    data["notes"] = "remont łazienki 2026"
    mark = _mark()
    flat_save(user, town.pk, data, flat_id=flat.pk, expected_version=flat.version)
    _changed(_last("update", "protected_flat", mark), user, town)


def test_tariff_update(world):  # noqa: F811
    from registers.parking.models import Tariff
    from registers.parking.services import tariff_save

    user, town = world.users["A:planner"], world.town_a
    tariff = Tariff.objects.get(pk=world.by_name["tariff_edit"]["pk"])
    tariff.resolution_number = tariff.resolution_number + "/zm"
    mark = _mark()
    tariff_save(user, tariff)
    _changed(_last("update", "parking.tariff", mark), user, town)


def test_landscape_rules_devices_fee_rates_inspections(world):  # noqa: F811
    from registers.landscape.forms import AreaRuleFormSet
    from registers.landscape.models import (
        AdvertisingDevice,
        AdvertisingFeeRate,
        LandscapeArea,
    )
    from registers.landscape.services import area_rules_save, device_save, fee_rate_save

    user, town = world.users["A:planner"], world.town_a
    mark = _mark()
    area = LandscapeArea.objects.get(pk=world.by_name["area_rules"]["pk"])
    formset = AreaRuleFormSet(instance=area)
    data = {}
    for key, value in formset.management_form.initial.items():
        data[f"{formset.prefix}-{key}"] = value
    for i, form in enumerate(formset.forms):
        for name, bound in form.fields.items():
            value = form.initial.get(name, bound.initial)
            if value is None:
                continue
            data[f"{formset.prefix}-{i}-{name}"] = value.pk if hasattr(value, "pk") else value
    assert formset.forms[0].instance.pk, "the demo area has rules"
    data[f"{formset.prefix}-0-citation"] = "§ 99 ust. 1 (zmiana)"
    bound = AreaRuleFormSet(data, instance=area)
    assert bound.is_valid(), bound.errors
    area_rules_save(user, area, bound)
    _changed(_last("update", "landscape.area_rules", mark), user, town)

    device = AdvertisingDevice.objects.get(pk=world.by_name["device_edit"]["pk"])
    device.area_m2 = device.area_m2 + Decimal("1.5")
    device_save(user, device, Point(device.geom.x, device.geom.y, srid=device.geom.srid))
    _changed(_last("update", "landscape.advertising_device", mark), user, town)

    current = AdvertisingFeeRate.objects.filter(municipality=town).order_by("-year").first()
    rate = AdvertisingFeeRate(municipality=town, year=current.year, fixed=current.fixed,
                              variable=current.variable + Decimal("0.01"),
                              resolution_number=current.resolution_number)
    fee_rate_save(user, rate, expected_version=current.version)
    _changed(_last("update", "landscape.advertising_fee_rate", mark), user, town)

    from registers.landscape import rules
    from registers.landscape.services import inspection_create

    inspector = world.users["A:landscape_inspector"]
    spec = rules.ObjectSpec(type=rules.ObjectType.BOARD, area_m2=Decimal("2"))
    inspection = inspection_create(inspector, Point(device.geom.x, device.geom.y,
                                                    srid=device.geom.srid), spec, note="kontrola")
    event = _last("create", "landscape.inspection", mark)
    assert event.object_id == str(inspection.pk) and event.after["outcome"]


def test_tax_resolution_taxpayer_object_case_import(world):  # noqa: F811
    from registers.taxes.models import RateResolution, ReconciliationCase, Taxpayer
    from registers.taxes.services import (
        RateInput,
        case_set_status,
        declarations_import,
        resolution_save,
    )

    user, town = world.users["A:tax_officer"], world.town_a
    mark = _mark()
    resolution = RateResolution.objects.filter(municipality=town).order_by("-year").first()
    rates = [RateInput(category=r.category, variant=r.variant, description=r.description,
                       rate=r.rate - Decimal("0.01")) for r in resolution.rates.all()]
    resolution_save(user, town, resolution.year, resolution.number, resolution.adopted_on,
                    rates, resolution=resolution)
    _changed(_last("update", "taxes.rateresolution", mark), user, town)

    case = ReconciliationCase.objects.get(pk=world.kwargs["case_id"])
    new_status = next(s for s in ReconciliationCase.Status.values if s != case.status)
    case_set_status(user, case, new_status, "sprawdzone w terenie",
                    expected_version=case.version)
    _changed(_last("update", "taxes.reconciliationcase", mark), user, town)

    client = _client(world, "A:tax_officer")
    response = client.post(f"/taxes/{town.pk}/taxpayers/new/", {
        "kind": "person", "name": "Nowy Podatnik", "tax_id": "", "address": "ul. Nowa 1",
        "external_ref": "N1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Taxpayer.objects.get(municipality=town, name="Nowy Podatnik")
    event = _last("create", "taxes.taxpayer", mark)
    assert event.object_id == str(created.pk) and event.after["name"] == "Nowy Podatnik"

    response = client.post(f"/taxes/{town.pk}/objects/new/", {
        "taxpayer": created.pk, "kind": "land", "category": "G3", "variant": "",
        "cadastral_id": world.town_a.teryt + ".0001.1", "building_id": "", "area_m2": "100",
        "arose_on": "2026-01-01", "declaration": "IN-1/1", "note": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _last("create", "taxes.taxobject", mark).after

    header = ("taxpayer_ref;taxpayer_name;taxpayer_kind;business;object_kind;category;"
              "cadastral_id;building_id;area_m2;usable_full_m2;usable_half_m2;value;exempt;"
              "exemption_basis;arose_on\n")
    result = declarations_import(user, town, header + "I1;Importowany;person;0;land;G3;"
                                 f"{town.teryt}.0001.1;;50;;;;;;\n")
    assert result.ok, result.errors
    event = _last("import", "taxes.taxobject", mark)
    assert event.user_id == user.pk and event.municipality_id == town.pk
    assert "objects created: 1" in event.detail


# --- reads ----------------------------------------------------------------------------------


def test_card_with_owners_and_tax_section_is_audited(world):  # noqa: F811
    parcel_id = world.kwargs["parcel_id"]
    mark = _mark()
    _client(world, "A:property_officer").get(f"/api/parcels/{parcel_id}")
    owners = _last("read_owners", "parcel", mark)
    assert owners.username == "a_property_officer" and owners.municipality_id == world.town_a.pk
    _client(world, "A:tax_officer").get(f"/parcels/{parcel_id}/card")
    assert _last("read_tax", "layers.parcel", mark).username == "a_tax_officer"
    # the planner sees neither, and nothing is logged in their name
    mark = _mark()
    _client(world, "A:planner").get(f"/api/parcels/{parcel_id}")
    assert not AuditEvent.objects.filter(pk__gt=mark, action__in=["read_owners", "read_tax"],
                                         username="a_planner").exists()


def test_other_reads_of_owners_and_tax_are_audited(world):  # noqa: F811
    import base64

    from gis_app.accounts.access import grant

    town, parcel_id = world.town_a, world.kwargs["parcel_id"]
    mark = _mark()
    _client(world, "A:property_officer").get(f"/parcels/{parcel_id}/print")
    assert _last("read_owners", "parcel", mark).username == "a_property_officer"
    tax = _client(world, "A:tax_officer")
    assert tax.get(f"/taxes/{town.pk}/taxpayers/").status_code == 200
    assert _last("read_owners", "taxes.taxpayer", mark).municipality_id == town.pk
    assert tax.get(f"/taxes/{town.pk}/reconciliation/").status_code == 200
    assert _last("read_tax", "taxes.reconciliationcase", mark).municipality_id == town.pk
    # owners through the OGC API (HTTP Basic), by an officer of two towns: each town's event
    officer = world.users["B:property_officer"]
    grant(officer, town, ["property_officer"])
    officer.set_password("pw-two-towns")
    officer.save()
    token = base64.b64encode(b"b_property_officer:pw-two-towns").decode()
    response = Client().get("/ogc/collections/parcel-owners/items",
                            HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200
    towns = set(AuditEvent.objects.filter(pk__gt=mark, action="read_owners",
                                          object_type="ogc:parcel-owners")
                .values_list("municipality_id", flat=True))
    assert towns == {town.pk, world.town_b.pk}


def test_owner_search_is_audited(world):  # noqa: F811
    mark = _mark()
    _client(world, "A:property_officer").get("/api/search?q=Markerowski")
    event = _last("read_owners", "owner_search", mark)
    assert event.username == "a_property_officer"


def test_liability_roll_and_exports_are_audited(world):  # noqa: F811
    town = world.town_a
    tax = _client(world, "A:tax_officer")
    mark = _mark()
    assert tax.get(f"/taxes/taxpayer/{world.kwargs['taxpayer_id']}/").status_code == 200
    _last("read_tax", "taxes.taxpayer", mark)
    assert tax.get(f"/taxes/{town.pk}/roll/").status_code == 200
    _last("read_tax", "taxes.roll", mark)
    assert tax.get(f"/taxes/{town.pk}/roll/?format=csv").status_code == 200
    _last("export", "taxes.roll", mark)

    planner = _client(world, "A:planner")
    for path, object_type in [("/leases/?export=csv", "lease"),
                              ("/housing/?export=xlsx", "protected_flat"),
                              ("/landscape/inspections/?format=csv", "landscape.inspection"),
                              ("/ogc/collections/parcels/export.csv", "ogc:parcels"),
                              (f"/ogc/exports/parcels.csv?ids={world.kwargs['parcel_id']}",
                               "parcel")]:
        response = planner.get(path)
        assert response.status_code == 200, (path, response.status_code)
        event = _last("export", object_type, mark)
        assert event.username == "a_planner" and event.municipality_id == town.pk, path
    response = _client(world, "A:property_officer").get(
        f"/rasters/dossier/{world.kwargs['parcel_id']}.pdf")
    assert response.status_code == 200
    _last("export", "parcel", mark)
    assert AuditEvent.objects.filter(pk__gt=mark, action="read_owners", object_type="parcel",
                                     username="a_property_officer").exists()


# --- the administrators' viewer --------------------------------------------------------------


def test_audit_viewer_filters_pages_scopes_and_exports(world):  # noqa: F811
    from gis_app.audit.log import audit

    town_a, town_b = world.town_a, world.town_b
    officer = world.users["A:tax_officer"]
    for i in range(60):
        audit(officer, "read_tax", "taxes.taxpayer", i, municipality_id=town_a.pk)
    audit(world.users["B:tax_officer"], "update", "lease", 1, municipality_id=town_b.pk,
          before={"x": 1}, after={"x": 2}, detail="Zdarzenie miasta B")
    admin_a = _client(world, "A:administrator")
    page = admin_a.get("/audit/", HTTP_ACCEPT_LANGUAGE="pl")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Dziennik zdarzeń" in text and "a_tax_officer" in text
    assert "Zdarzenie miasta B" not in text  # town B's events are not town A's admin's
    assert "strona 1 z" in text
    filtered = admin_a.get("/audit/?user=a_tax&action=read_tax&object_type=taxes.taxpayer"
                           f"&date_from={date.today()}&date_to={date.today()}")
    assert filtered.context["page"].paginator.count >= 60
    assert all(e.action == "read_tax" and e.username == "a_tax_officer"
               for e in filtered.context["page"])
    empty = admin_a.get("/audit/?date_from=2001-01-01&date_to=2001-01-02")
    assert empty.context["page"].paginator.count == 0
    bad = admin_a.get("/audit/?date_from=2026-02-01&date_to=2026-01-01")
    assert bad.status_code == 200 and bad.context["form"].errors
    assert admin_a.get("/audit/?format=pdf").status_code == 400

    mark = _mark()
    export = admin_a.get("/audit/?format=csv&action=read_tax")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    body = export.content.decode("utf-8-sig")
    assert body.count("a_tax_officer") >= 60 and "Zdarzenie miasta B" not in body
    event = _last("export", "audit_event", mark)
    assert event.username == "a_administrator" and event.municipality_id == town_a.pk
    xlsx = admin_a.get("/audit/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    admin_b = _client(world, "B:administrator")
    body_b = admin_b.get("/audit/?format=csv").content.decode("utf-8-sig")
    assert "Zdarzenie miasta B" in body_b and "a_tax_officer" not in body_b
    assert _client(world, "A:tax_officer").get("/audit/").status_code == 403
    assert Client().get("/audit/").status_code == 302


# --- changes through the Django admin ---------------------------------------------------------


def test_django_admin_changes_to_register_records_are_audited(world, settings):  # noqa: F811
    # a superuser of every town (issue 14: others see only the towns they administer)
    settings.GEOGMINA_NATIONAL_SUPERUSERS = ["staff_admin"]
    from django.contrib import admin
    from django.test import RequestFactory

    from registers.housing.models import ProtectedFlat
    from registers.leases.models import Lease

    staff = world.users["staff"]
    request = RequestFactory().post("/admin/")
    request.user = staff
    lease_admin = admin.site._registry[Lease]
    lease = Lease.objects.get(pk=world.by_name["lease_detail"]["pk"])
    old_notes = lease.notes
    lease.notes = "poprawione w panelu administracyjnym"
    mark = _mark()
    old_version = lease.version
    lease_admin.save_model(request, lease, None, True)
    lease.refresh_from_db()
    assert lease.version == old_version + 1  # a page opened before it is now stale (409)
    event = _last("update", "leases.lease", mark)
    assert event.username == "staff_admin" and event.municipality_id == world.town_a.pk
    assert event.before["notes"] == old_notes  # only the changed fields (and updated_at)
    assert event.after["notes"] == "poprawione w panelu administracyjnym"
    assert "lessee_name" not in event.after
    assert event.detail == "Django admin"

    flat_admin = admin.site._registry[ProtectedFlat]
    flat = ProtectedFlat.objects.get(pk=world.by_name["flat_edit"]["pk"])
    flat_admin.delete_model(request, flat)
    deleted = _last("delete", "housing.protectedflat", mark)
    assert deleted.before["operator_name"] == "Operator Markerowy"
    assert deleted.municipality_id == world.town_a.pk


def test_admin_changes_to_national_tables_reach_every_towns_audit_readers(world, settings):  # noqa: F811
    # a superuser of every town (issue 14: others see only the towns they administer)
    settings.GEOGMINA_NATIONAL_SUPERUSERS = ["staff_admin"]
    from django.contrib import admin
    from django.test import RequestFactory

    from gis_app.audit.admin_trail import shared_object_types
    from gis_app.audit.log import audit
    from registers.parking.models import MinimumWage

    assert {"taxes.ratecap", "parking.minimumwage", "leases.priceindex"} <= shared_object_types()
    assert "leases.lease" not in shared_object_types()  # has a town: never widened
    staff = world.users["staff"]
    request = RequestFactory().post("/admin/")
    request.user = staff
    wage = MinimumWage.objects.order_by("year").first()
    wage.source = "Dz.U. poprawione w panelu (marker krajowy)"
    mark = _mark()
    admin.site._registry[MinimumWage].save_model(request, wage, None, True)
    event = _last("update", "parking.minimumwage", mark)
    assert event.municipality_id is None
    assert event.detail == "Django admin (shared table: all towns)"
    # a town-less event of a town's record type (should never happen) stays hidden
    audit(staff, "update", "leases.lease", 1, municipality_id=None, detail="marker bez miasta")
    for role in ("A:administrator", "B:administrator"):
        body = _client(world, role).get("/audit/?format=csv").content.decode("utf-8-sig")
        assert "marker krajowy" in body, role
        assert "marker bez miasta" not in body, role
    assert _client(world, "A:tax_officer").get("/audit/").status_code == 403
