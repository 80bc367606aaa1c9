"""import_cadastre against hostile and careless files: identifiers checked against the EGiB
grammar, features checked against the place they claim, every problem of an object reported,
out-of-range numbers rejected per object, owners without a known name a warning."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from importers import merge
from importers.gml.reader import building_id_problem, parcel_id_problem
from importers.models import ImportIssue, ImportRun
from importers.services import import_cadastre
from layers.domain.identifiers import IdentifierError, parse_parcel_id
from layers.models import Building, Municipality, Parcel, Precinct, Share, Subject
from tests.conftest import square as square_2180
from tests.data import egib_samples as eg

pytestmark = pytest.mark.django_db

HOSTILE = "186101_1.0001.1<img src=x onerror=alert(9)>"
NESTED = "126104_9.0097.126104_9.0087.395/3"


def _rejected(result) -> dict[str, str]:
    return {i["object_id"]: i["reason"] for i in result.issues if i["kind"] == "rejected"}


def test_parcel_ids_outside_the_grammar_are_rejected_per_object(tmp_path):
    path = eg.write(tmp_path / "ids.gml", *eg.grid(2),
                    eg.parcel("bad-1", "x", eg.square(eg.E0, eg.N0 + 100), ident=HOSTILE),
                    eg.parcel("bad-2", "x", eg.square(eg.E0, eg.N0 + 200), ident=NESTED))
    result = import_cadastre(path)
    assert result.ok, result.run.message
    assert Parcel.objects.count() == 2 and result.run.rejected == 2
    rejected = _rejected(result)
    assert "not an EGiB parcel id" in rejected[HOSTILE]
    assert "not an EGiB parcel id" in rejected[NESTED]
    assert not Parcel.objects.filter(cadastral_id__in=[HOSTILE, NESTED]).exists()
    assert not Parcel.objects.filter(number__contains="<").exists()


def test_building_and_precinct_ids_outside_the_grammar_are_rejected(tmp_path):
    e, n = eg.E0, eg.N0
    path = eg.write(
        tmp_path / "b.gml", *eg.grid(1),
        eg.building("b-ok", "180501_1.0001.1.1_BUD", eg.square(e + 2, n + 2, 5)),
        eg.building("b-bad", "180501_1.0001.1<script>_BUD", eg.square(e + 10, n + 10, 5)),
        eg.building("b-bad2", "180501_1.0001.12", eg.square(e + 12, n + 2, 5)),
        eg.precinct("o-ok", "180501_1.0002", eg.square(e, n - 500, 400)),
        eg.precinct("o-bad", "180501_1.2<b>", eg.square(e + 500, n - 500, 400)))
    result = import_cadastre(path)
    assert result.ok, result.run.message
    rejected = _rejected(result)
    assert "not an EGiB building id" in rejected["180501_1.0001.1<script>_BUD"]
    assert "not an EGiB building id" in rejected["180501_1.0001.12"]
    assert "not an EGiB precinct id" in rejected["180501_1.2<b>"]
    assert list(Building.objects.values_list("building_id", flat=True)) == [
        "180501_1.0001.1.1_BUD"]
    assert Precinct.objects.filter(teryt="180501_1.0002").exists()
    assert not Precinct.objects.filter(teryt__contains="<").exists()


def test_negative_legal_area_is_a_rejected_object_not_a_failed_file(tmp_path):
    path = eg.write(tmp_path / "neg.gml", *eg.grid(2),
                    eg.parcel("neg-1", "77", eg.square(eg.E0, eg.N0 + 100), area_ha="-0.0400"),
                    eg.parcel("big-1", "78", eg.square(eg.E0, eg.N0 + 200),
                              area_ha="99999999999999"))
    result = import_cadastre(path)
    assert result.ok, result.run.message
    rejected = _rejected(result)
    assert "legal area -400.0000 m² is negative" in rejected["180501_1.0001.77"]
    assert "legal area" in rejected["180501_1.0001.78"]
    assert "out of range" in rejected["180501_1.0001.78"]
    assert Parcel.objects.count() == 2


def test_every_problem_of_an_object_is_reported(tmp_path):
    madrid = [(-3.70, 40.41), (-3.69, 40.41), (-3.69, 40.42), (-3.70, 40.42), (-3.70, 40.41)]
    bad = eg.parcel("all-bad", "x", madrid, ident=HOSTILE, area_ha="-1",
                    srs="urn:ogc:def:crs:EPSG::4326")
    bad = bad.replace("<egb:startObiekt>2020-01-01T00:00:00", "<egb:startObiekt>yesterday")
    path = eg.write(tmp_path / "many.gml", *eg.grid(2), bad)
    result = import_cadastre(path, municipality="180501_1")
    assert result.ok, result.run.message
    reason = _rejected(result)[HOSTILE]
    for problem in ("not an EGiB parcel id", "legal area", "is negative",
                    "outside Poland", "object_start", "belongs to cadastral unit 186101_1"):
        assert problem in reason, reason


def test_owner_with_unknown_tags_is_a_warning_not_a_nameless_subject(tmp_path):
    path = eg.write(
        tmp_path / "own.gml", *eg.grid(1),
        eg.feature("EGB_OsobaFizyczna", "os-ok",
                   "<egb:pierwszeImie>Jan</egb:pierwszeImie>"
                   "<egb:pierwszyCzlonNazwiska>Kowalski</egb:pierwszyCzlonNazwiska>"),
        eg.feature("EGB_OsobaFizyczna", "os-odd",
                   "<egb:imie>Anna</egb:imie><egb:nazwisko>Nowak</egb:nazwisko>"),
        eg.feature("EGB_Instytucja", "inst-odd", "<egb:firma>Spółka</egb:firma>"),
        eg.feature("EGB_UdzialWeWlasnosci", "udz-1",
                   "<egb:rodzajPrawa>1</egb:rodzajPrawa>"
                   "<egb:licznikUlamkaOkreslajacegoWartoscUdzialu>-1"
                   "</egb:licznikUlamkaOkreslajacegoWartoscUdzialu>"
                   "<egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>4"
                   "</egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>"))
    result = import_cadastre(path)
    assert result.ok, result.run.message
    assert not Subject.objects.filter(name="").exists()
    assert list(Subject.objects.values_list("name", flat=True)) == ["Kowalski Jan"]
    warnings = {i["object_id"].rpartition(":")[2]: i["reason"] for i in result.issues
                if i["kind"] == "warning"}
    assert set(warnings) == {"os-odd", "inst-odd"}
    assert "imie, nazwisko" in warnings["os-odd"] and "no name" in warnings["os-odd"]
    assert "firma" in warnings["inst-odd"]
    # a negative share numerator: the share rejected, not a database error for the file
    assert "numerator -1" in _rejected(result)[f"{eg.NS}:udz-1"]
    assert not Share.objects.exists()
    assert result.run.rejected == 1


# ---- the place --------------------------------------------------------------------------------

INSPIRE = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<gml:FeatureCollection gml:id="fc" xmlns:gml="http://www.opengis.net/gml/3.2" '
           'xmlns:cp="http://inspire.ec.europa.eu/schemas/cp/4.0" '
           'xmlns:base="http://inspire.ec.europa.eu/schemas/base/3.3">\n{}'
           "</gml:FeatureCollection>\n")


def _inspire_parcel(ref: str, lat: float, lon: float) -> str:
    ring = [(lat, lon), (lat, lon + 0.001), (lat + 0.001, lon + 0.001), (lat + 0.001, lon),
            (lat, lon)]
    pos = " ".join(f"{a} {b}" for a, b in ring)
    return (f'<gml:featureMember><cp:CadastralParcel gml:id="ES.{ref}">'
            f'<cp:areaValue uom="m2">8000</cp:areaValue>'
            f'<cp:geometry><gml:Polygon gml:id="g{ref}" srsName="urn:ogc:def:crs:EPSG::4258">'
            f"<gml:exterior><gml:LinearRing><gml:posList>{pos}</gml:posList></gml:LinearRing>"
            "</gml:exterior></gml:Polygon></cp:geometry>"
            "<cp:inspireId><base:Identifier>"
            f"<base:localId>{ref}</base:localId><base:namespace>ES.SDGC.CP</base:namespace>"
            "</base:Identifier></cp:inspireId>"
            f"<cp:label>{ref[-2:]}</cp:label>"
            f"<cp:nationalCadastralReference>{ref}</cp:nationalCadastralReference>"
            "</cp:CadastralParcel></gml:featureMember>\n")


def test_foreign_inspire_parcels_are_refused_in_a_polish_town(tmp_path, make_municipality):
    make_municipality()
    path = tmp_path / "es.gml"
    path.write_text(INSPIRE.format(_inspire_parcel("9872023VH5797S", 40.41, -3.70)
                                   + _inspire_parcel("9872024VH5797S", 40.42, -3.70)),
                    encoding="utf-8")
    result = import_cadastre(path, municipality="180501_1")
    assert result.run.status == ImportRun.Status.FAILED
    assert "every one of the 2 objects was rejected" in result.run.message
    rejected = _rejected(result)
    assert set(rejected) == {"9872023VH5797S", "9872024VH5797S"}
    assert all("outside Poland" in r and "not an EGiB parcel id" in r
               for r in rejected.values())
    assert ImportIssue.objects.filter(run=result.run, kind="rejected").count() == 2
    assert not Parcel.objects.exists()


def test_features_outside_the_known_boundary_are_refused(tmp_path, make_municipality):
    town = make_municipality()
    # the grid's parcels lie around (729 3xx, 241 6xx) in 2180: a 1 km box around them
    path = eg.write(tmp_path / "a.gml", *eg.grid(2),
                    eg.parcel("far-1", "900", eg.square(eg.E0 + 3000, eg.N0)),
                    eg.parcel("near-1", "901", eg.square(eg.E0 + 400, eg.N0)))
    probe = import_cadastre(eg.write(tmp_path / "probe.gml", *eg.grid(1)), dry_run=True)
    assert probe.run.status == ImportRun.Status.DRY_RUN
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID("
                    "ST_MakePoint(%s, %s), 2178), 2180) p) q", [eg.E0, eg.N0])
        x, y = cur.fetchone()
    town.geom = square_2180(x - 100, y - 100, 400)
    town.save()
    result = import_cadastre(path)
    assert result.ok, result.run.message
    rejected = _rejected(result)
    assert set(rejected) == {"180501_1.0001.900"}  # 400 m past the edge: within 500 m
    assert "outside the boundary of 180501_1 by more than 500 m" in rejected[
        "180501_1.0001.900"]
    strict = import_cadastre(path, boundary_tolerance_m=50)
    assert "180501_1.0001.901" in _rejected(strict)


@pytest.mark.parametrize("teryt", ["ES", "xx", "1805011", "X-ES"])
def test_municipality_must_be_a_teryt_code(tmp_path, teryt):
    result = import_cadastre(eg.write(tmp_path / "a.gml", *eg.grid(1)), municipality=teryt)
    assert result.run.status == ImportRun.Status.FAILED
    assert "WWPPGG_R" in result.run.message and repr(teryt) in result.run.message
    assert not Parcel.objects.exists() and not Municipality.objects.exists()


def test_municipality_must_exist_or_be_defined_by_the_file(tmp_path):
    path = eg.write(tmp_path / "a.gml", *eg.grid(1))
    result = import_cadastre(path, municipality="120101_1")
    assert result.run.status == ImportRun.Status.FAILED
    assert "120101_1 is not in the database and the file does not define it" in (
        result.run.message)
    assert not Municipality.objects.exists()
    assert import_cadastre(path, municipality="180501_1").ok  # the file's own unit
    assert Municipality.objects.filter(teryt="180501_1").exists()


def test_command_prints_rejections_of_a_failed_run_and_all_with_v2(tmp_path):
    members = [eg.parcel(f"bad-{i}", "x", eg.square(eg.E0 + 30 * i, eg.N0),
                         ident=f"180501_1.0001.{i}<b>") for i in range(25)]
    path = eg.write(tmp_path / "bad.gml", *members)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cadastre", str(path), "--no-progress", stdout=out, stderr=out)
    text = out.getvalue()
    assert "every one of the 25 objects was rejected" in text
    assert sum(f"180501_1.0001.{i}<b>" in text for i in range(25)) == 20
    assert "5 more" in text
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cadastre", str(path), "--no-progress", stdout=out, stderr=out,
                     verbosity=2)
    assert all(f"180501_1.0001.{i}<b>" in out.getvalue() for i in range(25))


@pytest.mark.parametrize("text", [
    "221101_1.0001.161/8", "246901_1.0002.AR_55.6/18", "180501_1.0003.ar_5.12",
    "180501_1.0001.12.3", HOSTILE, NESTED, "180501_7.0001.1", "180501_1.001.1",
    "\u0661\u0668\u0660\u0665\u0660\u0661_1.0001.1", "180501_1.0001.1\n2",
    "180501_1.0001.AR_\u0665.1", "180501_1.0001.1/", "180501_1.0001.AR_5"])
def test_the_fast_path_agrees_with_the_domain_parser(text):
    try:
        parse_parcel_id(text)
        valid = True
    except IdentifierError:
        valid = False
    assert (parcel_id_problem(text) is None) == valid
    assert (building_id_problem(text + "_BUD") is None) == valid


def test_other_digits_than_ascii_are_not_egib(tmp_path):
    arabic = "\u0661\u0668\u0660\u0665\u0660\u0661_1.0001.5"
    result = import_cadastre(eg.write(tmp_path / "a.gml", *eg.grid(1),
                                      eg.parcel("ar-1", "x", eg.square(eg.E0, eg.N0 + 50),
                                                ident=arabic)))
    assert "not an EGiB parcel id" in _rejected(result)[arabic]


def test_unexpected_error_leaves_no_run_running(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(merge, "current_sql", boom)
    result = import_cadastre(eg.write(tmp_path / "a.gml", *eg.grid(2)))
    run = ImportRun.objects.get(pk=result.run.pk)
    assert run.status == ImportRun.Status.FAILED and "disk on fire" in run.message
    assert not Parcel.objects.exists()
