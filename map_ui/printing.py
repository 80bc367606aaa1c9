"""The map print: a PDF rendered on the server from the data the tiles serve and the app's rasters.

``GET /map/print.pdf?paper=A4|A3&orientation=portrait|landscape&scale=500..25000&center=E,N
&layers=a,b&base=<base map key>&title=…&author=…`` (centre in EPSG:2180, easting then northing).

The page is drawn in EPSG:2180, so the scale is the scale (1 mm on paper = ``scale`` mm on the
ground, up to the projection's scale factor). Each layer is read through its own tile function
(the SQL the map's tiles come from, with the same access: protected attributes and layers only
where the viewer holds the layer's capability, reads of audited layers written to the audit
log), at the zoom whose tile grid is finer than 0.1 mm on paper; the tiles' geometries are
transformed from Web Mercator to EPSG:2180 and each tile is clipped to its own square, so no
tile seams show. The base map is cut straight from the orthophoto COG (stored in EPSG:2180: no
warping) or shaded from the elevation model, at 200 dpi. Styles come from the map's own layer
styles (``map_ui.views.layer_style``), palettes included, and the legend names every class.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe
from pyproj import Transformer

from gis_app.accounts.access import access, municipality_ids
from gis_app.audit.log import Note, audit
from layers import formats
from layers.tiles.registry import TileLayer, tile_layer, visible_tile_layers
from layers.tiles.views import render_tile

PAPERS_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}  # portrait width, height
ORIENTATIONS = ("portrait", "landscape")
MIN_SCALE, MAX_SCALE = 500, 25_000
MARGIN_MM = 10.0
TITLE_MM = 14.0
PANEL_MM = 42.0  # legend, scale bar, north arrow, date, author, sources under the map
RASTER_DPI = 200
MAX_TILES_PER_LAYER = 256  # beyond it the layer is left out at this scale, and the legend says so
MVT_EXTENT = 4096
WEB_MERCATOR_HALF = 20037508.342789244
# PL-1992 where it is used (eastings and northings of Poland with a margin)
EASTING_RANGE = (100_000.0, 900_000.0)
NORTHING_RANGE = (100_000.0, 800_000.0)

_TO_2180 = Transformer.from_crs(3857, 2180, always_xy=True)
TO_4326 = Transformer.from_crs(2180, 4326, always_xy=True)
_MM = 72.0 / 25.4  # PDF points per millimetre


class PrintRequestError(ValueError):
    """A bad parameter (HTTP 400); the message names it."""


class PrintForbidden(PermissionError):
    """A layer the viewer may not see (HTTP 403)."""


@dataclass
class PrintRequest:
    paper: str
    orientation: str
    scale: int
    center: tuple[float, float]  # easting, northing (EPSG:2180)
    layers: list[TileLayer]
    base: str
    title: str
    author: str

    @property
    def page_mm(self) -> tuple[float, float]:
        w, h = PAPERS_MM[self.paper]
        return (w, h) if self.orientation == "portrait" else (h, w)

    @property
    def map_mm(self) -> tuple[float, float]:
        w, h = self.page_mm
        return w - 2 * MARGIN_MM, h - 2 * MARGIN_MM - TITLE_MM - PANEL_MM

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the map frame in EPSG:2180 metres."""
        w_mm, h_mm = self.map_mm
        half_w, half_h = w_mm / 2000 * self.scale, h_mm / 2000 * self.scale
        e, n = self.center
        return e - half_w, n - half_h, e + half_w, n + half_h


def parse_print_request(params: Any, user: Any) -> PrintRequest:
    """Validate the query; every error names the parameter and what it accepts."""
    paper = (params.get("paper") or "A4").upper()
    if paper not in PAPERS_MM:
        raise PrintRequestError(_("paper must be A4 or A3, got %(value)r") % {"value": paper})
    orientation = (params.get("orientation") or "portrait").lower()
    if orientation not in ORIENTATIONS:
        raise PrintRequestError(_("orientation must be portrait or landscape, got %(value)r")
                                % {"value": orientation})
    raw_scale = (params.get("scale") or "").replace(" ", "").replace("1:", "", 1)
    if not raw_scale.isdigit() or not MIN_SCALE <= int(raw_scale) <= MAX_SCALE:
        raise PrintRequestError(_("scale must be a whole number from %(low)s to %(high)s "
                                  "(1:500 … 1:25,000), got %(value)r")
                                % {"low": MIN_SCALE, "high": MAX_SCALE,
                                   "value": params.get("scale", "")})
    parts = (params.get("center") or "").split(",")
    try:
        easting, northing = (float(p) for p in parts)
    except ValueError:
        raise PrintRequestError(_("center must be E,N in EPSG:2180 (easting, then northing), "
                                  "got %(value)r") % {"value": params.get("center", "")}) \
            from None
    if not (EASTING_RANGE[0] <= easting <= EASTING_RANGE[1]
            and NORTHING_RANGE[0] <= northing <= NORTHING_RANGE[1]):
        raise PrintRequestError(_("center %(e)s,%(n)s lies outside Poland in EPSG:2180 "
                                  "(easting first, then northing)") % {"e": easting, "n": northing})
    visible = {layer.name for layer in visible_tile_layers(user)}
    layers = []
    for name in [n.strip() for n in (params.get("layers") or "").split(",") if n.strip()]:
        layer = tile_layer(name)
        if layer is None:
            raise PrintRequestError(_("unknown layer %(name)r") % {"name": name})
        if name not in visible:
            raise PrintForbidden(_("the layer %(name)r needs the capability %(cap)s")
                                 % {"name": name, "cap": layer.detail_capability})
        if layer not in layers:
            layers.append(layer)
    base = params.get("base") or "plain"
    from map_ui.basemaps import all_base_maps

    bases = {b.key: b for b in all_base_maps()}
    if base not in bases:
        raise PrintRequestError(_("unknown base map %(name)r; use one of %(names)s")
                                % {"name": base, "names": ", ".join(sorted(bases))})
    if bases[base].online:
        raise PrintRequestError(_("the base map %(name)r needs the internet; print on the "
                                  "app's own base maps") % {"name": base})
    title = (params.get("title") or "").strip()
    author = (params.get("author") or "").strip()
    if len(title) > 200 or len(author) > 100:
        raise PrintRequestError(_("title (at most 200 characters) or author (at most 100) "
                                  "too long"))
    if not author and getattr(user, "is_authenticated", False):
        author = user.get_full_name() or user.get_username()
    return PrintRequest(paper, orientation, int(raw_scale), (easting, northing), layers, base,
                        title or _("Map"), author)


# --- data ---------------------------------------------------------------------------------------

def print_zoom(scale: int, lat: float, layer: TileLayer) -> int:
    """The zoom whose tile grid (4096 units a tile) is finer than 0.1 mm on paper, within the
    layer's zooms."""
    wanted_m = 0.0001 * scale
    z = math.ceil(math.log2(2 * WEB_MERCATOR_HALF * math.cos(math.radians(lat))
                            / (MVT_EXTENT * wanted_m)))
    return min(max(z, layer.min_zoom), min(layer.max_zoom, 20))


def tile_range(extent: tuple[float, float, float, float], z: int
                ) -> tuple[range, range]:
    xs, ys = TO_4326.transform([extent[0], extent[2], extent[0], extent[2]],
                                [extent[1], extent[1], extent[3], extent[3]])
    n = 2 ** z

    def tx(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180.0) / 360.0 * n)))

    def ty(lat: float) -> int:
        return min(n - 1, max(0, int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi)
                                     / 2.0 * n)))

    return range(tx(min(xs)), tx(max(xs)) + 1), range(ty(max(ys)), ty(min(ys)) + 1)


@dataclass
class DrawnTile:
    clip: np.ndarray  # the tile's square in EPSG:2180 (4 corners, E/N)
    features: list[tuple[dict[str, Any], str, list[list[np.ndarray]]]]
    # (properties, "polygon" | "line" | "point", parts: each a list of rings as (n, 2) arrays)


@dataclass
class LayerData:
    layer: TileLayer
    zoom: int
    tiles: list[DrawnTile] = field(default_factory=list)
    skipped: bool = False  # too many tiles at this scale
    values: set[str] = field(default_factory=set)  # values of the style's "by" attribute


def _to_2180(coords: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    size = 2 * WEB_MERCATOR_HALF / 2 ** z
    west, north = -WEB_MERCATOR_HALF + x * size, WEB_MERCATOR_HALF - y * size
    mx = west + coords[:, 0] / MVT_EXTENT * size
    my = north - coords[:, 1] / MVT_EXTENT * size
    e, n = _TO_2180.transform(mx, my)
    return np.column_stack([e, n])


def _parts(geometry: dict[str, Any]) -> tuple[str, list[list[list[float]]]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        return "polygon", [coords]
    if kind == "MultiPolygon":
        return "polygon", list(coords)
    if kind == "LineString":
        return "line", [[coords]]
    if kind == "MultiLineString":
        return "line", [[c] for c in coords]
    if kind == "Point":
        return "point", [[[coords]]]
    if kind == "MultiPoint":
        return "point", [[[c]] for c in coords]
    return "", []


def layer_data(layer: TileLayer, extent: tuple[float, float, float, float], scale: int,
               allowed: list[int], by: str | None) -> LayerData:
    """The layer's features in the extent, read through its tile function as the map's tiles."""
    import mapbox_vector_tile

    lat = TO_4326.transform((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)[1]
    z = print_zoom(scale, lat, layer)
    xs, ys = tile_range(extent, z)
    data = LayerData(layer, z)
    if len(xs) * len(ys) > MAX_TILES_PER_LAYER:
        data.skipped = True
        return data
    for x in xs:
        for y in ys:
            _etag, blob = render_tile(layer, z, x, y, allowed)
            square = _to_2180(np.array([[0, 0], [MVT_EXTENT, 0], [MVT_EXTENT, MVT_EXTENT],
                                        [0, MVT_EXTENT]], dtype=float), z, x, y)
            tile = DrawnTile(square, [])
            decoded = mapbox_vector_tile.decode(
                blob, default_options={"y_coord_down": True}) if blob else {}
            pending = []  # every ring of the tile, transformed in one call
            for feature in decoded.get(layer.name, {}).get("features", []):
                kind, parts = _parts(feature["geometry"])
                if not kind:
                    continue
                props = feature.get("properties", {})
                if by and props.get(by) is not None:
                    data.values.add(str(props[by]))
                rings = [[np.asarray(ring, dtype=float).reshape(-1, 2) for ring in part]
                         for part in parts]
                pending.append((props, kind, rings))
            flat = [ring for _p, _k, rings in pending for part in rings for ring in part]
            if flat:
                moved = _to_2180(np.concatenate(flat), z, x, y)
                cuts = np.cumsum([len(r) for r in flat])[:-1]
                it = iter(np.split(moved, cuts))
                for props, kind, rings in pending:
                    tile.features.append((props, kind, [[next(it) for _r in part]
                                                        for part in rings]))
            data.tiles.append(tile)
    return data


def base_image(base: str, extent: tuple[float, float, float, float], size_px: tuple[int, int]
               ) -> tuple[Any, str] | None:
    """(PIL image, attribution) of a raster base map over the extent, or None (plain)."""
    import rasterio
    from PIL import Image
    from rasterio.windows import from_bounds

    from layers.rasters.models import Raster
    from layers.rasters.render import hillshade

    shaded = base.endswith("-hillshade")
    raster = Raster.objects.filter(name=base.removesuffix("-hillshade") if shaded else base) \
        .first()
    if raster is None or not raster.path.is_file():
        return None
    w, h = size_px
    with rasterio.open(raster.path) as ds:
        window = from_bounds(*extent, transform=ds.transform)
        if shaded:
            heights = ds.read(1, window=window, out_shape=(h, w), boundless=True,
                              fill_value=0, masked=False).astype(np.float64)
            pixel_m = (extent[2] - extent[0]) / w
            shade = hillshade(heights, pixel_m)
            grey = (shade * 200 + 40).astype(np.uint8)
            image = Image.fromarray(np.dstack([grey, grey, grey]), "RGB")
        else:
            bands = [1, 1, 1] if ds.count == 1 else [1, 2, 3]
            rgb = ds.read(bands, window=window, out_shape=(3, h, w), boundless=True,
                          fill_value=255)
            image = Image.fromarray(np.moveaxis(rgb, 0, -1).astype(np.uint8), "RGB")
    return image, raster.attribution or raster.label or raster.name


# --- drawing ------------------------------------------------------------------------------------

def _rgb(value: Any, default: str = "#333333") -> tuple[float, float, float]:
    text = str(value or default).lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return _rgb(default)


def palette_entries(style: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(value, colour, label) of a style's palette; pairs name the class by its value."""
    out = []
    for entry in style.get("palette", ()):
        value, colour, *rest = entry
        out.append((str(value), str(colour), str(rest[0]) if rest else str(value)))
    return out


def _feature_style(style: dict[str, Any], props: dict[str, Any],
                   palette: dict[str, str]) -> dict[str, Any]:
    s = dict(style)
    by = style.get("by")
    if by and str(props.get(by)) in palette:
        s["color"] = s["fillColor"] = palette[str(props.get(by))]
    return s


def _draw_layer(c: Any, data: LayerData, style: dict[str, Any], to_page: Any) -> int:
    """Draw one layer's tiles; returns the number of features drawn."""
    palette = {v: colour for v, colour, _label in palette_entries(style)}
    drawn = 0
    for tile in data.tiles:
        if not tile.features:
            continue
        c.saveState()
        clip = c.beginPath()
        pts = to_page(tile.clip)
        clip.moveTo(*pts[0])
        for p in pts[1:]:
            clip.lineTo(*p)
        clip.close()
        c.clipPath(clip, stroke=0, fill=0)
        for props, kind, parts in tile.features:
            s = _feature_style(style, props, palette)
            stroke = _rgb(s.get("color"))
            fill = _rgb(s.get("fillColor", s.get("color")))
            c.setStrokeColorRGB(*stroke, alpha=float(s.get("opacity", 1.0)))
            c.setLineWidth(max(0.25, float(s.get("weight", 1)) * 0.75))
            dash = str(s.get("dashArray") or "").replace(",", " ").split()
            c.setDash([float(d) * 0.75 for d in dash] if dash else [])
            do_fill = bool(s.get("fill", kind == "polygon")) and kind != "line"
            c.setFillColorRGB(*fill, alpha=float(s.get("fillOpacity", 0.2)))
            for rings in parts:
                if kind == "point":
                    x, y = to_page(rings[0])[0]
                    c.circle(x, y, 2.2, stroke=1, fill=1)
                    continue
                path = c.beginPath()
                for ring in rings:
                    page = to_page(ring)
                    if len(page) < 2:
                        continue
                    path.moveTo(*page[0])
                    for p in page[1:]:
                        path.lineTo(*p)
                    if kind == "polygon":
                        path.close()
                c.drawPath(path, stroke=1, fill=1 if do_fill else 0, fillMode=0)
            drawn += 1
        c.restoreState()
    return drawn


def _scale_bar_length(ground_m: float) -> float:
    """A round length (1, 2, 5 × 10^k m) close to a quarter of the map's width."""
    target = ground_m / 4
    k = 10 ** math.floor(math.log10(target))
    return max(v * k for v in (1, 2, 5) if v * k <= target)


def render_pdf(req: PrintRequest, user: Any) -> bytes:
    """The PDF of the request for this viewer (the caller checked the layers' access)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from layers.rasters.dossier import _fonts
    from map_ui.views import LAYER_LABELS, layer_style

    regular, bold = _fonts()
    page_w, page_h = req.page_mm
    map_w, map_h = req.map_mm
    x0, y0 = MARGIN_MM * _MM, (MARGIN_MM + PANEL_MM) * _MM  # the map frame's lower left
    fw, fh = map_w * _MM, map_h * _MM
    west, south, east, north = req.extent
    k = fw / (east - west)

    def to_page(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([x0 + (coords[:, 0] - west) * k,
                                y0 + (coords[:, 1] - south) * k])

    from reportlab import rl_config

    # binary streams: reportlab's pure-Python ASCII85 took 30 s for an A3 orthophoto
    rl_config.useA85 = 0
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(page_w * _MM, page_h * _MM))
    c.setTitle(req.title)
    c.setAuthor(req.author)
    c.setSubject(f"1:{req.scale} EPSG:2180")
    c.setCreator("geogmina")
    # title
    c.setFont(bold, 15)
    c.drawString(x0, (page_h - MARGIN_MM) * _MM - 14, req.title)
    # base map
    sources = [_("Cadastre (EGiB) and registers of the municipality: geogmina")]
    c.saveState()
    frame = c.beginPath()
    frame.rect(x0, y0, fw, fh)
    c.clipPath(frame, stroke=0, fill=0)
    size_px = (max(1, round(map_w / 25.4 * RASTER_DPI)), max(1, round(map_h / 25.4 * RASTER_DPI)))
    base = base_image(req.base, req.extent, size_px) if req.base != "plain" else None
    if base is not None:
        image, attribution = base
        jpeg = io.BytesIO()  # embedded as it is (DCT): small and fast, where raw RGB was not
        image.save(jpeg, "JPEG", quality=85)
        jpeg.seek(0)
        c.drawImage(ImageReader(jpeg), x0, y0, fw, fh)
        sources.append(attribution)
    else:
        c.setFillColorRGB(0.97, 0.97, 0.96)
        c.rect(x0, y0, fw, fh, stroke=0, fill=1)
    # layers, in the map's order
    legend: list[tuple[str, dict[str, Any], list[tuple[str, str, str]], str]] = []
    all_layers = visible_tile_layers(user)
    for layer in req.layers:
        index = all_layers.index(layer) if layer in all_layers else 0
        style = layer_style(layer, index)
        allowed = (sorted(municipality_ids(user, layer.detail_capability))
                   if getattr(user, "is_authenticated", False) and layer.detail_capability
                   else [])
        data = layer_data(layer, req.extent, req.scale, allowed, style.get("by"))
        if allowed and layer.audit_reads and not data.skipped:
            for mid in allowed:
                audit(user, layer.audit_reads, "tile_layer", layer.name, municipality_id=mid,

                      detail=Note(gettext_noop("map print 1:%(scale)s at %(x)s, %(y)s "
                                                   "(zoom %(zoom)s)"),
                                  scale=req.scale, x=round(req.center[0]), y=round(req.center[1]),
                                  zoom=data.zoom))
        _draw_layer(c, data, style, to_page)
        label = str(LAYER_LABELS.get(layer.name) or _(str(layer.label)) or layer.name)
        classes = [e for e in palette_entries(style) if e[0] in data.values]
        legend.append((label, style, classes,
                       _("not drawn at this scale") if data.skipped else ""))
    c.restoreState()
    c.setStrokeColorRGB(0, 0, 0)
    c.setLineWidth(0.8)
    c.setDash([])
    c.rect(x0, y0, fw, fh, stroke=1, fill=0)
    # frame coordinates (EPSG:2180, X = northing, Y = easting: the Polish convention)
    c.setFont(regular, 6)
    c.setFillColorRGB(0, 0, 0)
    def xy(x: float, y: float) -> str:
        return f"X={formats.number(round(x))} Y={formats.number(round(y))}"

    c.drawString(x0, y0 + fh + 2, xy(north, west))
    c.drawRightString(x0 + fw, y0 - 7, xy(south, east))
    _draw_panel(c, req, legend, sources, regular, bold, (east - west))
    c.showPage()
    c.save()
    return out.getvalue()


def _draw_panel(c: Any, req: PrintRequest, legend: list, sources: list[str], regular: str,
                bold: str, ground_w: float) -> None:
    page_w, _page_h = req.page_mm
    left = MARGIN_MM * _MM
    top = (MARGIN_MM + PANEL_MM) * _MM - 18
    # legend: a swatch per layer and per class shown on the map
    c.setFont(bold, 8)
    c.setFillColorRGB(0, 0, 0, alpha=1)
    c.setStrokeColorRGB(0, 0, 0, alpha=1)
    c.drawString(left, top, _("Legend"))
    y = top - 11
    col_w = 62 * _MM
    x = left
    for label, style, classes, note in legend:
        rows = [(label + (f" ({note})" if note else ""), style)] + [
            (f"   {cls_label}", {**style, "color": colour, "fillColor": colour})
            for _v, colour, cls_label in classes]
        for text, s in rows:
            if y < MARGIN_MM * _MM + 4:
                y, x = top - 11, x + col_w
            if x > (page_w - MARGIN_MM - 60) * _MM:
                break
            c.setStrokeColorRGB(*_rgb(s.get("color")))
            c.setFillColorRGB(*_rgb(s.get("fillColor", s.get("color"))),
                              alpha=max(0.25, float(s.get("fillOpacity", 0.3))))
            c.setLineWidth(1)
            c.rect(x, y - 1, 14, 7, stroke=1, fill=1)
            c.setFillColorRGB(0, 0, 0, alpha=1)
            c.setFont(regular, 7)
            c.drawString(x + 18, y, text[:60])
            y -= 10
    if not legend:
        c.setFont(regular, 7)
        c.drawString(left, y, _("no layers"))
    # right column: scale, scale bar, north arrow, date, author, sources
    right = (page_w - MARGIN_MM) * _MM
    c.setFillColorRGB(0, 0, 0, alpha=1)
    c.setStrokeColorRGB(0, 0, 0, alpha=1)
    c.setFont(bold, 9)
    c.drawRightString(right, top, f"{_('Scale')} 1:{formats.number(req.scale)}")
    length = _scale_bar_length(ground_w)
    bar = length / ground_w * req.map_mm[0] * _MM
    bx, by = right - bar, top - 16
    for i in range(4):
        c.setFillColorRGB(*((0, 0, 0) if i % 2 == 0 else (1, 1, 1)))
        c.setStrokeColorRGB(0, 0, 0)
        c.rect(bx + i * bar / 4, by, bar / 4, 4, stroke=1, fill=1)
    c.setFillColorRGB(0, 0, 0)
    c.setFont(regular, 6.5)
    c.drawCentredString(bx, by - 8, "0")
    unit = f"{formats.number(int(length))} m" if length < 1000 else \
        f"{formats.number(length / 1000)} km"
    c.drawCentredString(right, by - 8, unit)
    # north arrow (grid north of EPSG:2180 is up)
    ax, ay = right - bar - 28, top - 30
    arrow = c.beginPath()
    arrow.moveTo(ax, ay + 22)
    arrow.lineTo(ax - 6, ay)
    arrow.lineTo(ax, ay + 6)
    arrow.lineTo(ax + 6, ay)
    arrow.close()
    c.drawPath(arrow, stroke=1, fill=1)
    c.setFont(bold, 8)
    c.drawCentredString(ax, ay + 25, "N")
    c.setFont(regular, 7)
    lines = [
        f"{_('Date')}: {formats.date(timezone.localdate())}",
        f"{_('Author')}: {req.author or '—'}",
        f"{_('Coordinate system')}: PL-1992 (EPSG:2180)",
        f"{_('Data sources')}: {'; '.join(sources)}",
    ]
    ty = by - 22
    for line in lines:
        c.drawRightString(right, ty, line[:110])
        ty -= 9


# --- the view -----------------------------------------------------------------------------------

@require_safe
@access(public=True, description="map print (PDF, A4/A3, 1:500–1:25,000) rendered on the "
                                 "server; only layers the viewer may see, as the tiles")
def map_print(request: HttpRequest) -> HttpResponse:
    try:
        req = parse_print_request(request.GET, request.user)
    except PrintRequestError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except PrintForbidden as exc:
        status = 403 if request.user.is_authenticated else 401
        return JsonResponse({"error": str(exc)}, status=status)
    pdf = render_pdf(req, request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="map.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
