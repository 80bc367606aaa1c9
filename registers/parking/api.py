"""The operators' JSON API: start, extend, stop and read a parking session (bearer token).

Machine clients, no session and no CSRF cookie: the token in ``Authorization: Bearer`` is the
credential (``operators.operator_for_token``), checked by ``@access(token=operator_token)``
before the view runs. The OpenAPI document (``openapi.json``) describes every call and error.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from gis_app.accounts.access import access
from registers.parking import operators


def operator_token(request: HttpRequest) -> HttpResponse | None:
    """Refuse (401) a request without a valid operator token; else remember the operator."""
    op = operators.operator_for_token(request.headers.get("Authorization", ""))
    if op is None:
        response = JsonResponse({"error": _("a valid operator token is required: "
                                            "Authorization: Bearer <token>"),
                                 "code": "unauthorised"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="geogmina parking operators"'
        return response
    request.parking_operator = op  # type: ignore[attr-defined]
    return None


operator_token.holder = "payment operator"  # type: ignore[attr-defined]


def _answer(call: Callable[[], operators.Answer]) -> JsonResponse:
    try:
        answer = call()
    except operators.ApiError as exc:
        return JsonResponse(exc.as_json(), status=exc.status)
    return JsonResponse(answer.body, status=answer.status)


def _json_body(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        raise operators.ApiError(415, "invalid", _("send the body as application/json"))
    return operators.parse_body(request.body)


@csrf_exempt
@require_POST
@access(token=operator_token, description="operator API: start a parking session")
def session_start(request: HttpRequest) -> JsonResponse:
    return _answer(lambda: operators.session_start(request.parking_operator,
                                                   _json_body(request)))


@csrf_exempt
@require_POST
@access(token=operator_token, description="operator API: extend a parking session")
def session_extend(request: HttpRequest, session_id: str) -> JsonResponse:
    return _answer(lambda: operators.session_extend(request.parking_operator, session_id,
                                                    _json_body(request)))


@csrf_exempt
@require_POST
@access(token=operator_token, description="operator API: stop a parking session")
def session_stop(request: HttpRequest, session_id: str) -> JsonResponse:
    return _answer(lambda: operators.session_stop(request.parking_operator, session_id,
                                                  _json_body(request)))


@require_safe
@access(token=operator_token, description="operator API: one of the operator's sessions")
def session_detail(request: HttpRequest, session_id: str) -> JsonResponse:
    return _answer(lambda: operators.session_get(request.parking_operator, session_id))


@require_safe
@access(public=True, description="the OpenAPI document of the operator API")
def openapi(request: HttpRequest) -> JsonResponse:
    base = reverse("parking:op_start").rsplit("/sessions", 1)[0]
    return JsonResponse(openapi_document(request.build_absolute_uri(base)))


def openapi_document(server: str) -> dict:
    """OpenAPI 3.1 description of the operator API (validated by the tests)."""
    error = {"$ref": "#/components/schemas/Error"}

    def errors(*codes: int) -> dict:
        texts = {400: "a malformed request (the field is named)", 401: "no or a bad token",
                 403: "a zone of a municipality the operator does not serve",
                 404: "no such zone or session",
                 409: "a conflicting repeat (duplicate session id with other data) or a stale "
                      "call (session stopped, extension not later)",
                 415: "the body is not application/json",
                 422: "the amount does not match the fee of the tariff in force, or no tariff"}
        return {str(c): {"description": texts[c],
                         "content": {"application/json": {"schema": error}}} for c in codes}

    session = {"description": "the session as stored",
               "content": {"application/json": {"schema": {
                   "$ref": "#/components/schemas/Session"}}}}
    sid = {"name": "session_id", "in": "path", "required": True,
           "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
    time = {"type": "string", "format": "date-time",
            "description": "ISO 8601 with an offset (Z for UTC)"}
    money = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["7.80"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "geogmina paid-parking operator API", "version": "1",
                 "description": "Payment operators register parking sessions. Every call is "
                                "idempotent on the operator's own session_id: a repeated "
                                "identical call answers the same, a conflicting one 409."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": {
            "/sessions": {"post": {
                "operationId": "startSession", "summary": "start a session",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Start"}}}},
                "responses": {"201": session, **errors(400, 401, 403, 404, 409, 415, 422)}}},
            "/sessions/{session_id}": {"get": {
                "operationId": "getSession", "summary": "read a session",
                "parameters": [sid],
                "responses": {"200": session, **errors(401, 404)}}},
            "/sessions/{session_id}/extend": {"post": {
                "operationId": "extendSession", "summary": "extend: a later end, the new total",
                "parameters": [sid],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["end_time", "amount"],
                    "properties": {"end_time": time, "amount": money}}}}},
                "responses": {"200": session, **errors(400, 401, 404, 409, 415, 422)}}},
            "/sessions/{session_id}/stop": {"post": {
                "operationId": "stopSession", "summary": "stop: the car left",
                "parameters": [sid],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["stop_time"],
                    "properties": {"stop_time": time}}}}},
                "responses": {"200": session, **errors(400, 401, 404, 409, 415)}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Start": {"type": "object",
                          "required": ["session_id", "registration_number", "start_time",
                                       "end_time", "amount"],
                          "properties": {
                              "session_id": {"type": "string", "maxLength": 64},
                              "registration_number": {
                                  "type": "string", "description":
                                  "normalised: uppercase, spaces and hyphens removed; 2–10 "
                                  "letters and digits with a letter"},
                              "zone": {"type": "integer", "description": "the zone's id"},
                              "location": {"type": "object", "required": ["lon", "lat"],
                                           "description": "instead of zone: WGS 84",
                                           "properties": {"lon": {"type": "number"},
                                                          "lat": {"type": "number"}}},
                              "start_time": time, "end_time": time, "amount": money}},
                "Session": {"type": "object", "properties": {
                    "session_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["active", "stopped"]},
                    "registration_number": {"type": "string"},
                    "zone": {"type": "object"}, "start_time": time, "end_time": time,
                    "local": {"type": "object", "description": "the times in the zone's time "
                                                              "zone, for display"},
                    "amount": money, "fee": money, "currency": {"const": "PLN"},
                    "tariff": {"type": "object"}, "version": {"type": "integer"}}},
                "Error": {"type": "object", "required": ["error", "code"], "properties": {
                    "error": {"type": "string"},
                    "code": {"type": "string", "enum": [
                        "invalid", "unauthorised", "foreign_town", "no_zone", "no_session",
                        "duplicate_session", "stale_session", "amount_mismatch",
                        "no_tariff"]},
                    "field": {"type": "string"}, "fee": money}},
            },
        },
    }
