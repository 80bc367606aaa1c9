"""OGC API – Features (Part 1 Core + GeoJSON + OpenAPI 3.0, Part 2 CRS), JSON only.

Public collections are open to all. A protected collection needs its capability: clients log
in with the session cookie (the browser) or HTTP Basic with the same Django users (QGIS, GDAL,
OWSLib); the public gets 401 with a Basic challenge, a user without the capability 403, and a
user with it sees only the rows of the municipalities where they hold it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.basic_auth import authenticate_basic
from gis_app.audit.log import Note, audit
from layers.domain.srid import STORAGE_SRID
from layers.ogc import features as F
from layers.ogc.openapi import openapi_document
from layers.ogc.registry import Collection, collections, get_collection

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
RULE = ("OGC API – Features; public collections open to all, protected ones need their "
        "capability (session or HTTP Basic), rows scoped to the user's municipalities")


def _json(data: Any, content_type: str = JSON, status: int = 200, **headers: str
          ) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                            content_type=content_type)
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _error(status: int, code: str, message: str) -> HttpResponse:
    response = _json({"code": code, "description": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="geogmina", charset="UTF-8"'
    return response


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc/").rstrip("/")


def _basic_auth(request: HttpRequest) -> HttpResponse | None:
    """HTTP Basic over the same Django users, per request (no session is created).

    A client sends the header with every page: the password hasher runs on the first request
    and then once per GEOGMINA_BASIC_AUTH_CACHE_SECONDS (gis_app.accounts.basic_auth).
    """
    header = request.headers.get("authorization", "")
    if request.user.is_authenticated or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        username, _, password = raw.partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return _error(401, "InvalidCredentials", "malformed HTTP Basic credentials")
    user = authenticate_basic(request, username, password)
    if user is None:
        return _error(401, "InvalidCredentials", "wrong user name or password")
    request.user = user
    return None


def _f_param(request: HttpRequest) -> HttpResponse | None:
    f = request.GET.get("f", "json")
    if f not in ("json", "geojson", "application/json", "application/geo+json"):
        return _error(400, "InvalidParameterValue", f"format f={f!r} not offered; use f=json")
    return None


def _resolve(request: HttpRequest, collection_id: str
             ) -> tuple[Collection | None, set[int] | None, HttpResponse | None]:
    """The collection, the municipalities the user may read in it, or an error response."""
    collection = get_collection(collection_id)
    if collection is None:
        return None, None, _error(404, "NotFound", f"no collection {collection_id!r}")
    if collection.public:
        return collection, None, None
    if not request.user.is_authenticated:
        return None, None, _error(401, "Unauthorized",
                                  f"collection {collection_id!r} needs a login")
    ids = municipality_ids(request.user, collection.capability)
    if not ids:
        return None, None, _error(403, "Forbidden", f"collection {collection_id!r} needs the "
                                                    f"capability {collection.capability}")
    return collection, ids, None


def _visible(request: HttpRequest) -> list[Collection]:
    return [c for c in collections()
            if c.public or (request.user.is_authenticated
                            and municipality_ids(request.user, c.capability))]


@require_safe
@access(public=True, description=RULE + ": landing page")
def landing(request: HttpRequest) -> HttpResponse:
    denied = _basic_auth(request) or _f_param(request)
    if denied:
        return denied
    base = _base(request)
    return _json({
        "title": "geogmina – OGC API Features",
        "description": "Cadastral parcels, buildings, land uses and municipal zones.",
        "links": [
            {"href": f"{base}/", "rel": "self", "type": JSON, "title": "this document"},
            {"href": f"{base}/api", "rel": "service-desc", "type": OPENAPI,
             "title": "the API definition"},
            {"href": f"{base}/conformance", "rel": "conformance", "type": JSON,
             "title": "conformance classes"},
            {"href": f"{base}/collections", "rel": "data", "type": JSON,
             "title": "feature collections"},
        ],
    })


@require_safe
@access(public=True, description=RULE + ": conformance classes")
def conformance(request: HttpRequest) -> HttpResponse:
    return _f_param(request) or _json({"conformsTo": CONFORMANCE})


@require_safe
@access(public=True, description=RULE + ": OpenAPI 3.0 definition")
def api(request: HttpRequest) -> HttpResponse:
    denied = _basic_auth(request)
    if denied:
        return denied
    return _json(openapi_document(_base(request), _visible(request)), OPENAPI)


def _collection_doc(base: str, c: Collection) -> dict[str, Any]:
    bbox = F.extent_crs84(c)
    doc: dict[str, Any] = {
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "links": [
            {"href": f"{base}/collections/{c.id}", "rel": "self", "type": JSON},
            {"href": f"{base}/collections/{c.id}/items", "rel": "items", "type": GEOJSON,
             "title": "features"},
        ],
        "crs": F.supported_crs(),
        "storageCrs": F.crs_uri(STORAGE_SRID),
    }
    if bbox:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": F.CRS84}}
    if c.keywords:
        doc["keywords"] = list(c.keywords)
    return doc


@require_safe
@access(public=True, description=RULE + ": the collections the user may read")
def collection_list(request: HttpRequest) -> HttpResponse:
    denied = _basic_auth(request) or _f_param(request)
    if denied:
        return denied
    base = _base(request)
    return _json({
        "links": [{"href": f"{base}/collections", "rel": "self", "type": JSON}],
        "collections": [_collection_doc(base, c) for c in _visible(request)],
        "crs": F.supported_crs(),
    })


@require_safe
@access(public=True, description=RULE + ": one collection's metadata")
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    denied = _basic_auth(request) or _f_param(request)
    if denied:
        return denied
    c, _, error = _resolve(request, collection_id)
    return error or _json(_collection_doc(_base(request), c))


def _audit_read(request: HttpRequest, c: Collection, ids: set[int] | None, count: int,
                detail: Note) -> None:
    if c.audit_action and count:
        # one event per municipality in the read's scope, so each town's administrator sees it
        for mid in sorted(ids) if ids else [None]:
            audit(request.user, c.audit_action, f"ogc:{c.id}", "", municipality_id=mid,
                  detail=Note(gettext_noop("features via OGC API: %(count)s; %(what)s"),
                              count=count, what=detail))


@require_safe
@access(public=True, description=RULE + ": features (bbox, limit/offset paging, crs)")
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    denied = _basic_auth(request) or _f_param(request)
    if denied:
        return denied
    c, ids, error = _resolve(request, collection_id)
    if error:
        return error
    known = {"f", "bbox", "bbox-crs", "limit", "offset", "crs"}
    unknown = sorted(set(request.GET) - known)
    if unknown:
        return _error(400, "InvalidParameterValue", f"unknown parameter(s): {', '.join(unknown)}")
    try:
        srid = F.parse_crs(request.GET.get("crs"))
        bbox = F.parse_bbox(request.GET.get("bbox"), request.GET.get("bbox-crs"))
        limit, offset = F.parse_paging(request.GET.get("limit"), request.GET.get("offset"))
    except F.RequestError as exc:
        return _error(400, "InvalidParameterValue", str(exc))
    page = F.feature_page(c, ids, bbox=bbox, limit=limit, offset=offset, srid=srid)
    returned = len(page.features)
    base = f"{_base(request)}/collections/{c.id}/items"
    params = {k: v for k, v in request.GET.items() if k not in ("offset", "limit")}

    def link(rel: str, off: int) -> dict[str, str]:
        query = urlencode({**params, "limit": limit, "offset": off})
        return {"href": f"{base}?{query}", "rel": rel, "type": GEOJSON}

    links = [link("self", offset)]
    if offset + returned < page.matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    links.append({"href": f"{_base(request)}/collections/{c.id}", "rel": "collection",
                  "type": JSON})
    _audit_read(request, c, ids, returned,
                Note(gettext_noop("query %(query)s"), query=request.GET.urlencode()))
    stamp = json.dumps(timezone.now().isoformat())
    body = (f'{{"type":"FeatureCollection","numberMatched":{page.matched},'
            f'"numberReturned":{returned},"timeStamp":{stamp},"links":{json.dumps(links)},'
            f'"features":[{",".join(page.features)}]}}')
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = f"<{F.crs_uri(srid)}>"
    return response


@require_safe
@access(public=True, description=RULE + ": one feature")
def item(request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponse:
    denied = _basic_auth(request) or _f_param(request)
    if denied:
        return denied
    c, ids, error = _resolve(request, collection_id)
    if error:
        return error
    if not feature_id.isdigit() or len(feature_id) > 18:
        return _error(404, "NotFound", f"no feature {feature_id!r} in {collection_id!r}")
    try:
        srid = F.parse_crs(request.GET.get("crs"))
    except F.RequestError as exc:
        return _error(400, "InvalidParameterValue", str(exc))
    page = F.feature_page(c, ids, bbox=None, limit=1, offset=0, srid=srid, pk=int(feature_id))
    if not page.features:
        return _error(404, "NotFound", f"no feature {feature_id!r} in {collection_id!r}")
    _audit_read(request, c, ids, 1, Note(gettext_noop("feature %(id)s"), id=feature_id))
    base = _base(request)
    feature = json.loads(page.features[0])
    feature["links"] = [
        {"href": f"{base}/collections/{c.id}/items/{feature_id}", "rel": "self",
         "type": GEOJSON},
        {"href": f"{base}/collections/{c.id}", "rel": "collection", "type": JSON},
    ]
    response = _json(feature, GEOJSON)
    response["Content-Crs"] = f"<{F.crs_uri(srid)}>"
    return response


@access(public=True, description=RULE + ": any other path is a JSON 404 (an OGC exception)")
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, "NotFound", f"no such resource: {request.path}; start at "
                                   f"{_base(request)}/")
