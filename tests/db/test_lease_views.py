"""Every leases page per role: the property officer edits, the planner reads (403 on edit),
the public sees only the investment offer, a user of another town gets nothing."""

import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from layers.models import RegistrationUnit
from registers.leases import selectors, services
from registers.leases.models import InvestmentOffer, Lease, LeaseDocument, Usufruct
from tests.conftest import square

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the UI default is Polish)."""
    with translation.override("en"):
        yield


X, Y = 677_000.0, 211_000.0


@pytest.fixture
def town(make_municipality):
    return make_municipality()


@pytest.fixture
def other_town(make_municipality):
    return make_municipality("186101_1", "Krosno")


@pytest.fixture
def plot(make_parcel, town):
    p = make_parcel("1", X, Y, size=40, municipality=town)
    unit = RegistrationUnit.objects.create(municipality=town, unit_id="G.7", kind="G", group=4,
                                           source_namespace="test", local_id="ru-g7")
    p.registration_unit = unit
    p.save()
    return p


@pytest.fixture
def users(make_user, town, other_town):
    return {
        "officer": make_user("officer", town, (Role.PROPERTY_OFFICER,)),
        "planner": make_user("planner", town, (Role.PLANNER,)),
        "tax": make_user("tax", town, (Role.TAX_OFFICER,)),
        "stranger": make_user("stranger", other_town, (Role.PROPERTY_OFFICER,)),
    }


def client_for(user=None):
    c = Client(headers={"accept-language": "en"})
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def lease(town, plot, users):
    return services.lease_create(users["officer"], dict(
        municipality_id=town.id, number="GN.7/2025", lessee_name="Ogródki Sp. z o.o.",
        lessee_kind="company", cadastral_ids=[plot.cadastral_id], rent_amount=Decimal("500"),
        start_date=date(2025, 1, 1), end_date=date(2026, 12, 31), status="proposed"),
        square(X + 5, Y + 5, 10))


def drawn(x, y, size):
    """A square drawn on the map: GeoJSON in WGS 84, as Leaflet sends it."""
    geom = square(x, y, size)
    geom.transform(4326)
    return geom[0].json


def post_data(town, plot, **kw):
    data = {
        "municipality": town.id, "number": "GN.8/2025", "kind": "lease", "status": "proposed",
        "lessee_kind": "person", "lessee_name": "Maria Nowak", "cadastral_ids": plot.cadastral_id,
        "purpose": "garden", "rent_amount": "240.00", "rent_period": "yearly", "vat_rate": "23",
        "indexation": "cpi", "start_date": "2025-04-01", "end_date": "2027-03-31",
        "procedure": "no_tender",
        "area_geojson": drawn(X + 20, Y + 20, 10),
    }
    data.update(kw)
    return data


READ_URLS = ["/leases/", "/leases/property/", "/leases/usufruct/", "/leases/rents/"]


@pytest.mark.parametrize("url", READ_URLS)
def test_read_pages_per_role(url, users, lease):
    assert client_for(users["officer"]).get(url).status_code == 200
    assert client_for(users["planner"]).get(url).status_code == 200
    assert client_for(users["tax"]).get(url).status_code == 200
    anon = client_for().get(url)
    assert anon.status_code == 302 and "/accounts/login/" in anon["Location"]


def test_lease_list_shows_own_town_only(users, lease):
    assert "GN.7/2025" in client_for(users["planner"]).get("/leases/").content.decode()
    assert "GN.7/2025" not in client_for(users["stranger"]).get("/leases/").content.decode()


def test_lease_detail_per_role(users, lease):
    url = f"/leases/{lease.pk}/"
    page = client_for(users["officer"]).get(url)
    assert page.status_code == 200 and f"/leases/{lease.pk}/edit/" in page.content.decode()
    planner = client_for(users["planner"]).get(url)
    assert planner.status_code == 200 and "Ogródki" in planner.content.decode()
    assert f"/leases/{lease.pk}/edit/" not in planner.content.decode()
    assert client_for(users["stranger"]).get(url).status_code == 404
    assert client_for().get(url).status_code == 302


def test_edit_pages_per_role(users, lease, town, plot):
    assert client_for(users["officer"]).get("/leases/new/").status_code == 200
    assert client_for(users["officer"]).get(f"/leases/{lease.pk}/edit/").status_code == 200
    for name in ("planner", "tax"):
        c = client_for(users[name])
        assert c.get("/leases/new/").status_code == 403
        assert c.post("/leases/new/", post_data(town, plot)).status_code == 403
        assert c.get(f"/leases/{lease.pk}/edit/").status_code == 403
        assert c.post(f"/leases/{lease.pk}/edit/", {}).status_code == 403
    assert client_for(users["stranger"]).get(f"/leases/{lease.pk}/edit/").status_code == 404
    assert client_for().get("/leases/new/").status_code == 302
    assert Lease.objects.count() == 1


def test_officer_creates_lease_from_drawn_geojson(users, town, plot):
    resp = client_for(users["officer"]).post("/leases/new/", post_data(town, plot))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    lease = Lease.objects.get(number="GN.8/2025")
    assert lease.cadastral_ids == [plot.cadastral_id]
    assert lease.area_m2 == pytest.approx(100.0, abs=0.01)


def test_area_outside_plot_gets_a_form_error(users, town, plot):
    far = drawn(X + 35, Y + 10, 10)  # 5 m stick out of the 40 m plot
    resp = client_for(users["officer"]).post("/leases/new/", post_data(town, plot,
                                                                       area_geojson=far))
    assert resp.status_code == 400
    assert "outside its plots" in resp.content.decode()
    assert not Lease.objects.exists()


def test_self_intersecting_drawing_is_refused_clearly(users, town, plot):
    bowtie = json.dumps({"type": "Polygon", "coordinates": [[
        [21.43, 49.74], [21.431, 49.741], [21.431, 49.74], [21.43, 49.741], [21.43, 49.74]]]})
    resp = client_for(users["officer"]).post("/leases/new/", post_data(town, plot,
                                                                       area_geojson=bowtie))
    assert resp.status_code == 400 and "not a valid polygon" in resp.content.decode()


def test_stale_edit_gets_409_and_keeps_the_newer_save(users, lease, town, plot):
    c = client_for(users["officer"])
    data = post_data(town, plot, number=lease.number, area_geojson="", version="1",
                     rent_amount="600.00")
    data["cadastral_ids"] = plot.cadastral_id
    assert c.post(f"/leases/{lease.pk}/edit/", data).status_code == 302
    stale = dict(data, rent_amount="700.00")
    resp = c.post(f"/leases/{lease.pk}/edit/", stale)
    assert resp.status_code == 409 and "Someone else saved" in resp.content.decode()
    lease.refresh_from_db()
    assert lease.rent_amount == Decimal("600.00") and lease.version == 2


def test_export_csv_and_xlsx(users, lease):
    c = client_for(users["planner"])
    csv = c.get("/leases/?export=csv")
    assert csv.status_code == 200 and "GN.7/2025" in csv.content.decode("utf-8-sig")
    xlsx = c.get("/leases/?export=xlsx")
    assert xlsx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(xlsx.content))
    assert c.get("/leases/?export=pdf").status_code == 400
    assert AuditEvent.objects.filter(action="export", object_type="lease").count() == 2
    prop = c.get("/leases/property/?export=csv").content.decode("utf-8-sig")
    assert "180501_1.0001.1" in prop


def test_expiring_filter_in_the_list(users, town, plot, make_parcel):
    officer = users["officer"]
    today = date.today()
    for i, days in enumerate((10, 200)):
        services.lease_create(officer, dict(
            municipality_id=town.id, number=f"E{days}", lessee_name="x",
            cadastral_ids=[plot.cadastral_id], start_date=date(2024, 1, 1),
            end_date=date.fromordinal(today.toordinal() + days), status="active",
            contract_date=date(2023, 12, 1), notice_posted_on=date(2023, 11, 1),
            council_resolution="R/1"), square(X + 20 * i, Y + 30, 5))
    page = client_for(users["planner"]).get("/leases/?expiring=30").content.decode()
    assert "E10" in page and "E200" not in page


def test_document_upload_checks_type_and_serves_by_role(users, lease, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(users["officer"])
    ok = SimpleUploadedFile("../../umowa dzierżawy.PDF", b"%PDF-1.4 test", "application/pdf")
    resp = c.post(f"/leases/{lease.pk}/documents/", {"title": "Umowa", "file": ok})
    assert resp.status_code == 302
    doc = LeaseDocument.objects.get()
    assert ".." not in doc.file.name and doc.file.name.endswith(".pdf")
    assert doc.file.name.startswith(f"leases/{lease.municipality_id}/{lease.pk}/")
    fake = SimpleUploadedFile("umowa.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    resp = c.post(f"/leases/{lease.pk}/documents/", {"file": fake})
    assert resp.status_code == 400 and "does not match" in resp.content.decode()
    exe = SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")
    assert c.post(f"/leases/{lease.pk}/documents/", {"file": exe}).status_code == 400
    assert LeaseDocument.objects.count() == 1
    assert client_for(users["planner"]).get(f"/leases/documents/{doc.pk}/").status_code == 200
    planner_post = client_for(users["planner"]).post(f"/leases/{lease.pk}/documents/",
                                                     {"file": ok})
    assert planner_post.status_code == 403
    assert client_for(users["stranger"]).get(f"/leases/documents/{doc.pk}/").status_code == 404


def test_investment_offer_is_public_and_edited_by_officers(users, town, plot, other_town):
    services.offer_save(users["officer"], dict(
        municipality_id=town.id, title="Teren inwestycyjny Gamrat", mode="sale",
        cadastral_ids=[plot.cadastral_id], conditions="MPZP: U", price=Decimal("350000"),
        published=True))
    services.offer_save(users["officer"], dict(
        municipality_id=town.id, title="Szkic oferty", mode="ppp",
        cadastral_ids=[plot.cadastral_id], published=False))
    public = client_for().get("/leases/offers/").content.decode()
    assert "Teren inwestycyjny Gamrat" in public and "Szkic oferty" not in public
    officer = client_for(users["officer"]).get("/leases/offers/").content.decode()
    assert "Szkic oferty" in officer
    stranger = client_for(users["stranger"]).get("/leases/offers/").content.decode()
    assert "Szkic oferty" not in stranger
    assert client_for().get("/leases/offers/?export=csv").status_code == 200
    offer = InvestmentOffer.objects.get(published=True)
    assert client_for(users["planner"]).get(f"/leases/offers/{offer.pk}/edit/").status_code == 403
    assert client_for(users["officer"]).get(f"/leases/offers/{offer.pk}/edit/").status_code == 200
    assert client_for(users["stranger"]).get(f"/leases/offers/{offer.pk}/edit/").status_code == 404
    assert client_for().get("/leases/offers/new/").status_code == 302


def test_property_edit_per_role(users, plot):
    url = f"/leases/property/{plot.pk}/edit/"
    assert client_for(users["planner"]).get(url).status_code == 403
    assert client_for(users["stranger"]).get(url).status_code == 404
    resp = client_for(users["officer"]).post(url, {"status": "exclude", "manager": "ZGM",
                                                   "management_form": "own"})
    assert resp.status_code == 302
    assert not selectors.municipal_parcels([plot.municipality_id]).exists()


def test_usufruct_update_via_page_spreads_the_increase(users, town, plot):
    u = Usufruct.objects.create(municipality=town, cadastral_id=plot.cadastral_id,
                                holder_name="Spółdzielnia", purpose="housing_public",
                                land_value=Decimal("100000"), fee_updated_year=2020)
    c = client_for(users["officer"])
    resp = c.post(f"/leases/usufruct/{u.pk}/update/", {
        "new_land_value": "350000", "effective_year": "2026", "notice_on": "2025-12-10",
        "version": "1"})
    assert resp.status_code == 302
    # too soon: the next update may take effect in 2029
    resp = c.post(f"/leases/usufruct/{u.pk}/update/", {
        "new_land_value": "400000", "effective_year": "2028", "notice_on": "2027-12-10",
        "version": "2"})
    assert resp.status_code == 400 and "2029" in resp.content.decode()
    # a page opened before the first update (version 1) is stale now: 409, nothing written
    resp = c.post(f"/leases/usufruct/{u.pk}/update/", {
        "new_land_value": "500000", "effective_year": "2029", "notice_on": "2028-12-10",
        "version": "1"}, HTTP_ACCEPT_LANGUAGE="pl")
    assert resp.status_code == 409 and "Ktoś inny zmienił" in resp.content.decode()
    u.refresh_from_db()
    assert (u.land_value, u.version) == (Decimal("350000"), 2)
    assert u.fee_notice_on == date(2025, 12, 10)
    ev = AuditEvent.objects.get(object_type="usufruct")
    assert ev.after["spread"] == [[2026, "2000.00"], [2027, "2750.00"], [2028, "3500.00"]]
    assert ev.after["fee_notice_on"] == "2025-12-10"
    planner = client_for(users["planner"]).post(f"/leases/usufruct/{u.pk}/update/", {})
    assert planner.status_code == 403


def test_usufruct_update_refused_when_the_notice_is_too_late(users, town, plot):
    """art. 78 ust. 1 UGN: a notice given in 2027 cannot make the fee apply in 2027."""
    u = Usufruct.objects.create(municipality=town, cadastral_id=plot.cadastral_id,
                                holder_name="Spółdzielnia", purpose="housing_public",
                                land_value=Decimal("100000"), fee_updated_year=2020)
    c = client_for(users["officer"])
    resp = c.post(f"/leases/usufruct/{u.pk}/update/", {
        "new_land_value": "350000", "effective_year": "2027", "notice_on": "2027-01-05",
        "version": "1"}, HTTP_ACCEPT_LANGUAGE="pl")
    body = resp.content.decode()
    assert resp.status_code == 400 and "notice_on" in body and "2026-12-31" in body
    assert "za późno" in body
    # no notice date at all: refused, naming the field
    resp = c.post(f"/leases/usufruct/{u.pk}/update/", {
        "new_land_value": "350000", "effective_year": "2027", "version": "1"})
    assert resp.status_code == 400 and "notice_on" in resp.content.decode()
    u.refresh_from_db()
    assert (u.land_value, u.version, u.fee_updated_year) == (Decimal("100000"), 1, 2020)
    assert not AuditEvent.objects.filter(object_type="usufruct").exists()


def test_usufruct_payable_this_year_is_the_old_fee_before_the_update_applies(users, town, plot):
    """Right after an update taking effect next year, this year's column shows the old fee
    (2 000.00 for 200 000 zł at 1 %), not the new one (5 000.00)."""
    today = date.today()
    u = Usufruct.objects.create(municipality=town, cadastral_id=plot.cadastral_id,
                                holder_name="Spółdzielnia", purpose="housing_public",
                                land_value=Decimal("200000"), fee_updated_year=today.year - 5)
    c = client_for(users["officer"])
    resp = c.post(f"/leases/usufruct/{u.pk}/update/", {
        "new_land_value": "500000", "effective_year": str(today.year + 1),
        "notice_on": today.isoformat(), "version": "1"})
    assert resp.status_code == 302
    page = c.get("/leases/usufruct/")
    row = next(r for r in page.context["rows"] if r["u"].pk == u.pk)
    assert row["fee"] == Decimal("5000.00")
    assert row["payable"] == Decimal("2000.00")


def test_card_section_per_role(users, lease, plot, town):
    from django.contrib.auth.models import AnonymousUser

    section = selectors.card_section(users["planner"], plot)
    assert section["is_municipal"] and section["leases"][0]["number"] == "GN.7/2025"
    assert not section["can_edit"]
    assert selectors.card_section(users["officer"], plot)["can_edit"]
    assert selectors.card_section(users["stranger"], plot) is None
    assert selectors.card_section(AnonymousUser(), plot) is None
    services.offer_save(users["officer"], dict(
        municipality_id=town.id, title="Oferta", mode="lease",
        cadastral_ids=[plot.cadastral_id], published=True))
    public = selectors.card_section(AnonymousUser(), plot)
    assert public["public"] and "leases" not in public and public["offers"][0]["title"] == "Oferta"


def test_officer_uploads_the_area_as_a_file(users, town, plot, tmp_path):
    import geopandas as gpd
    from django.core.files.uploadedfile import SimpleUploadedFile
    from shapely.geometry import box

    path = tmp_path / "obszar.geojson"
    gpd.GeoDataFrame(geometry=[box(X + 5, Y + 5, X + 25, Y + 15)], crs="EPSG:2180").to_file(
        path, driver="GeoJSON")
    upload = SimpleUploadedFile("obszar.geojson", path.read_bytes(), "application/geo+json")
    resp = client_for(users["officer"]).post(
        "/leases/new/", post_data(town, plot, area_geojson="", area_file=upload))
    assert resp.status_code == 302
    assert Lease.objects.get().area_m2 == pytest.approx(200.0)
    wrong = SimpleUploadedFile("obszar.kml", b"<kml/>", "application/xml")
    resp = client_for(users["officer"]).post(
        "/leases/new/", post_data(town, plot, number="X", area_geojson="", area_file=wrong))
    assert resp.status_code == 400 and "not .kml" in resp.content.decode()


def test_rent_roll_indexes_yearly_and_names_a_missing_index(users, town, plot):
    from registers.leases.models import PriceIndex

    PriceIndex.objects.create(year=2024, cpi=Decimal("103.6"))
    services.lease_create(users["officer"], dict(
        municipality_id=town.id, number="R/1", lessee_name="Najemca", status="active",
        cadastral_ids=[plot.cadastral_id], rent_amount=Decimal("1000"), rent_period="yearly",
        vat_rate=Decimal("23"), indexation="cpi", start_date=date(2024, 1, 1),
        end_date=date(2026, 12, 31), contract_date=date(2023, 12, 20),
        notice_posted_on=date(2023, 11, 1)), square(X, Y, 10))
    (row,) = selectors.rent_roll(users["planner"], 2025)
    # 1 000.00 × 103.6 % = 1 036.00 net, + 23 % VAT = 1 274.28
    assert (row["rent_per_period"], row["net"], row["gross"]) == (
        Decimal("1036.00"), Decimal("1036.00"), Decimal("1274.28"))
    (later,) = selectors.rent_roll(users["planner"], 2026)
    assert later["missing_index"] == 2025 and "net" not in later
    page = client_for(users["planner"]).get("/leases/rents/?year=2026").content.decode()
    assert "the price index for 2025 is not recorded yet" in page
    csv = client_for(users["planner"]).get("/leases/rents/?year=2025&export=csv")
    assert "1274,28" in csv.content.decode("utf-8-sig")  # the Polish spreadsheets' dialect
    intl = client_for(users["planner"]).get("/leases/rents/?year=2025&export=csv&dialect=intl")
    assert "1274.28" in intl.content.decode("utf-8-sig")
    assert selectors.rent_roll(users["stranger"], 2025) == []
    assert client_for().get("/leases/rents/").status_code == 302
    assert client_for(users["planner"]).get("/leases/rents/?year=99999").status_code == 400


def test_pages_speak_polish_by_default(users, lease, plot):
    c = Client()  # no Accept-Language: the default language, Polish
    c.force_login(users["officer"])
    assert "Umowy dzierżawy" in c.get("/leases/").content.decode()
    detail = c.get(f"/leases/{lease.pk}/").content.decode()
    assert "Harmonogram czynszu" in detail and "Na kartach działek" in detail
    assert "Oferta inwestycyjna" in Client().get("/leases/offers/").content.decode()
    assert "Mieszkania chronione" in c.get("/housing/").content.decode()


def test_officer_of_another_town_cannot_create_a_lease_here(users, town, plot):
    resp = client_for(users["stranger"]).post("/leases/new/", post_data(town, plot))
    assert resp.status_code == 400 and "Select a valid choice" in resp.content.decode()
    page = client_for(users["stranger"]).get(f"/leases/new/?parcel={plot.pk}").content.decode()
    assert plot.cadastral_id not in page  # the other town's plot is not even on the map
    assert not Lease.objects.exists()


def test_oversized_document_is_refused(users, lease, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    big = SimpleUploadedFile("skan.pdf", b"%PDF-" + b"0" * services.DOCUMENT_MAX_BYTES)
    resp = client_for(users["officer"]).post(f"/leases/{lease.pk}/documents/", {"file": big})
    assert resp.status_code == 400 and "larger than 10 MB" in resp.content.decode()
    assert not LeaseDocument.objects.exists() and not any(tmp_path.rglob("*.pdf"))


@pytest.mark.parametrize("bad", [{"rent_amount": "-5"}, {"end_date": "2020-01-01"},
                                 {"start_date": "31.02.2025"}, {"vat_rate": "abc"}])
def test_bad_input_is_a_form_error_not_a_500(users, town, plot, bad):
    resp = client_for(users["officer"]).post("/leases/new/", post_data(town, plot, **bad))
    assert resp.status_code == 400 and 'class="errorlist' in resp.content.decode()
    assert not Lease.objects.exists()
