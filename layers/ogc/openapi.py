"""The OpenAPI 3.0 document of the OGC API (what GDAL reads for paging limits)."""

from __future__ import annotations

from typing import Any

from layers.ogc import features as F
from layers.ogc.registry import Collection


def _param(name: str, schema: dict[str, Any], description: str,
           where: str = "query", required: bool = False) -> dict[str, Any]:
    param = {"name": name, "in": where, "required": required, "schema": schema,
             "description": description}
    # "form" is a query-parameter style; a path parameter takes the default ("simple")
    if where == "query":
        param.update(style="form", explode=False)
    return param


def openapi_document(base: str, visible: list[Collection]) -> dict[str, Any]:
    crs_schema = {"type": "string", "format": "uri", "enum": F.supported_crs()}
    common = {
        "limit": _param("limit", {"type": "integer", "minimum": 1, "maximum": F.MAX_LIMIT,
                                  "default": F.DEFAULT_LIMIT}, "features per page"),
        "offset": _param("offset", {"type": "integer", "minimum": 0, "maximum": F.MAX_OFFSET,
                                    "default": 0},
                         "features to skip (paging)"),
        "bbox": _param("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                                "items": {"type": "number"}},
                       "minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon,lat)"),
        "bbox-crs": _param("bbox-crs", crs_schema, "CRS of bbox (default CRS84)"),
        "crs": _param("crs", crs_schema, "CRS of the response geometries (default CRS84)"),
        "f": _param("f", {"type": "string", "enum": ["json"]}, "format"),
    }
    json_response = {"200": {"description": "OK",
                             "content": {"application/json": {"schema": {"type": "object"}}}}}
    geojson_response = {"200": {"description": "OK",
                                "content": {"application/geo+json": {
                                    "schema": {"type": "object"}}}}}
    exception = {"content": {"application/json": {"schema": {
        "type": "object", "required": ["code", "description"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}}}}
    errors = {"400": {"description": "a query parameter is wrong", **exception},
              "401": {"description": "a protected collection without credentials",
                      **exception},
              "404": {"description": "no such collection or feature", **exception}}
    geojson_response = {**geojson_response, **errors}
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "landing page", "operationId": "getLandingPage",
                      "responses": json_response}},
        "/conformance": {"get": {"summary": "conformance classes",
                                 "operationId": "getConformanceDeclaration",
                                 "responses": json_response}},
        "/collections": {"get": {"summary": "feature collections",
                                 "operationId": "getCollections",
                                 "responses": json_response}},
    }
    for c in visible:
        ref = {"$ref": "#/components/parameters/"}
        paths[f"/collections/{c.id}"] = {"get": {
            "summary": f"{c.title}: metadata", "operationId": f"describe-{c.id}",
            "responses": json_response}}
        paths[f"/collections/{c.id}/items"] = {"get": {
            "summary": f"{c.title}: features", "operationId": f"getFeatures-{c.id}",
            "parameters": [{"$ref": ref["$ref"] + p} for p in
                           ("limit", "offset", "bbox", "bbox-crs", "crs", "f")],
            "responses": geojson_response}}
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {"get": {
            "summary": f"{c.title}: one feature", "operationId": f"getFeature-{c.id}",
            "parameters": [_param("featureId", {"type": "integer"}, "feature id", "path",
                                  True), {"$ref": ref["$ref"] + "crs"}],
            "responses": geojson_response}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "geogmina – OGC API Features", "version": "1.0.0",
                 "description": "Public collections need no login; protected ones take "
                                "HTTP Basic or the session cookie."},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": common,
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
        },
    }
