"""The map print: a PDF of the right size with title, scale and legend, the features drawn where
they lie (rendered to pixels with PDFium), the orthophoto underneath, only layers the viewer
may see, clear errors for bad parameters."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
import rasterio
from django.test import Client
from pypdf import PdfReader
from rasterio.transform import from_origin

from gis_app.audit.models import AuditEvent
from map_ui.printing import MARGIN_MM, PANEL_MM, PrintRequest
from tests.db import test_map_data
from tests.db.test_map_data import X0, Y0

pytestmark = pytest.mark.django_db
town = test_map_data.town  # the shared fixture: plot 101/7 (40 m square at X0, Y0), buildings

MM = 72 / 25.4
DPI = 150


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"


def params(**kw) -> dict[str, str]:
    base = {"paper": "A4", "orientation": "portrait", "scale": "1000",
            "center": f"{X0 + 20},{Y0 + 20}", "layers": "parcels,buildings",
            "title": "Plan sytuacyjny – Żółkiewskiego 5", "author": "Jan Planista"}
    return {**base, **kw}


def get_pdf(client: Client, **kw):
    response = client.get("/map/print.pdf", params(**kw))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def render(pdf: bytes) -> np.ndarray:
    page = pdfium.PdfDocument(pdf)[0]
    return np.asarray(page.render(scale=DPI / 72).to_pil().convert("RGB")).astype(int)


def pixel_of(e: float, n: float, req: PrintRequest, image: np.ndarray) -> tuple[int, int]:
    """(row, column) of a ground point on the rendered page."""
    west, south, east, north = req.extent
    map_w, map_h = req.map_mm
    x_mm = MARGIN_MM + (e - west) / (east - west) * map_w
    y_mm_from_bottom = MARGIN_MM + PANEL_MM + (n - south) / (north - south) * map_h
    px_per_mm = DPI / 25.4
    return (round(image.shape[0] - y_mm_from_bottom * px_per_mm), round(x_mm * px_per_mm))


def near(image: np.ndarray, row: int, col: int, colour: tuple[int, int, int], radius: int = 4,
         tolerance: int = 60) -> bool:
    box = image[row - radius:row + radius + 1, col - radius:col + radius + 1]
    return bool((np.abs(box - np.array(colour)).sum(axis=2) < tolerance).any())


def parcel_red(image: np.ndarray, row: int, col: int, radius: int = 4) -> bool:
    """The parcels' stroke (#b5482b), also where anti-aliasing lightens a thin line."""
    box = image[row - radius:row + radius + 1, col - radius:col + radius + 1]
    r, g, b = box[..., 0], box[..., 1], box[..., 2]
    return bool(((r - g > 70) & (r - b > 90)).any())


def req_for(**kw) -> PrintRequest:
    p = params(**kw)
    e, n = (float(v) for v in p["center"].split(","))
    return PrintRequest(p["paper"], p["orientation"], int(p["scale"]), (e, n), [], "plain",
                        p["title"], p["author"])


def test_a4_portrait_opens_with_title_scale_legend_and_the_features_drawn(town):
    pdf = get_pdf(Client())
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    for expected in ("Plan sytuacyjny – Żółkiewskiego 5", "Jan Planista", "EPSG:2180",
                     "Legenda", "Działki", "Budynki", "1:1 000"):  # Polish by default
        assert expected in text, expected
    assert reader.metadata.title == "Plan sytuacyjny – Żółkiewskiego 5"
    image = render(pdf)
    req = req_for()
    # the plot's west edge, half-way up, carries the parcels' stroke colour (#b5482b)
    row, col = pixel_of(X0, Y0 + 20, req, image)
    assert parcel_red(image, row, col), image[row - 3:row + 4, col - 3:col + 4]
    # a building (8 m squares from X0+5, Y0+5): grey at half opacity; empty ground stays light
    row_b, col_b = pixel_of(X0 + 9, Y0 + 9, req, image)
    assert (image[row_b, col_b] < 205).all() and (image[row_b, col_b] > 170).all()
    row_e, col_e = pixel_of(X0 + 20, Y0 + 80, req, image)  # north of the plots: nothing drawn
    assert (image[row_e, col_e] > 230).all()


def test_a3_landscape_and_scales(town):
    pdf = get_pdf(Client(), paper="A3", orientation="landscape", scale="25000")
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (1191, 842)
    pdf = get_pdf(Client(), scale="500", layers="parcels")
    image = render(pdf)
    row, col = pixel_of(X0, Y0 + 20, req_for(scale="500"), image)
    assert parcel_red(image, row, col)
    # without layers the same place is empty: the colour really comes from the data
    empty = render(get_pdf(Client(), scale="500", layers=""))
    assert not parcel_red(empty, row, col)


def test_the_orthophoto_is_the_base_map(town, tmp_path):
    from importers.raster.importer import import_raster

    data = np.zeros((3, 400, 400), dtype="uint8")
    data[0], data[1], data[2] = 40, 150, 60
    src = tmp_path / "green.tif"
    with rasterio.open(src, "w", driver="GTiff", width=400, height=400, count=3, dtype="uint8",
                       crs="EPSG:2180", transform=from_origin(X0 - 100, Y0 + 140, 0.5, 0.5)
                       ) as ds:
        ds.write(data)
    import_raster(src, kind="orthophoto", municipality="180501_1", name="green")
    pdf = get_pdf(Client(), base="green", layers="parcels")
    image = render(pdf)
    req = req_for()
    row, col = pixel_of(X0 + 60, Y0 + 60, req, image)  # on the photo, off the plots
    assert near(image, row, col, (40, 150, 60), radius=1, tolerance=30)
    row, col = pixel_of(X0 + 60, Y0 - 80, req, image)  # in the frame, south of the photo: white
    assert (image[row, col] > 240).all()
    assert "green" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()  # the attribution


def test_only_layers_the_viewer_may_see(town, make_user):
    from gis_app.accounts.roles import Role

    public = Client().get("/map/print.pdf", params(layers="parcels,tax_status"))
    assert public.status_code == 401 and "tax_status" in public.json()["error"]
    c = Client()
    c.force_login(town.planner)
    assert c.get("/map/print.pdf", params(layers="tax_status")).status_code == 403
    c.force_login(make_user("tax_a", town.a, (Role.TAX_OFFICER,)))
    assert AuditEvent.objects.filter(action="read_tax").count() == 0
    get_pdf(c, layers="parcels,tax_status")
    event = AuditEvent.objects.get(action="read_tax")  # tax secrecy: the print is on record
    assert event.object_id == "tax_status" and "map print" in event.detail


@pytest.mark.parametrize(("query", "word"), [
    ({"paper": "A5"}, "paper"), ({"orientation": "sideways"}, "orientation"),
    ({"scale": "100"}, "scale"), ({"scale": "30000"}, "scale"), ({"scale": "abc"}, "scale"),
    ({"center": ""}, "center"), ({"center": "211000,677000,1"}, "center"),
    ({"center": "20,50"}, "center"), ({"layers": "nope"}, "nope"), ({"base": "nope"}, "nope"),
    ({"base": "osm"}, "internet"), ({"title": "x" * 201}, "title"),
])
def test_bad_parameters_are_named(town, query, word):
    response = Client().get("/map/print.pdf", params(**query))
    assert response.status_code == 400
    assert word in response.json()["error"]
