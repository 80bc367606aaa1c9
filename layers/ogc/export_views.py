"""Geo exports (GeoPackage, zipped Shapefile, CSV, XLSX) of collections and parcel lists.

Exports need ``EXPORT_DATA`` and contain only rows of the municipalities where the user holds
it (and, for a protected collection, its own capability too). Every export is audited.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers.exports import (
    GEO_EXPORT_FORMATS,
    GeoExport,
    queryset_geodataframe,
    write_geo_export,
)
from layers.models import Parcel
from layers.ogc import features as F
from layers.ogc.registry import get_collection
from layers.selectors import search_parcel_ids

MAX_EXPORT_ROWS = 200_000

PARCEL_COLUMNS = (
    ("cadastral_id", "cadastral_id"), ("number", "number"), ("precinct", "precinct__teryt"),
    ("sheet", "sheet"), ("legal_area_m2", "legal_area_m2"), ("geom_area_m2", "geom_area_m2"),
    ("municipality", "municipality__teryt"),
)


def _download(export: GeoExport) -> HttpResponse:
    response = HttpResponse(export.data, content_type=export.mime)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Export-CRS"] = "EPSG:2180"
    if export.warnings:
        # also inside the file (README.txt in the zip, the "about" sheet of the workbook)
        text = " | ".join(export.warnings)
        response["X-Export-Warnings"] = text.encode("ascii", "backslashreplace").decode()[:4000]
    return response


def _bad(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_safe
@access(Capability.EXPORT_DATA, description="export a collection (gpkg, shp, csv, xlsx; EPSG:2180"
                                            "); own municipalities only; audited")
def collection_export(request: HttpRequest, collection_id: str, fmt: str) -> HttpResponse:
    if fmt not in GEO_EXPORT_FORMATS:
        return _bad(f"format {fmt!r} not offered; use {', '.join(GEO_EXPORT_FORMATS)}")
    collection = get_collection(collection_id)
    if collection is None:
        return _bad(f"no collection {collection_id!r}", 404)
    allowed = municipality_ids(request.user, Capability.EXPORT_DATA)
    if not collection.public:
        allowed &= municipality_ids(request.user, collection.capability)
        if not allowed:
            return _bad(f"collection {collection_id!r} needs {collection.capability}", 403)
    try:
        bbox = F.parse_bbox(request.GET.get("bbox"), request.GET.get("bbox-crs"))
    except F.RequestError as exc:
        return _bad(str(exc))
    qs = collection.queryset().filter(**{f"{collection.municipality_field}__in": allowed})
    if bbox is not None:
        qs = qs.filter(**{f"{collection.geometry_field}__intersects": bbox})
    count = qs.count()
    if count > MAX_EXPORT_ROWS:
        return _bad(f"{count} features: more than {MAX_EXPORT_ROWS}; narrow it with bbox")
    gdf = queryset_geodataframe(qs.order_by("pk"),
                                [(p.name, p.source) for p in collection.properties],
                                collection.geometry_field)
    export = write_geo_export(gdf, fmt, collection.id.replace("-", "_"))
    detail = Note(gettext_noop("features: %(count)s as %(format)s; %(query)s"), count=count,
                  format=fmt, query=request.GET.urlencode())
    # one event per municipality in the export's scope, so each town's administrator sees it
    for muni in sorted(allowed):
        audit(request.user, AuditAction.EXPORT, f"ogc:{collection.id}", "",
              municipality_id=muni, detail=detail)
        if collection.audit_action:
            audit(request.user, collection.audit_action, f"ogc:{collection.id}", "",
                  municipality_id=muni, detail=detail)
    return _download(export)


@require_safe
@access(Capability.EXPORT_DATA, description="export parcel search results (ids= or q=) as gpkg, "
                                            "shp, csv or xlsx; own municipalities; audited")
def parcel_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in GEO_EXPORT_FORMATS:
        return _bad(f"format {fmt!r} not offered; use {', '.join(GEO_EXPORT_FORMATS)}")
    allowed = municipality_ids(request.user, Capability.EXPORT_DATA)
    qs = Parcel.objects.filter(retired_at__isnull=True, municipality_id__in=allowed)
    raw_ids, q = request.GET.get("ids", ""), request.GET.get("q", "").strip()
    if raw_ids:
        try:
            ids = [int(v) for v in raw_ids.split(",") if v.strip()]
        except ValueError:
            return _bad("ids must be comma-separated integers")
        qs = qs.filter(pk__in=ids)
    elif q:
        if len(q) > 200:
            return _bad("q is too long (at most 200 characters)")
        # the very selector of the map's search: what the map finds is what the file holds
        found, _kind, total = search_parcel_ids(request.user, q, MAX_EXPORT_ROWS + 1)
        if total > MAX_EXPORT_ROWS:
            return _bad(f"{total} parcels: more than {MAX_EXPORT_ROWS}")
        qs = qs.filter(pk__in=found)
    else:
        return _bad("give ids=1,2,3 (search results) or q=<the search, as on the map>")
    count = qs.count()
    if count > MAX_EXPORT_ROWS:
        return _bad(f"{count} parcels: more than {MAX_EXPORT_ROWS}")
    gdf = queryset_geodataframe(qs.order_by("cadastral_id"), PARCEL_COLUMNS)
    export = write_geo_export(gdf, fmt, "parcels")
    for muni in sorted(allowed):  # one event per municipality in scope (each admin sees it)
        audit(request.user, AuditAction.EXPORT, "parcel", "", municipality_id=muni,
              detail=Note(gettext_noop("parcels: %(count)s as %(format)s; %(query)s"), count=count,
                          format=fmt, query=request.GET.urlencode()[:500]))
    return _download(export)
