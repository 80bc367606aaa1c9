"""The PDF parcel dossier: map on the orthophoto, card data, owners only with view_owners."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio
from PIL import Image
from pypdf import PdfReader
from rasterio.transform import from_origin

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from importers.raster.importer import import_raster
from layers.models import Building, ParcelLandUse, RegistrationUnit, Share, Subject
from layers.rasters.dossier import MAP_PX, map_extent, map_image
from tests.conftest import square

pytestmark = pytest.mark.django_db


X, Y = 677_400.0, 211_000.0


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"


@pytest.fixture
def plot(make_parcel, make_municipality):
    town = make_municipality()
    parcel = make_parcel("17/3", X, Y, size=40)
    make_parcel("18", X + 40, Y, size=40)
    ParcelLandUse.objects.create(parcel=parcel, ofu="B", area_m2=1000)
    ParcelLandUse.objects.create(parcel=parcel, ofu="R", ozk="IIIb", area_m2=600)
    building = Building.objects.create(municipality=town, building_id="B.17", kind="m",
                                       storeys_above=2, built_up_area_m2=120,
                                       geom=square(X + 10, Y + 10, 12),
                                       source_namespace="test", local_id="B17")
    building.parcels.add(parcel)
    unit = RegistrationUnit.objects.create(municipality=town, unit_id="G7", kind="G",
                                           source_namespace="test", local_id="G7")
    owner = Subject.objects.create(municipality=town, kind="person", name="Zofia Łęcka",
                                   source_namespace="test", local_id="S7")
    Share.objects.create(municipality=town, kind="ownership", numerator=1, denominator=2,
                         subject=owner, registration_unit=unit, source_namespace="test",
                         local_id="U7")
    parcel.registration_unit = unit
    parcel.save(update_fields=["registration_unit"])
    return town, parcel


@pytest.fixture
def orthophoto(tmp_path, plot):
    """A uniform green orthophoto (EPSG:2180) around the plot."""
    data = np.zeros((3, 400, 400), dtype="uint8")
    data[0], data[1], data[2] = 40, 150, 60
    src = tmp_path / "green.tif"
    with rasterio.open(src, "w", driver="GTiff", width=400, height=400, count=3, dtype="uint8",
                       crs="EPSG:2180", transform=from_origin(X - 100, Y + 140, 0.5, 0.5)) as ds:
        ds.write(data)
    return import_raster(src, kind="orthophoto", municipality="180501_1", name="green")


def test_map_image_draws_the_parcel_on_the_orthophoto(plot, orthophoto):
    _, parcel = plot
    png, on_photo = map_image(parcel)
    assert on_photo
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert img.shape == (MAP_PX, MAP_PX, 3)
    xmin, _, xmax, ymax = map_extent(parcel)
    scale = MAP_PX / (xmax - xmin)
    # the parcel's west edge (x = X) half-way up is red; inside the plot the photo is green
    col, row = round((X - xmin) * scale), round((ymax - (Y + 20)) * scale)
    assert tuple(img[row, col]) == (230, 20, 20)
    inside = img[round((ymax - (Y + 35)) * scale), round((X + 5) * scale - xmin * scale)]
    assert abs(int(inside[1]) - 150) < 20 and int(inside[0]) < 80


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content))
                     .pages)


def test_dossier_card_and_owners_by_role(client, plot, orthophoto, make_user):
    town, parcel = plot
    url = f"/rasters/dossier/{parcel.pk}.pdf"
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    text = pdf_text(client.get(url))
    assert parcel.cadastral_id in text and "17/3" in text and "B.17" in text
    assert "IIIb" in text and "Łęcka" not in text
    assert not AuditEvent.objects.filter(action="read_owners").exists()
    assert AuditEvent.objects.filter(action="export", object_id=parcel.cadastral_id).exists()

    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))
    text = pdf_text(client.get(url))
    assert "Zofia Łęcka" in text and "1/2" in text
    assert AuditEvent.objects.filter(action="read_owners", username="officer",
                                     object_id=parcel.cadastral_id).exists()


def test_dossier_access(client, plot, make_user, make_municipality):
    _, parcel = plot
    url = f"/rasters/dossier/{parcel.pk}.pdf"
    assert client.get(url, HTTP_ACCEPT="text/html").status_code == 302  # a browser: log in
    assert client.get(url).status_code == 401  # a script: a Basic challenge (gis_app/api_http)
    other = make_municipality("120101_1", "Elsewhere")
    client.force_login(make_user("stranger", other, (Role.PROPERTY_OFFICER,)))
    assert client.get(url).status_code == 404  # town B's officer gets nothing of town A
    assert client.get("/rasters/dossier/999999.pdf").status_code == 404
    client.force_login(make_user("nobody"))
    assert client.get(url).status_code == 403


def test_dossier_without_orthophoto_still_has_a_map(client, plot, make_user):
    town, parcel = plot
    png, on_photo = map_image(parcel)
    assert not on_photo and png[:4] == b"\x89PNG"
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    assert "17/3" in pdf_text(client.get(f"/rasters/dossier/{parcel.pk}.pdf"))
