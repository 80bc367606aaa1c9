"""The operators' session API on PostGIS: every call and every refusal, idempotency, the fee
check against the tariff in force, towns an operator serves, and the OpenAPI document."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from openapi_spec_validator import validate

from registers.parking import demo, operators
from registers.parking.models import ParkingSession
from tests.db.test_parking_register import zone

pytestmark = pytest.mark.django_db

BASE = "/parking/api/operator/v1"
# Tuesday 3 March 2026, 09:00–11:00 in Warsaw (CET): Radom's 3.60 + 4.20 zł
START, END, FEE = "2026-03-03T08:00:00Z", "2026-03-03T10:00:00Z", "7.80"


@pytest.fixture
def world(make_municipality):
    radom = make_municipality("146301_1", "Radom")
    jaslo = make_municipality("180501_1", "Jasło")
    za = zone(radom)
    zb = zone(jaslo, code="B", x=640_000, y=180_000)
    demo.load_demo(radom)
    demo.load_demo(jaslo)
    op, token = operators.operator_create("moBILET", [radom])
    other, other_token = operators.operator_create("SkyCash", [radom, jaslo])
    return {"radom": radom, "jaslo": jaslo, "za": za, "zb": zb, "op": op, "token": token,
            "other": other, "other_token": other_token}


def call(client, path, body=None, token="", method="post", raw=None,
         content_type="application/json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "get":
        return client.get(BASE + path, **headers)
    data = raw if raw is not None else json.dumps(body)
    return client.post(BASE + path, data=data, content_type=content_type, **headers)


def start_body(w, **over):
    body = {"session_id": "S-1", "registration_number": "rz 12345", "zone": w["za"].id,
            "start_time": START, "end_time": END, "amount": FEE}
    body.update(over)
    return body


def test_start_stores_the_normalised_plate_utc_times_and_the_fee(client, world):
    r = call(client, "/sessions", start_body(world), world["token"])
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["registration_number"] == "RZ12345"
    assert data["start_time"] == START and data["end_time"] == END
    assert data["local"]["start_time"] == "2026-03-03T09:00:00+01:00"
    assert data["fee"] == FEE and data["amount"] == FEE and data["status"] == "active"
    s = ParkingSession.objects.get(operator=world["op"], external_id="S-1")
    assert s.plate == "RZ12345" and str(s.fee) == FEE and s.zone == world["za"]
    assert r["Cache-Control"].startswith("no-store") or "no-store" in r["Cache-Control"]


def test_a_repeated_identical_start_answers_the_same_and_stores_one(client, world):
    first = call(client, "/sessions", start_body(world), world["token"])
    again = call(client, "/sessions", start_body(world, registration_number="RZ-12345"),
                 world["token"])
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert ParkingSession.objects.filter(external_id="S-1").count() == 1


def test_a_conflicting_repeat_of_the_same_session_id_is_409(client, world):
    call(client, "/sessions", start_body(world), world["token"])
    r = call(client, "/sessions", start_body(world, registration_number="KR 999AA"),
             world["token"])
    assert r.status_code == 409 and r.json()["code"] == "duplicate_session"
    assert ParkingSession.objects.get(external_id="S-1").plate == "RZ12345"


def test_the_same_session_id_of_another_operator_is_its_own(client, world):
    assert call(client, "/sessions", start_body(world), world["token"]).status_code == 201
    r = call(client, "/sessions", start_body(world, registration_number="KR 999AA"),
             world["other_token"])
    assert r.status_code == 201
    assert ParkingSession.objects.filter(external_id="S-1").count() == 2


@pytest.mark.parametrize("header", ["", "Bearer nonsense", "Bearer abc.def", "Basic eDp5",
                                    "Token {token}", "Bearer {token}x"])
def test_a_bad_or_missing_token_is_401(client, world, header):
    headers = {"HTTP_AUTHORIZATION": header.format(token=world["token"])} if header else {}
    r = client.post(BASE + "/sessions", data=json.dumps(start_body(world)),
                    content_type="application/json", **headers)
    assert r.status_code == 401 and r.json()["code"] == "unauthorised"
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert not ParkingSession.objects.exists()


def test_an_inactive_operator_or_a_rotated_token_is_401(client, world):
    new = operators.operator_rotate_token(world["op"])
    assert call(client, "/sessions", start_body(world), world["token"]).status_code == 401
    assert call(client, "/sessions", start_body(world), new).status_code == 201
    world["op"].__class__.objects.filter(pk=world["op"].pk).update(active=False)
    assert call(client, "/sessions/S-1", token=new, method="get").status_code == 401


def test_a_logged_in_user_without_a_token_is_401(client, world, make_user):
    client.force_login(make_user("planner", world["radom"], ("administrator",)))
    assert call(client, "/sessions", start_body(world)).status_code == 401


def test_a_zone_of_a_town_the_operator_does_not_serve_is_403(client, world):
    r = call(client, "/sessions", start_body(world, zone=world["zb"].id), world["token"])
    assert r.status_code == 403 and r.json()["code"] == "foreign_town"
    assert not ParkingSession.objects.exists()
    # the operator serving both towns may (at Jasło's own fee: 3.00 + 3.60 for two hours)
    r = call(client, "/sessions", start_body(world, zone=world["zb"].id, amount="6.60"),
             world["other_token"])
    assert r.status_code == 201, r.content


def test_a_point_resolves_to_its_zone(client, world):
    c = world["za"].geom.centroid.transform(4326, clone=True)
    body = start_body(world, location={"lon": c.x, "lat": c.y})
    del body["zone"]
    r = call(client, "/sessions", body, world["token"])
    assert r.status_code == 201 and r.json()["zone"]["id"] == world["za"].id
    far = Point(19.0, 50.0, srid=4326)
    body = start_body(world, session_id="S-2", location={"lon": far.x, "lat": far.y})
    del body["zone"]
    r = call(client, "/sessions", body, world["token"])
    assert r.status_code == 404 and r.json()["code"] == "no_zone"


def test_an_amount_off_the_fee_is_refused_with_the_fee(client, world):
    r = call(client, "/sessions", start_body(world, amount="7.70"), world["token"])
    assert r.status_code == 422
    assert r.json()["code"] == "amount_mismatch" and r.json()["fee"] == FEE
    assert not ParkingSession.objects.exists()


def test_a_repeat_whose_amount_no_longer_matches_is_answered_as_the_stored_session(
        client, world):
    # the start inserts first and looks for a repeat only when it finds the id taken or the
    # fee refused: a repeat is still a repeat (or a conflict), never a fee error
    call(client, "/sessions", start_body(world), world["token"])
    same_wrong = call(client, "/sessions", start_body(world, amount="7.70"), world["token"])
    assert same_wrong.status_code == 409 and same_wrong.json()["code"] == "duplicate_session"
    assert ParkingSession.objects.filter(external_id="S-1").count() == 1


def test_a_saved_tariff_change_reaches_the_fee_at_once(client, world):
    # the tariff's rules are kept per process by (tariff, version): a save moves the version
    from registers.parking import services
    from registers.parking.models import Tariff

    assert call(client, "/sessions", start_body(world), world["token"]).status_code == 201
    t = Tariff.objects.get(zone=world["za"])
    t.first_hour = Decimal("3.80")
    services.tariff_save(None, t, expected_version=t.version)
    r = call(client, "/sessions", start_body(world, session_id="S-2"), world["token"])
    assert r.status_code == 422 and r.json()["fee"] == "8.00"  # 3.80 + 4.20


def test_the_tolerance_is_a_setting(client, world, settings):
    settings.GEOGMINA_PARKING_AMOUNT_TOLERANCE = "0.10"
    r = call(client, "/sessions", start_body(world, amount="7.70"), world["token"])
    assert r.status_code == 201 and r.json()["fee"] == FEE and r.json()["amount"] == "7.70"


def test_a_public_holiday_costs_nothing(client, world):
    r = call(client, "/sessions", start_body(world, start_time="2026-11-11T08:00:00Z",
                                             end_time="2026-11-11T10:00:00Z", amount="0"),
             world["token"])
    assert r.status_code == 201 and r.json()["fee"] == "0.00"


@pytest.mark.parametrize("plate", ["", "R", "RZ 12345 6789", "RZ_1234", "ŻY12345", "123456",
                                   None, 12345])
def test_a_malformed_plate_is_400_naming_the_field(client, world, plate):
    r = call(client, "/sessions", start_body(world, registration_number=plate), world["token"])
    assert r.status_code == 400
    assert r.json()["field"] == "registration_number"
    assert "registration_number" in r.json()["error"]


@pytest.mark.parametrize("field,value", [
    ("start_time", "2026-03-03T09:00"), ("start_time", "yesterday"), ("end_time", None),
    ("amount", "7,80"), ("amount", -1), ("amount", "7.801"), ("amount", True),
    ("session_id", ""), ("session_id", "x" * 65), ("zone", "A")])
def test_other_malformed_fields_are_400_naming_them(client, world, field, value):
    r = call(client, "/sessions", start_body(world, **{field: value}), world["token"])
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field


def test_an_end_before_the_start_and_a_body_not_json(client, world):
    r = call(client, "/sessions", start_body(world, end_time=START), world["token"])
    assert r.status_code == 400 and r.json()["field"] == "end_time"
    r = call(client, "/sessions", raw="{not json", token=world["token"])
    assert r.status_code == 400
    r = call(client, "/sessions", raw="a=b", token=world["token"],
             content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


def test_extend_recomputes_the_fee_and_repeats_idempotently(client, world):
    call(client, "/sessions", start_body(world), world["token"])
    body = {"end_time": "2026-03-03T11:00:00Z", "amount": "12.60"}  # + 4.80 for the 3rd hour
    r = call(client, "/sessions/S-1/extend", body, world["token"])
    assert r.status_code == 200, r.content
    assert r.json()["fee"] == "12.60" and r.json()["end_time"] == "2026-03-03T11:00:00Z"
    again = call(client, "/sessions/S-1/extend", body, world["token"])
    assert again.status_code == 200 and again.json() == r.json()
    # an older extension arriving late is stale
    r = call(client, "/sessions/S-1/extend", {"end_time": "2026-03-03T10:30:00Z",
                                              "amount": "10.20"}, world["token"])
    assert r.status_code == 409 and r.json()["code"] == "stale_session"
    r = call(client, "/sessions/S-1/extend", {"end_time": "2026-03-03T12:00:00Z",
                                              "amount": "13.00"}, world["token"])
    assert r.status_code == 422 and r.json()["fee"] == "16.20"
    assert str(ParkingSession.objects.get(external_id="S-1").fee) == "12.60"


def test_stop_ends_the_session_and_a_stopped_session_cannot_move(client, world):
    call(client, "/sessions", start_body(world), world["token"])
    r = call(client, "/sessions/S-1/stop", {"stop_time": "2026-03-03T09:15:00Z"},
             world["token"])
    assert r.status_code == 200 and r.json()["status"] == "stopped"
    assert r.json()["end_time"] == "2026-03-03T09:15:00Z"
    again = call(client, "/sessions/S-1/stop", {"stop_time": "2026-03-03T09:15:00Z"},
                 world["token"])
    assert again.status_code == 200 and again.json() == r.json()
    r = call(client, "/sessions/S-1/stop", {"stop_time": "2026-03-03T09:20:00Z"},
             world["token"])
    assert r.status_code == 409 and r.json()["code"] == "stale_session"
    r = call(client, "/sessions/S-1/extend", {"end_time": "2026-03-03T11:00:00Z",
                                              "amount": "12.60"}, world["token"])
    assert r.status_code == 409 and r.json()["code"] == "stale_session"


def test_a_stop_outside_the_session_is_409(client, world):
    call(client, "/sessions", start_body(world), world["token"])
    r = call(client, "/sessions/S-1/stop", {"stop_time": "2026-03-03T10:30:00Z"},
             world["token"])
    assert r.status_code == 409


def test_get_reads_only_the_operators_own_sessions(client, world):
    call(client, "/sessions", start_body(world), world["token"])
    r = call(client, "/sessions/S-1", token=world["token"], method="get")
    assert r.status_code == 200 and r.json()["registration_number"] == "RZ12345"
    r = call(client, "/sessions/S-1", token=world["other_token"], method="get")
    assert r.status_code == 404 and r.json()["code"] == "no_session"
    r = call(client, "/sessions/NOPE/extend", {"end_time": END, "amount": FEE},
             world["token"])
    assert r.status_code == 404


def test_the_openapi_document_is_valid_and_lists_every_call_and_error(client, world):
    r = client.get(BASE + "/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    paths = doc["paths"]
    assert set(paths) == {"/sessions", "/sessions/{session_id}",
                          "/sessions/{session_id}/extend", "/sessions/{session_id}/stop"}
    assert {"400", "401", "403", "409", "422"} <= set(paths["/sessions"]["post"]["responses"])
    codes = set(doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    assert {"amount_mismatch", "duplicate_session", "stale_session", "foreign_town",
            "unauthorised"} <= codes
    assert doc["servers"][0]["url"].endswith(BASE)


def test_the_error_codes_answered_are_the_documented_ones(client, world):
    """Every refusal above answers a code the document lists (the document is not decoration)."""
    doc = client.get(BASE + "/openapi.json").json()
    codes = set(doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    answers = [
        call(client, "/sessions", start_body(world), "bad.token"),
        call(client, "/sessions", start_body(world, zone=world["zb"].id), world["token"]),
        call(client, "/sessions", start_body(world, amount="1.00"), world["token"]),
        call(client, "/sessions", start_body(world, registration_number="!"), world["token"]),
        call(client, "/sessions/none", token=world["token"], method="get"),
    ]
    for r in answers:
        assert r.json()["code"] in codes, r.json()
        assert str(r.status_code) in doc["paths"]["/sessions"]["post"]["responses"] or \
            r.status_code == 404


def test_the_command_makes_an_operator_whose_token_works_and_rotates(client, world):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("parking_operator", "Parkomaty Radom", "--municipality", "146301_1",
                 stdout=out)
    token = out.getvalue().strip()
    assert call(client, "/sessions", start_body(world), token).status_code == 201
    out = StringIO()
    call_command("parking_operator", "Parkomaty Radom", "--rotate", stdout=out)
    assert call(client, "/sessions/S-1", token=token, method="get").status_code == 401
    assert call(client, "/sessions/S-1", token=out.getvalue().strip(),
                method="get").status_code == 200
    with pytest.raises(CommandError, match="999999_9"):
        call_command("parking_operator", "X", "--municipality", "999999_9")


def test_a_multipart_upload_without_a_token_is_refused_unread(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(BASE + "/sessions", {"f": SimpleUploadedFile("a.bin", b"x" * 1000)})
    assert r.status_code == 401
    assert r["Connection"] == "close"  # answered by the upload gate, the body never read
