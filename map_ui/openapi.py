"""The OpenAPI 3.0 description of the app's JSON endpoints, served at ``/api/openapi.json``.

Written by hand from the views so that schemathesis (tests/db/test_schemathesis_api.py) can hold
each endpoint to what it says: every status code a view can answer is listed, with the shape of
its body. The OGC API Features has its own description at ``/ogc/api``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access
from layers.domain.srid import STORAGE_SRID

ERROR = {"$ref": "#/components/schemas/Error"}
PARAM_ERROR = {"$ref": "#/components/schemas/ParamError"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, required: bool = False,
           schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


HTML_403 = {"description": "logged in without the needed capability",
            "content": {"text/html": {"schema": {"type": "string"}}}}
LOGIN_REDIRECT = {"description": "not logged in and the request did not ask for JSON: redirect "
                                 "to the login page",
                  "headers": {"Location": {"schema": {"type": "string"}}}}
NOT_LOGGED_IN = _json(ERROR, "not logged in (with Accept: application/json)")
POINT = [  # one axis convention (issue #17)
    _query("x", "X: the northing (the latitude with srid 4326, the default): the Polish "
                "convention of the whole app; give x with y, or e with n",
           schema={"type": "number"}),
    _query("y", "Y: the easting (the longitude with srid 4326)", schema={"type": "number"}),
    _query("e", "easting (longitude with srid 4326), instead of y", schema={"type": "number"}),
    _query("n", "northing (latitude with srid 4326), instead of x", schema={"type": "number"}),
    _query("srid", "EPSG code of the point: 4326 (default), 2180 or 2176–2179",
           schema={"type": "integer"}),
]
TERRAIN_POINT = [  # the same convention, in EPSG:2180 unless srid says otherwise
    _query("x", "X: the northing (the latitude with srid 4326): the Polish convention of the "
                "whole app; give x with y, or e with n", schema={"type": "number"}),
    _query("y", "Y: the easting (the longitude with srid 4326)", schema={"type": "number"}),
    _query("e", "easting (longitude with srid 4326), instead of y", schema={"type": "number"}),
    _query("n", "northing (latitude with srid 4326), instead of x", schema={"type": "number"}),
    _query("srid", "EPSG code of the point: 2180 (default), 2176–2179 or 4326",
           schema={"type": "integer"}),
]

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"],
              "properties": {"error": {"type": "string"}}},
    "ParamError": {"type": "object", "required": ["error", "parameter"],
                   "properties": {"error": {"type": "string"},
                                  "parameter": {"type": "string"}}},
    "SearchResult": {
        "type": "object",
        "required": ["id", "cadastral_id", "municipality_id", "kind", "label", "bbox"],
        "properties": {
            "id": {"type": "integer"}, "cadastral_id": {"type": "string"},
            "municipality_id": {"type": "integer"}, "kind": {"type": "string"},
            "label": {"type": "string"},
            "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4,
                     "maxItems": 4, "description": "west, south, east, north (WGS 84)"},
        },
    },
    "SearchOutcome": {
        "type": "object",
        "required": ["query", "kind", "message", "results", "count", "page", "pages"],
        "properties": {
            "query": {"type": "string"},
            "kind": {"type": "string",
                     "description": "what the query was read as: id, precinct_number, number, "
                                    "kw, text, empty, …"},
            "message": {"type": "string"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}},
            "count": {"type": "integer", "minimum": 0, "description": "every match"},
            "count_capped": {"type": "boolean",
                             "description": "true: count is a lower bound (free text is "
                                            "counted up to 100 matches: show it as 100+)"},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    },
    "ParcelRef": {"type": "object", "required": ["id", "cadastral_id"],
                  "properties": {"id": {"type": "integer"}, "cadastral_id": {"type": "string"}}},
    "Card": {
        "type": "object", "required": ["id", "cadastral_id", "level", "municipality"],
        "description": "the public gets ids and geometry only (level public); VIEW_MAP adds "
                       "details (level detail); owners is null unless the viewer holds "
                       "VIEW_OWNERS (audited); register sections only for logged-in users",
        "properties": {
            "id": {"type": "integer"}, "cadastral_id": {"type": "string"},
            "level": {"type": "string", "enum": ["public", "detail"]},
            "municipality": {"type": "object", "required": ["id"],
                             "properties": {"id": {"type": "integer"}}},
            "owners": {"type": "array", "nullable": True, "items": {"type": "object"}},
            "sections": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Fee": {
        "type": "object",
        "required": ["zone", "tariff", "total", "currency", "paid_minutes", "days"],
        "properties": {
            "zone": {"type": "object", "required": ["id", "code", "name", "city_centre"],
                     "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                    "name": {"type": "string"},
                                    "city_centre": {"type": "boolean"}}},
            "tariff": {"type": "object", "required": ["id", "resolution", "valid_from"],
                       "properties": {"id": {"type": "integer"},
                                      "resolution": {"type": "string"},
                                      "valid_from": {"type": "string", "format": "date"}}},
            "total": {"type": "string", "pattern": r"^\d+(\.\d+)?$",
                      "description": "decimal amount in PLN"},
            "currency": {"type": "string", "enum": ["PLN"]},
            "paid_minutes": {"type": "integer", "minimum": 0},
            "exemption": {"nullable": True},
            "days": {"type": "array", "items": {
                "type": "object",
                "required": ["date", "from", "to", "paid_minutes", "billed_minutes", "amount",
                             "hours"],
                "properties": {"date": {"type": "string", "format": "date"},
                               "from": {"type": "string"}, "to": {"type": "string"},
                               "paid_minutes": {"type": "integer"},
                               "billed_minutes": {"type": "integer"},
                               "amount": {"type": "string"},
                               "hours": {"type": "array", "items": {"type": "object"}}},
            }},
        },
    },
    "Zones": {
        "type": "object", "required": ["zones"],
        "properties": {"zones": {"type": "array", "items": {
            "type": "object", "required": ["id", "code", "name", "kind", "municipality",
                                           "tariff"],
            "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                           "name": {"type": "string"}, "kind": {"type": "string"},
                           "municipality": {"type": "string", "description": "TERYT"},
                           "tariff": {"type": "object", "nullable": True}},
        }}},
    },
    "Check": {
        "type": "object", "required": ["municipality"],
        "description": "the inspector's verdict on an object at a point, re-evaluated on the "
                       "server from the rules of the landscape resolution",
        "properties": {"municipality": {"type": "string", "description": "TERYT"}},
    },
    "Height": {
        "type": "object",
        "required": ["x_northing", "y_easting", "srid", "height_m", "elevation_model"],
        "properties": {"x_northing": {"type": "number"}, "y_easting": {"type": "number"},
                       "srid": {"type": "integer", "enum": [STORAGE_SRID]},
                       "height_m": {"type": "number"},
                       "elevation_model": {"type": "string"}},
    },
}

CHECK_PARAMS = [
    *POINT,
    _query("type", "object type (rules.ObjectType: advertisement board, sign, fence, …)",
           True),
    _query("mounting", "mounting (rules.Mounting)"),
    _query("area_m2", "area in m² (0–100000)", schema={"type": "number"}),
    _query("height_m", "height in m (0–100000)", schema={"type": "number"}),
    _query("see_through_pct", "see-through share in percent", schema={"type": "number"}),
    _query("count_on_property", "objects of this kind on the property (≥ 1)",
           schema={"type": "integer"}),
    _query("lit", "yes/no/unknown"), _query("moving_images", "yes/no/unknown"),
    _query("material", "material (free text)"), _query("colour", "colour (free text)"),
]


def build_openapi() -> dict[str, Any]:
    """The document; a function so that it is built per request (translations, host)."""
    paths: dict[str, Any] = {
        "/api/search": {"get": {
            "summary": "Search plots by id, precinct and number, address or KW number",
            "description": "Public. KW numbers and owners' names need a login (VIEW_OWNERS); "
                           "a logged-in user finds plots of the municipalities granted to them.",
            "operationId": "search",
            "parameters": [_query("q", "the query (at most 200 characters)",
                                  schema={"type": "string"}),
                           _query("page", "page number (from 1)",
                                  schema={"type": "integer", "minimum": 1, "maximum": 100000}),
                           _query("page_size", "results per page (default 20)",
                                  schema={"type": "integer", "minimum": 1, "maximum": 100})],
            "responses": {"200": _json({"$ref": "#/components/schemas/SearchOutcome"},
                                       "results, sorted, one page of them, and their count"),
                          "400": _json(ERROR, "the query is too long, or page/page_size is "
                                              "not a whole number in range")},
        }},
        "/api/parcels/at": {"get": {
            "summary": "The plot under a point (WGS 84) within the viewer's scope",
            "operationId": "parcel_at",
            "parameters": [_query("lon", "longitude", True, {"type": "number"}),
                           _query("lat", "latitude", True, {"type": "number"})],
            "responses": {"200": _json({"$ref": "#/components/schemas/ParcelRef"}, "the plot"),
                          "400": _json(ERROR, "lon/lat missing, not numbers or out of range"),
                          "404": _json(ERROR, "no plot at this point")},
        }},
        "/api/parcels/{parcel_id}": {"get": {
            "summary": "A plot's card: details and owners by role",
            "operationId": "card",
            "parameters": [_path("parcel_id", {"type": "integer", "minimum": 0},
                                 "the plot's database id")],
            "responses": {"200": _json({"$ref": "#/components/schemas/Card"}, "the card"),
                          "404": {"description": "no such plot, or out of the viewer's scope "
                                         "(JSON); an id that is not a whole number matches "
                                         "no URL (HTML)",
                                  "content": {"application/json": {"schema": ERROR},
                                              "text/html": {"schema": {"type": "string"}}}}},
        }},
        "/parking/api/fee": {"get": {
            "summary": "The parking fee of a stay in a paid-parking zone",
            "operationId": "parking_fee",
            "parameters": [
                _query("zone", "zone id (or give a point)", schema={"type": "integer"}),
                *POINT,
                _query("start", "start of the stay, ISO 8601 (local time Europe/Warsaw "
                                "unless an offset is given)", True),
                _query("end", "end of the stay (after start, at most 31 days later)", True),
                _query("vehicle", "ordinary (default), electric, disabled, …"),
                _query("subscription", "subscription code of the tariff"),
            ],
            "responses": {"200": _json({"$ref": "#/components/schemas/Fee"}, "the fee"),
                          "400": _json(PARAM_ERROR, "a parameter is missing or wrong, or no "
                                                    "tariff covers the stay")},
        }},
        "/parking/api/zones": {"get": {
            "summary": "Paid-parking zones at a point with the tariff valid today",
            "operationId": "parking_zones",
            "parameters": POINT,
            "responses": {"200": _json({"$ref": "#/components/schemas/Zones"}, "the zones"),
                          "400": _json(PARAM_ERROR, "x/y (or e/n) missing, mixed or not "
                                                    "numbers, or srid not accepted")},
        }},
        "/landscape/api/check": {"get": {
            "summary": "The landscape inspector's check of an object at a point",
            "description": "Needs the INSPECT capability (landscape inspector, administrator) "
                           "in the municipality of the point. Also accepts POST with the same "
                           "fields as a form (with a CSRF token).",
            "operationId": "landscape_check",
            "security": [{"session": []}],
            "parameters": CHECK_PARAMS,
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Check"}, "the verdict"),
                "302": LOGIN_REDIRECT,
                "400": _json(PARAM_ERROR, "a field is missing or wrong, or the point lies in "
                                          "no municipality"),
                "401": NOT_LOGGED_IN,
                "403": {"description": "without INSPECT (HTML page), or the point lies in a "
                                       "municipality not granted to the user (JSON)",
                        "content": {"text/html": {"schema": {"type": "string"}},
                                    "application/json": {"schema": ERROR}}},
            },
        }, "post": {
            "summary": "The landscape inspector's check, posted from a form",
            "description": "The same fields as the GET query, as a form; a POST needs the "
                           "CSRF token of the session (cookie and csrfmiddlewaretoken).",
            "operationId": "landscape_check_post",
            "security": [{"session": []}],
            "requestBody": {"required": False, "content": {
                "application/x-www-form-urlencoded": {"schema": {
                    "type": "object",
                    "properties": {p["name"]: p["schema"] for p in CHECK_PARAMS}}}}},
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Check"}, "the verdict"),
                "302": LOGIN_REDIRECT,
                "400": _json(PARAM_ERROR, "a field is missing or wrong"),
                "401": NOT_LOGGED_IN,
                "403": {"description": "no CSRF token, without INSPECT (HTML page), or the "
                                       "point lies in a municipality not granted (JSON)",
                        "content": {"text/html": {"schema": {"type": "string"}},
                                    "application/json": {"schema": ERROR}}},
            },
        }},
        "/rasters/terrain/height": {"get": {
            "summary": "Ground height at a point from the elevation model",
            "operationId": "terrain_height",
            "parameters": TERRAIN_POINT,
            "responses": {"200": _json({"$ref": "#/components/schemas/Height"}, "the height"),
                          "400": _json(PARAM_ERROR, "a parameter is missing or wrong, or the point "
                                              "lies outside the PL-1992 grid (parameter "
                                              "names it)"),
                          "404": _json(ERROR, "no elevation model covers the point")},
        }},
        "/rasters/terrain/visibility": {"get": {
            "summary": "Is a proposed object visible from protected viewpoints",
            "description": "Needs VIEW_LANDSCAPE; viewpoints of the user's municipalities only.",
            "operationId": "terrain_visibility",
            "security": [{"session": []}],
            "parameters": [*TERRAIN_POINT,
                           _query("height", "height of the object in m", True,
                                  {"type": "number"}),
                           _query("area", "landscape area id or code")],
            "responses": {
                "200": _json({"type": "object"}, "visibility from each viewpoint"),
                "302": LOGIN_REDIRECT,
                "400": _json(PARAM_ERROR, "a parameter is missing or wrong (named in "
                                              "parameter)"),
                "401": NOT_LOGGED_IN,
                "403": HTML_403,
                "404": _json(ERROR, "no such landscape area in the user's municipalities, or "
                                    "no elevation model"),
            },
        }},
        "/tiles/{layer}/{z}/{x}/{y}.pbf": {"get": {
            "summary": "A Mapbox vector tile of a layer",
            "description": "Public layers for everyone; a non-public layer needs its "
                           "capability. Outside the layer's zooms the tile is empty.",
            "operationId": "tile",
            "parameters": [
                _path("layer", {"type": "string", "pattern": r"^[\w-]+$"},
                      "registered tile layer (parcels, buildings, …)"),
                _path("z", {"type": "string"}, "zoom 0–22"),
                _path("x", {"type": "string"}, "column 0 … 2^z − 1"),
                _path("y", {"type": "string"}, "row 0 … 2^z − 1"),
                {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "the tile",
                        "content": {"application/vnd.mapbox-vector-tile": {
                            "schema": {"type": "string", "format": "binary"}}}},
                "304": {"description": "the browser's copy (If-None-Match) is current"},
                "400": _json(ERROR, "z/x/y not whole numbers or outside the tile grid"),
                "401": _json(ERROR, "the layer is not public and the viewer is not logged in"),
                "403": _json(ERROR, "the viewer lacks the layer's capability"),
                "404": {"description": "no such tile layer (JSON); a layer name with other "
                                       "characters than letters, digits, _ and - matches no "
                                       "URL (HTML)",
                        "content": {"application/json": {"schema": ERROR},
                                    "text/html": {"schema": {"type": "string"}}}},
            },
        }},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "geogmina JSON API", "version": "1",
                 "description": "Search, parcel cards, parking fees, landscape checks, terrain "
                                "and vector tiles. Errors are JSON objects with an ``error`` "
                                "message (and ``parameter`` where one is wrong)."},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie",
                                            "name": "sessionid"}},
        },
    }


@require_safe
@access(public=True, description="OpenAPI 3.0 description of the JSON API")
def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(build_openapi())
