"""A parcel's PDF dossier: a map of the plot on the orthophoto and its card.

The map is cut straight from the orthophoto COG (stored in EPSG:2180, the same grid as the
parcels, so no warping), with the neighbours, buildings and the parcel drawn over it with PIL.
The PDF is built with reportlab (pure Python). Owners appear only for users holding
``VIEW_OWNERS`` in the parcel's municipality, and that read is audited; every dossier is
audited as an export.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from django.contrib.gis.geos import Polygon
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageDraw
from rasterio.windows import from_bounds

from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers import formats
from layers.domain.srid import STORAGE_SRID
from layers.models import Building, Parcel, Share
from layers.rasters.models import Raster
from layers.selectors import parcel_card_data

MAP_PX = 900
FONT_PATHS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]
FONT_BOLD_PATHS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")]


def map_extent(parcel: Parcel, margin: float = 0.35, minimum: float = 60.0
               ) -> tuple[float, float, float, float]:
    """A square around the parcel with a margin, in EPSG:2180 metres."""
    xmin, ymin, xmax, ymax = parcel.geom.extent
    side = max(xmax - xmin, ymax - ymin) * (1 + 2 * margin)
    side = max(side, minimum)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def _orthophoto_background(bounds: tuple[float, float, float, float]) -> np.ndarray | None:
    """RGB (h, w, 3) of the finest orthophoto covering the extent, or None."""
    box = Polygon.from_bbox(bounds)
    box.srid = STORAGE_SRID
    raster = (Raster.objects.filter(kind=Raster.Kind.ORTHOPHOTO, footprint__intersects=box)
              .order_by("resolution_m", "-created").first())
    if raster is None or not raster.path.is_file():
        return None
    with rasterio.open(raster.path) as ds:
        window = from_bounds(*bounds, transform=ds.transform)
        bands = [1, 1, 1] if ds.count == 1 else [1, 2, 3]
        data = ds.read(bands, window=window, out_shape=(3, MAP_PX, MAP_PX), boundless=True,
                       fill_value=235)
    return np.moveaxis(data, 0, -1).astype(np.uint8)


def map_image(parcel: Parcel) -> tuple[bytes, bool]:
    """PNG of the plot with its neighbours and buildings; (bytes, drawn on an orthophoto?)."""
    bounds = map_extent(parcel)
    xmin, _ymin, xmax, ymax = bounds
    scale = MAP_PX / (xmax - xmin)
    background = _orthophoto_background(bounds)
    on_photo = background is not None
    if background is None:
        background = np.full((MAP_PX, MAP_PX, 3), 242, dtype=np.uint8)
    image = Image.fromarray(background, "RGB")
    draw = ImageDraw.Draw(image)

    def px(coords: Any) -> list[tuple[float, float]]:
        return [((x - xmin) * scale, (ymax - y) * scale) for x, y in coords]

    box = Polygon.from_bbox(bounds)
    box.srid = STORAGE_SRID
    neighbour = (255, 255, 255) if on_photo else (120, 120, 120)
    for other in Parcel.objects.filter(retired_at__isnull=True, geom__intersects=box) \
            .exclude(pk=parcel.pk).only("geom"):
        for poly in other.geom:
            draw.line(px(poly.exterior_ring.coords), fill=neighbour, width=1)
    for building in Building.objects.filter(retired_at__isnull=True, geom__intersects=box) \
            .only("geom"):
        for poly in building.geom:
            draw.polygon(px(poly.exterior_ring.coords), outline=(40, 40, 40),
                         fill=None if on_photo else (200, 190, 180))
    for poly in parcel.geom:
        draw.line(px(poly.exterior_ring.coords), fill=(230, 20, 20), width=4, joint="curve")
        for ring in poly[1:]:
            draw.line(px(ring.coords), fill=(230, 20, 20), width=2)
    # scale bar: a round length near a fifth of the map
    target = (xmax - xmin) / 5
    length = next(v for v in (1000, 500, 200, 100, 50, 20, 10, 5) if v <= target) \
        if target >= 5 else 5
    bar = length * scale
    draw.rectangle([20, MAP_PX - 38, 20 + bar, MAP_PX - 30], fill=(0, 0, 0))
    draw.text((20, MAP_PX - 26), f"{length} m", fill=(0, 0, 0) if not on_photo
              else (255, 255, 255))
    draw.text((MAP_PX - 30, 15), "N", fill=(0, 0, 0) if not on_photo else (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), on_photo


def _address(a: dict[str, Any]) -> str:
    street = a.get("street") or a.get("locality") or ""
    flat = f"/{a['flat_number']}" if a.get("flat_number") else ""
    return f"{street} {a.get('house_number') or ''}{flat}, {a.get('locality') or ''}".strip()


def dossier_fields(card: dict[str, Any]) -> dict[str, Any]:
    """What the PDF prints, read from the parcel card's data (``parcel_card_data``, the one
    builder of a plot's card: same scoping, same owner projection, same audit)."""
    kinds = dict(Share.Kind.choices)
    owners = card.get("owners")
    precinct = card.get("precinct") or {}
    return {
        "cadastral_id": card["cadastral_id"], "number": card["number"],
        "precinct": f"{precinct['teryt']} {precinct['name']}" if precinct.get("teryt") else "",
        "municipality": f"{card['municipality']['name']} ({card['municipality']['teryt']})",
        "sheet": card["sheet"], "kw": ", ".join(card.get("kw_numbers") or []),
        "legal_area_m2": card["legal_area_m2"], "geom_area_m2": card["geom_area_m2"],
        "addresses": [_address(a) for a in card["addresses"]],
        "land_uses": card["land_uses"], "buildings": card["buildings"],
        "owners": None if owners is None else [{
            "name": o["name"] or "?", "kind": str(kinds.get(o["share_kind"], o["share_kind"])),
            "share": f"{o['numerator']}/{o['denominator']}"
            if o["numerator"] and o["denominator"] else "",
        } for o in owners],
    }


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = next((p for p in FONT_PATHS if p.is_file()), None)
    bold = next((p for p in FONT_BOLD_PATHS if p.is_file()), None)
    if regular is None:  # without DejaVu, Polish letters may not render; nothing fails
        return "Helvetica", "Helvetica-Bold"
    if "GeogminaSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("GeogminaSans", str(regular)))
        pdfmetrics.registerFont(TTFont("GeogminaSans-Bold", str(bold or regular)))
    return "GeogminaSans", "GeogminaSans-Bold"


def _fmt(value: Any) -> str:
    """A value of the dossier's tables: numbers in the locale's format, "–" when missing."""
    if value is None or value == "":
        return formats.MISSING
    if isinstance(value, float | Decimal) or (isinstance(value, int) and not isinstance(value,
                                                                                       bool)):
        return formats.number(value)
    return str(value)


def dossier_pdf(parcel: Parcel, data: dict[str, Any], user_name: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image as RLImage
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    title = ParagraphStyle("t", fontName=bold, fontSize=15, leading=19, spaceAfter=6)
    head = ParagraphStyle("h", fontName=bold, fontSize=11, leading=14, spaceBefore=8,
                          spaceAfter=4)
    body = ParagraphStyle("b", fontName=regular, fontSize=9, leading=12)
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ])
    header_style = TableStyle([("FONTNAME", (0, 0), (-1, 0), bold),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])

    def table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
        t = Table([[Paragraph(str(c), body) for c in row] for row in rows], colWidths=widths)
        t.setStyle(style)
        if header:
            t.setStyle(header_style)
        return t

    png, on_photo = map_image(parcel)
    story: list[Any] = [
        Paragraph(_("Parcel dossier %(id)s") % {"id": parcel.cadastral_id}, title),
        table([
            [_("Parcel id"), data["cadastral_id"]], [_("Parcel number"), data["number"]],
            [_("Precinct"), data["precinct"]], [_("Municipality"), data["municipality"]],
            [_("Map sheet"), _fmt(data["sheet"])], [_("Land register (KW)"), _fmt(data["kw"])],
            [_("Addresses"), _fmt("; ".join(data["addresses"]))],
            [_("Legal area"), formats.area(data["legal_area_m2"])],
            [_("Geometric area"), formats.area(data["geom_area_m2"])],
        ], [45 * mm, 125 * mm], header=False),
        Spacer(1, 4 * mm),
        RLImage(io.BytesIO(png), width=120 * mm, height=120 * mm),
        Paragraph(_("Map: the parcel in red, neighbouring parcels and buildings; "
                    "EPSG:2180; background: %(bg)s.")
                  % {"bg": _("orthophoto") if on_photo else _("none")}, body),
        Paragraph(_("Land uses"), head),
    ]
    if data["land_uses"]:
        story.append(table([[_("OFU"), _("OZU"), _("OZK"), _("Area")]]
                           + [[u["ofu"], _fmt(u["ozu"]), _fmt(u["ozk"]),
                               formats.area(u["area_m2"])] for u in data["land_uses"]],
                           [30 * mm, 30 * mm, 30 * mm, 40 * mm]))
    else:
        story.append(Paragraph(_("none recorded"), body))
    story.append(Paragraph(_("Buildings"), head))
    if data["buildings"]:
        story.append(table([[_("Building id"), _("KŚT"), _("Storeys"), _("Built-up area")]]
                           + [[b["building_id"], _fmt(b["kind"]), _fmt(b["storeys_above"]),
                               formats.area(b["built_up_area_m2"])] for b in data["buildings"]],
                           [70 * mm, 20 * mm, 25 * mm, 40 * mm]))
    else:
        story.append(Paragraph(_("none recorded"), body))
    if data["owners"] is not None:
        story.append(Paragraph(_("Owners and holders"), head))
        if data["owners"]:
            story.append(table([[_("Name"), _("Right"), _("Share")]]
                               + [[o["name"], o["kind"], _fmt(o["share"])]
                                  for o in data["owners"]], [95 * mm, 35 * mm, 30 * mm]))
        else:
            story.append(Paragraph(_("none recorded"), body))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(_("Generated %(when)s by %(user)s from geogmina.")
                           % {"when": formats.datetime(timezone.now()),
                              "user": user_name}, body))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"{parcel.cadastral_id}", author="geogmina")
    doc.build(story)
    return out.getvalue()


def dossier_response(request: HttpRequest, parcel_id: int) -> HttpResponse:
    """The PDF for a parcel of a municipality where the user may view the map (else 404)."""
    data = parcel_card_data(request.user, parcel_id,
                            purpose=Note(gettext_noop("parcel dossier (PDF)")))
    if data is None or data["level"] != "detail":
        raise Http404(_("No such parcel"))
    parcel = Parcel.objects.select_related("precinct", "municipality").get(pk=parcel_id)
    audit(request.user, AuditAction.EXPORT, "parcel", parcel.cadastral_id,
          municipality_id=parcel.municipality_id, detail=Note(gettext_noop("parcel dossier (PDF)")))
    data = dossier_fields(data)
    pdf = dossier_pdf(parcel, data, request.user.get_username())
    response = HttpResponse(pdf, content_type="application/pdf")
    safe = parcel.cadastral_id.replace("/", "_")
    response["Content-Disposition"] = f'inline; filename="dossier-{safe}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
