"""The permission matrix, proven: every endpoint, every role, two municipalities.

A "world" of two towns: town A is the demo town loaded through the real importers and every
register's demo hook (plus a lease document and an inspection with a photo), town B a second
municipality with a plot of its own. Users hold each role in town A only, or in town B only.
For EVERY endpoint from ``gis_app.permissions.walk()`` (parametrised URLs filled with town A's
records; an endpoint the test cannot fill fails it by name) and each viewer, the answer must
match the declared rule:

- deny: 401 or a redirect to the login page for the public, 403 for a logged-in user;
- allow: neither 401 nor 403, and never a server error.

Protected data of town A carry marker strings (an owner's name, a lessee, a taxpayer, a flat's
operator, a usufructuary, an inspection note). A marker may appear only in an answer to a town A
user holding the capability that guards it: never to the public, never to a role without it, and
never to any user of town B, whichever endpoint, tile layer or OGC collection they ask for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from gis_app.accounts.access import grant
from gis_app.accounts.roles import CAPABILITIES, Capability, Role
from gis_app.permissions import walk
from tests.conftest import reseed, square

ROLES = [r.value for r in Role]
VIEWERS = ["public", *[f"A:{r}" for r in ROLES], *[f"B:{r}" for r in ROLES]]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Protected text planted in town A and the capability that must guard it. ASCII only, so that
# JSON with \u escapes, HTML and MVT bytes all carry it verbatim. Searches use the first word only,
# so an echoed query never looks like a leak.
MARKERS = {
    "Markerowski Wlascicielski": Capability.VIEW_OWNERS,
    "Najemca Markerowy": Capability.VIEW_LEASES,
    "Podatnik Markerowy": Capability.VIEW_TAX,
    "Operator Markerowy": Capability.VIEW_HOUSING,
    "Uzytkownik Markerowy": Capability.VIEW_LEASES,
    "Notatka Markerowa": Capability.VIEW_LANDSCAPE,
    "Mieszkaniec Markerowy": Capability.VIEW_RESIDENTS,
    "Platnik Markerowy": Capability.MANAGE_AD_FEE,
    "Partner Markerowy": Capability.VIEW_LEASES,
}


@dataclass
class World:
    town_a: Any
    town_b: Any
    kwargs: dict[str, Any] = field(default_factory=dict)  # URL parameter -> town A value
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)  # url name -> kwargs
    query: dict[str, str] = field(default_factory=dict)  # url name -> query string
    special: dict[str, list[str]] = field(default_factory=dict)  # regex routes -> paths
    users: dict[str, Any] = field(default_factory=dict)


def tile_xyz(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    lat_r = math.radians(lat)
    return z, int((lon + 180.0) / 360.0 * n), int(
        (1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)


def build_world() -> World:
    from layers.models import Municipality, Parcel, Precinct, Share
    from layers.rasters.models import Raster
    from layers.tiles.registry import tile_layers
    from registers.housing.models import ProtectedFlat
    from registers.landscape.models import (
        AdvertisingDevice,
        AdvertisingFeeRate,
        Inspection,
        InspectionPhoto,
        LandscapeArea,
    )
    from registers.leases.models import InvestmentOffer, Lease, PropertyOverride, Usufruct
    from registers.leases.services import document_add
    from registers.parking.models import Tariff
    from registers.ppp.models import PppProject
    from registers.taxes.models import ReconciliationCase, TaxObject, Taxpayer

    reseed()
    call_command("load_demo", "--parcels", "60", stdout=_Null(), stderr=_Null())
    town_a = Municipality.objects.get(teryt="180501_1")
    town_b = Municipality.objects.create(teryt="020101_1", name="Bolesławiec")
    precinct_b = Precinct.objects.create(teryt="020101_1.0001", municipality=town_b, name="1",
                                         source_namespace="test", local_id="020101_1.0001")
    Parcel.objects.create(municipality=town_b, precinct=precinct_b,
                          cadastral_id="020101_1.0001.1", number="1", legal_area_m2=400,
                          source_namespace="test", local_id="b-1", version_id="1",
                          geom=square(250000, 380000, 20))
    world = World(town_a=town_a, town_b=town_b)
    user_model = get_user_model()
    for town_key, town in (("A", town_a), ("B", town_b)):
        for role in ROLES:
            user = user_model.objects.create_user(f"{town_key.lower()}_{role}", password="x")
            grant(user, town, [role])
            world.users[f"{town_key}:{role}"] = user
    world.users["staff"] = user_model.objects.create_user("staff_admin", password="x",
                                                          is_staff=True, is_superuser=True)

    # town A's records, with the markers planted in the protected fields
    person_units = Share.objects.filter(subject__kind="person").values("registration_unit")
    taxed = TaxObject.objects.filter(taxpayer__municipality=town_a).exclude(cadastral_id="")
    parcel = Parcel.objects.filter(municipality=town_a, retired_at__isnull=True,
                                   registration_unit__in=person_units,
                                   cadastral_id__in=taxed.values("cadastral_id")).first()
    assert parcel is not None, "the world needs a taxed plot with a person as owner"
    taxpayer = taxed.filter(cadastral_id=parcel.cadastral_id).first().taxpayer
    Taxpayer.objects.filter(pk=taxpayer.pk).update(name="Podatnik Markerowy")
    share = Share.objects.filter(registration_unit=parcel.registration_unit,
                                 subject__kind="person").select_related("subject").first()
    share.subject.name = "Markerowski Wlascicielski"
    share.subject.search_text = "markerowski wlascicielski"
    share.subject.save(update_fields=["name", "search_text"])
    lease = Lease.objects.filter(municipality=town_a).first()
    Lease.objects.filter(pk=lease.pk).update(lessee_name="Najemca Markerowy")
    flat = ProtectedFlat.objects.filter(municipality=town_a).first()
    ProtectedFlat.objects.filter(pk=flat.pk).update(operator_name="Operator Markerowy")
    from registers.housing.models import Candidate, Demand, Resident, Stay, WaitingListEntry

    resident = Resident.objects.filter(municipality=town_a, stays__isnull=False).first()
    Resident.objects.filter(pk=resident.pk).update(full_name="Mieszkaniec Markerowy")
    stay = Stay.objects.filter(resident=resident).first()
    waiting_entry = WaitingListEntry.objects.filter(resident__municipality=town_a).first()
    demand = Demand.objects.filter(municipality=town_a).first()
    candidate = Candidate.objects.filter(municipality=town_a).first()
    usufruct = Usufruct.objects.filter(municipality=town_a).first()
    Usufruct.objects.filter(pk=usufruct.pk).update(holder_name="Uzytkownik Markerowy")
    officer = world.users["A:property_officer"]
    document = document_add(officer, lease, "Umowa", SimpleUploadedFile("umowa.pdf", PDF))
    device = AdvertisingDevice.objects.filter(municipality=town_a).first()
    inspection = Inspection.objects.create(
        municipality=town_a, inspector=world.users["A:landscape_inspector"],
        inspected_at="2026-05-04T10:00:00+02:00", geom=device.geom,
        parcel_cadastral_id=device.parcel_cadastral_id, object={"kind": "board"},
        findings=[], outcome="pass", note="Notatka Markerowa")
    photo = InspectionPhoto.objects.create(inspection=inspection,
                                           file=SimpleUploadedFile("p.png", PNG),
                                           content_type="image/png", size=len(PNG))
    from registers.landscape.models import DevicePhoto, FeeDeclaration

    device_photo = DevicePhoto.objects.create(device=device, file=SimpleUploadedFile("d.png", PNG),
                                              content_type="image/png", size=len(PNG),
                                              taken_on="2026-05-04")
    FeeDeclaration.objects.create(municipality=town_a, year=2026,
                                  parcel_cadastral_id=device.parcel_cadastral_id or "x",
                                  payer="Platnik Markerowy", filed_on="2026-01-15",
                                  declared_amount=1)
    override = PropertyOverride.objects.filter(municipality=town_a).first()
    override_parcel = Parcel.objects.filter(municipality=town_a, retired_at__isnull=True,
                                            cadastral_id=override.cadastral_id).first()
    case = ReconciliationCase.objects.filter(municipality=town_a).first()
    tariff = Tariff.objects.filter(zone__municipality=town_a).first()
    offer = InvestmentOffer.objects.filter(municipality=town_a).first()
    area = LandscapeArea.objects.filter(municipality=town_a).first()
    fee_rate = AdvertisingFeeRate.objects.filter(municipality=town_a).first()
    project = PppProject.objects.filter(municipality=town_a).order_by("id").first()
    if project is not None:  # the partner's name: the property register's readers only
        PppProject.objects.filter(pk=project.pk).update(partner_name="Partner Markerowy",
                                                        open_for_partners=True)
    missing = [name for name, obj in [
        ("lease", lease), ("flat", flat), ("usufruct", usufruct), ("device", device),
        ("override", override), ("override parcel", override_parcel), ("case", case),
        ("tariff", tariff), ("offer", offer), ("area", area), ("fee rate", fee_rate),
        ("resident", resident), ("stay", stay), ("waiting entry", waiting_entry),
        ("demand", demand), ("candidate", candidate),
        ("ppp project", project)]
        if obj is None]
    assert not missing, f"the demo hooks no longer make: {missing}"

    from registers.taxes.models import Decision

    decision = Decision.objects.create(
        municipality=town_a, taxpayer=taxpayer, year=2026, tax_kind="property",
        number="FN.3120.2026.999999", amount=100, status="draft", reason="Uzasadnienie")
    from importers.web.models import WebImport

    web_import = WebImport.objects.create(  # a finished one: cancelling it changes nothing
        kind="cadastre", municipality=town_a, file="/nonexistent/egib.gml",
        original_name="egib.gml", status="done")
    world.kwargs = {"parcel_id": parcel.pk, "municipality_id": town_a.pk,
                    "taxpayer_id": taxpayer.pk, "case_id": case.pk, "doc_id": document.pk,
                    "decision_id": decision.pk, "session_id": "S-1",
                    "collection_id": "parcels", "feature_id": str(parcel.pk), "fmt": "csv"}
    world.by_name = {
        "lease_detail": {"pk": lease.pk}, "lease_edit": {"pk": lease.pk},
        "document_upload": {"pk": lease.pk},
        "property_edit": {"parcel_id": override_parcel.pk},
        "usufruct_update": {"pk": usufruct.pk}, "offer_edit": {"pk": offer.pk},
        "flat_edit": {"pk": flat.pk}, "tariff_edit": {"pk": tariff.pk},
        "resident": {"pk": resident.pk}, "resident_edit": {"pk": resident.pk},
        "stay_new": {"resident_pk": resident.pk}, "waiting_new": {"resident_pk": resident.pk},
        "stay_edit": {"pk": stay.pk}, "waiting_edit": {"pk": waiting_entry.pk},
        "demand_edit": {"pk": demand.pk}, "candidate_edit": {"pk": candidate.pk},
        "device": {"pk": device.pk}, "device_step": {"pk": device.pk},
        "device_photo_upload": {"pk": device.pk}, "device_photo": {"pk": device_photo.pk},
        "area_rules": {"pk": area.pk}, "inspection": {"pk": inspection.pk},
        "notice_action": {"pk": 1, "action": "pay"}, "notice_photo": {"pk": 1},
        "permit_action": {"pk": 1, "action": "renew"},
        "photo": {"pk": photo.pk}, "device_edit": {"pk": device.pk},
        "tilejson": {"layer": "parcels"}, "not-found": {"rest": "nope"},
        "import_job": {"pk": web_import.pk}, "import_state": {"pk": web_import.pk},
        "import_cancel": {"pk": web_import.pk},
        **{name: {"pk": project.pk} for name in (
            "project_detail", "project_edit", "worksheet", "assessment_pdf", "milestone_add",
            "obligation_add")},
    }
    centre = parcel.geom.centroid.transform(4326, clone=True)
    world.query = {
        "search": "q=Markerowski", "search_api": "q=Markerowski",
        "parcel_at": f"lon={centre.x}&lat={centre.y}",
        "terrain-height": f"e={parcel.geom.centroid.x}&n={parcel.geom.centroid.y}",
        "terrain-visibility": f"e={parcel.geom.centroid.x}&n={parcel.geom.centroid.y}&height=20",
        "parcel-export": f"ids={parcel.pk}",
        "liability": "year=2026",
        "desk": f"ask=plot&plot={parcel.cadastral_id}&usable_m2=100",
        # the rates' Edit link: the form of town A's rates (town B's planner: not found)
        "fee_rates": f"municipality={town_a.pk}&year={fee_rate.year}",
    }
    z, x, y = tile_xyz(centre.x, centre.y, 15)
    world.special = {
        "tile": [f"/tiles/{layer.name}/{z}/{x}/{y}.pbf" for layer in tile_layers()],
        "raster-tile": [f"/rasters/{r.name}/{z}/{x}/{y}.png" for r in Raster.objects.all()],
        "hillshade": [f"/rasters/{r.name}/hillshade/{z}/{x}/{y}.png"
                      for r in Raster.objects.filter(kind="elevation")],
    }
    assert world.special["raster-tile"] and world.special["hillshade"], "no demo rasters"
    return world


class _Null:
    def write(self, *_: Any) -> None:
        pass

    def flush(self) -> None:
        pass


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction that is rolled back at its end."""
    tmp = tmp_path_factory.mktemp("world")
    with django_db_blocker.unblock(), override_settings(
            GEOGMINA_VAR_DIR=tmp, MEDIA_ROOT=tmp / "media", DEBUG=True):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(DEBUG=False):
                yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


_ARG = re.compile(r"<(?:\w+:)?(\w+)>")


def endpoint_urls(world: World) -> list[tuple[Any, str]]:
    """(endpoint, path) for every non-admin endpoint; unfillable ones fail the test by name."""
    out, unfilled = [], []
    for ep in walk():
        if ep.admin:
            continue
        route = ep.route
        if route.startswith("tiles/^"):
            out += [(ep, p) for p in world.special["tile"]]
            continue
        if route.startswith("rasters/^"):
            key = "hillshade" if ep.name == "hillshade" else "raster-tile"
            out += [(ep, p) for p in world.special[key]]
            continue
        if "^" in route or "(?P" in route:
            unfilled.append(f"{ep.name} ({route})")
            continue
        values = {**world.kwargs, **world.by_name.get(ep.name, {})}
        names = _ARG.findall(route)
        if any(n not in values for n in names):
            unfilled.append(f"{ep.name} ({route})")
            continue
        path = "/" + _ARG.sub(lambda m, v=values: str(v[m.group(1)]), route)
        if ep.name in world.query:
            path += "?" + world.query[ep.name]
        out.append((ep, path))
    assert not unfilled, f"endpoints the matrix cannot fill (teach build_world): {unfilled}"
    assert {ep.route for ep, _ in out} == {ep.route for ep in walk() if not ep.admin}
    return out


def _client(world: World, viewer: str) -> Client:
    client = Client()
    if viewer != "public":
        client.force_login(world.users[viewer])
    return client


def _denied_public(response) -> bool:
    return response.status_code == 401 or (
        response.status_code == 302 and "/accounts/login/" in response["Location"])


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_endpoint_answers_each_viewer_by_its_rule(world, viewer):
    client = _client(world, viewer)
    town, _, role = viewer.partition(":")
    problems = []
    for ep, path in endpoint_urls(world):
        method = "GET"
        response = client.get(path)
        if response.status_code == 405 and ep.name != "logout":
            # a POST-only endpoint: the rule must hold for POST too (logout would end the session)
            method = "POST"
            response = client.post(path, {})
        status = response.status_code
        where = f"{viewer} {method} {path} [{ep.name}] -> {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
            continue
        rule = ep.rule
        if rule.token:  # a bearer-token API: no session, whoever's, reaches it (401)
            if status != 401:
                problems.append(f"{where}: a session reached a {rule.token}'s token API")
            continue
        allowed = rule.public or (viewer != "public" and role in CAPABILITIES[rule.capability])
        if not allowed:
            ok = _denied_public(response) if viewer == "public" else status == 403
            if not ok:
                problems.append(f"{where}: should be denied ({rule.capability})")
            continue
        if status in (401, 403) and town != "B" and not _protected_tile(ep, path, role):
            problems.append(f"{where}: should be allowed")
        body = _body(response)
        for marker, capability in MARKERS.items():
            entitled = town == "A" and role in CAPABILITIES[capability]
            if not entitled and marker.encode() in body:
                problems.append(f"{where}: leaks {marker!r} (needs {capability} in town A)")
    assert not problems, "\n".join(problems)


def _protected_tile(ep, path: str, role: str) -> bool:
    """A non-public tile layer refuses a role without its capability (checked separately)."""
    if ep.name != "tile":
        return False
    from layers.tiles.registry import tile_layer

    layer = tile_layer(path.split("/")[2])
    return not layer.public and role not in CAPABILITIES[layer.detail_capability]


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_tile_layers_follow_their_declared_rule(world, viewer):
    from layers.tiles.registry import tile_layers

    client = _client(world, viewer)
    _town, _, role = viewer.partition(":")
    problems = []
    paths = {p.split("/")[2]: p for p in world.special["tile"]}
    for layer in tile_layers():
        response = client.get(paths[layer.name])
        status = response.status_code
        holds = viewer != "public" and role in CAPABILITIES[layer.detail_capability] \
            if layer.detail_capability else False
        if layer.public:
            expected_ok = status in (200, 204)
        elif viewer == "public":
            expected_ok = status == 401
        else:
            expected_ok = status == (200 if holds else 403) or (holds and status == 204)
        if not expected_ok:
            problems.append(f"{viewer} {layer.name}: {status}")
    assert not problems, problems


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_ogc_collections_by_role_and_municipality(world, viewer):
    from layers.ogc.registry import collections

    client = _client(world, viewer)
    town, _, role = viewer.partition(":")
    problems = []
    for col in collections():
        response = client.get(f"/ogc/collections/{col.id}/items?limit=1000")
        status = response.status_code
        if col.public:
            ok = status == 200
        elif viewer == "public":
            ok = status == 401
        else:
            ok = status == (200 if role in CAPABILITIES[col.capability] else 403)
        if not ok:
            problems.append(f"{viewer} {col.id}: {status}")
            continue
        if status != 200:
            continue
        body = response.content
        for marker, capability in MARKERS.items():
            if marker.encode() in body and not (town == "A"
                                                 and role in CAPABILITIES[capability]):
                problems.append(f"{viewer} {col.id}: leaks {marker!r}")
        if not col.public:
            teryts = {f["properties"].get("municipality") for f in response.json()["features"]}
            mine = world.town_a.teryt if town == "A" else world.town_b.teryt
            if teryts - {mine}:
                problems.append(f"{viewer} {col.id}: rows of other towns {teryts - {mine}}")
    assert not problems, problems


@pytest.mark.django_db
def test_markers_do_reach_the_entitled(world):
    """The leak checks above can fail: each marker is visible to a town A holder somewhere."""
    a = world.kwargs
    seen = {
        "Markerowski Wlascicielski": ("A:property_officer", f"/api/parcels/{a['parcel_id']}"),
        "Podatnik Markerowy": ("A:tax_officer", f"/taxes/taxpayer/{a['taxpayer_id']}/"),
        "Najemca Markerowy": ("A:planner", f"/leases/{world.by_name['lease_detail']['pk']}/"),
        "Operator Markerowy": ("A:planner", "/housing/"),
        "Mieszkaniec Markerowy": ("A:social_welfare", "/housing/residents/"),
        "Platnik Markerowy": ("A:tax_officer", "/landscape/fee-declarations/?year=2026"),
        "Uzytkownik Markerowy": ("A:administrator", "/leases/usufruct/"),
        "Notatka Markerowa": ("A:planner",
                              f"/landscape/inspections/{world.by_name['inspection']['pk']}/"),
    }
    for marker, (viewer, path) in seen.items():
        body = _client(world, viewer).get(path).content
        assert marker.encode() in body, (marker, viewer, path)


@pytest.mark.django_db
def test_admin_is_for_staff_only(world):
    admin_paths = sorted({"/" + ep.route for ep in walk()
                          if ep.admin and "<" not in ep.route and "^" not in ep.route
                          and not ep.route.endswith(("login/", "logout/"))})
    assert "/admin/" in admin_paths
    for viewer in ["public", "A:administrator", "B:tax_officer"]:
        client = _client(world, viewer)
        for path in admin_paths:
            response = client.get(path)
            assert response.status_code in (302, 404), (viewer, path, response.status_code)
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"], (viewer, path)
    staff = _client(world, "staff")
    assert staff.get("/admin/").status_code == 200

