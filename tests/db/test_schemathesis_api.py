"""schemathesis against the JSON API's OpenAPI description (map_ui/openapi.py) and the OGC API.

Each operation is fuzzed as the public and as a logged-in user holding every role in one small
town (two towns exist, so scoping is exercised). The standard checks: no 5xx, the status code
is documented, the body conforms to the schema, the content type is the documented one.
Hypothesis runs derandomized so a CI failure reproduces.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gis_app.accounts.roles import Role
from layers.models import ParkingZone
from map_ui.openapi import build_openapi
from registers.parking import demo as parking_demo
from tests.conftest import square

pytestmark = pytest.mark.django_db

APP = WSGIHandler()
SCHEMA = schemathesis.openapi.from_dict(build_openapi())
SCHEMA.app = APP
SCHEMA.location = "/api/openapi.json"
FUZZ = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
X, Y = 677_000, 211_000
# The standard response checks. Left out: the positive/negative data acceptance checks (a valid
# point may lie in no zone, an anonymous GET is redirected before its query is parsed) and the
# undeclared-method check (a QUERY request meets the CSRF middleware's 403 before the view's
# 405; tests/db/test_hostile_input.py asserts the methods).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: a request must not close the test's connection (and with it
    the transaction holding the fixture town)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def towns(make_municipality, make_parcel):
    radom = make_municipality("146301_1", "Radom")
    other = make_municipality("180501_1", "Jasło")
    for i in range(3):
        make_parcel(f"{i + 1}", X + 30 * i, Y, municipality=radom)
        make_parcel(f"{i + 1}", 600_000 + 30 * i, 250_000, municipality=other)
    ParkingZone.objects.create(municipality=radom, code="A", name="Strefa A",
                               kind=ParkingZone.Kind.ORDINARY, geom=square(X, Y, 500),
                               source_namespace="test", local_id="146301_1-A")
    parking_demo.load_demo(radom)
    return radom, other


@pytest.fixture
def session_cookie(client, make_user, towns):
    user = make_user("fuzzer", towns[0], tuple(r.value for r in Role))
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


def test_openapi_document_is_served_and_valid(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    assert set(doc["paths"]) >= {"/api/search", "/api/parcels/{parcel_id}", "/parking/api/fee",
                                 "/tiles/{layer}/{z}/{x}/{y}.pbf", "/landscape/api/check"}
    schemathesis.openapi.from_wsgi("/api/openapi.json", APP)  # loads as a valid schema


# Schemathesis' WSGI transport hands the body over as sent: ask for it uncompressed (the API
# gzips JSON for clients that accept it; tests/db/test_gis_client_edges.py checks that).
IDENTITY = {"Accept-Encoding": "identity"}


@SCHEMA.parametrize()
@FUZZ
def test_api_as_the_public(case, towns):
    case.call_and_validate(headers=IDENTITY, checks=CHECKS)


@SCHEMA.parametrize()
@FUZZ
def test_api_as_a_logged_in_user(case, towns, session_cookie):
    case.call_and_validate(cookies=session_cookie,
                           headers={"Accept": "application/json", **IDENTITY}, checks=CHECKS)



def _fuzz_ogc(cookies: dict[str, str] | None = None) -> int:
    """Every operation of the OGC API's own description, loaded from the app with the town in
    it (the document lists the collections the viewer may see)."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    schema = schemathesis.openapi.from_wsgi("/ogc/api", APP, headers=headers)
    schema.app = APP
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        @FUZZ
        @given(case=operation.as_strategy())
        def run(case) -> None:
            case.call_and_validate(cookies=cookies or {}, headers=IDENTITY, checks=CHECKS)

        run()
    return len(operations)


def test_ogc_api_as_the_public(towns):
    assert _fuzz_ogc() >= 5


def test_ogc_api_as_a_logged_in_user(towns, session_cookie):
    assert _fuzz_ogc(session_cookie) >= 5
