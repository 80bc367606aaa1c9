"""Every bad input gets a clear message and leaves the stored data exactly as it was."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from importers.models import ImportIssue, ImportRun
from importers.services import import_cadastre
from layers.models import FeatureVersion, Parcel
from tests.data import egib_samples as eg

pytestmark = pytest.mark.django_db

LAYER_TABLES = ("layers_municipality", "layers_precinct", "layers_parcel",
                "layers_parcellanduse", "layers_building", "layers_landuse",
                "layers_registrationunit", "layers_subject", "layers_share", "layers_address",
                "layers_featureversion")


def snapshot() -> dict[str, str]:
    """A digest of every row of every layers table: 'exactly as before' made checkable."""
    out = {}
    with connection.cursor() as cur:
        for table in LAYER_TABLES:
            cur.execute(f"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                        f"FROM {table} t")
            out[table] = cur.fetchone()[0]
    return out


@pytest.fixture
def loaded(tmp_path):
    """A town with 5 parcels already imported: the state every failure must preserve."""
    result = import_cadastre(eg.write(tmp_path / "base.gml", *eg.grid(5)))
    assert result.ok and result.run.created >= 5
    return snapshot()


def _failed(result, *words: str) -> str:
    assert result.run.status == ImportRun.Status.FAILED, result.run.message
    for word in words:
        assert word in result.run.message
    return result.run.message


def test_malformed_xml_names_line_and_column(tmp_path, loaded):
    text = eg.HEADER.format(egb="ewidencjaGruntowIBudynkow:1.0") + "".join(eg.grid(3))
    text = text.replace("</egb:idDzialki>", "</egb:idDzialkiX>", 1) + eg.FOOTER
    path = tmp_path / "bad.gml"
    path.write_text(text, encoding="utf-8")
    message = _failed(import_cadastre(path), "malformed XML at line", "column")
    assert "line 3" in message  # the first parcel's member is on line 3
    assert snapshot() == loaded


def test_cut_off_file_leaves_database_exactly_as_before(tmp_path, loaded):
    full = eg.write(tmp_path / "full.gml", *eg.grid(40, version="2025-01-01T00:00:00"),
                    *eg.grid(20, prefix="q")).read_bytes()
    cut = tmp_path / "cut.gml"
    cut.write_bytes(full[: len(full) // 2])
    _failed(import_cadastre(cut), "malformed XML")
    assert snapshot() == loaded
    assert Parcel.objects.filter(version_id="2024-01-01T10:00:00").count() == 5


def test_wrong_namespace(tmp_path, loaded):
    path = eg.write(tmp_path / "ns.gml", *eg.grid(2), egb="ewidencjaGruntowIBudynkow:2.0")
    _failed(import_cadastre(path), "ewidencjaGruntowIBudynkow:2.0", "neither the 2015")
    assert snapshot() == loaded


def test_swapped_axes_are_refused(tmp_path, loaded):
    member = eg.parcel("swap-1", "900", eg.square(eg.E0, eg.N0), northing_first=False)
    _failed(import_cadastre(eg.write(tmp_path / "swap.gml", member)), "axes swapped",
            "EPSG:2178")
    assert snapshot() == loaded


@pytest.mark.parametrize("srs", ["urn:ogc:def:crs:EPSG::99999", "urn:ogc:def:crs:FOO::1"])
def test_unknown_crs(tmp_path, loaded, srs):
    member = eg.parcel("crs-1", "901", eg.square(eg.E0, eg.N0), srs=srs)
    _failed(import_cadastre(eg.write(tmp_path / "crs.gml", member)),
            "unknown coordinate reference system")
    assert snapshot() == loaded


def test_invalid_polygons_repaired_or_rejected(tmp_path, loaded):
    e, n = eg.E0 + 500, eg.N0
    bowtie = [(e, n), (e + 20, n + 20), (e + 20, n), (e, n + 20), (e, n)]
    too_short = [(e + 40, n), (e + 60, n), (e + 40, n)]
    result = import_cadastre(eg.write(
        tmp_path / "invalid.gml",
        eg.parcel("bow-1", "910", bowtie, area_ha="0.0200"),
        eg.parcel("short-1", "911", too_short, area_ha="0.0100")))
    assert result.ok
    repaired = Parcel.objects.get(cadastral_id="180501_1.0001.910")
    assert repaired.geom.valid and repaired.geom.area == pytest.approx(200, rel=0.01)
    issue = ImportIssue.objects.get(run=result.run, kind="repaired")
    assert issue.object_id == "180501_1.0001.910" and "Self-intersection" in issue.reason
    assert issue.line == 3
    rejected = ImportIssue.objects.get(run=result.run, kind="rejected")
    assert rejected.object_id == "180501_1.0001.911"
    assert "at least 4 are needed" in rejected.reason
    assert not Parcel.objects.filter(cadastral_id="180501_1.0001.911").exists()
    assert result.run.rejected == 1


def test_duplicate_id_rejects_the_second(tmp_path, loaded):
    first = eg.parcel("dup-1", "920", eg.square(eg.E0, eg.N0 + 100))
    second = eg.parcel("dup-1", "920", eg.square(eg.E0, eg.N0 + 200))
    result = import_cadastre(eg.write(tmp_path / "dup.gml", first, second))
    assert result.ok
    issue = ImportIssue.objects.get(run=result.run, kind="rejected")
    assert "duplicate" in issue.reason and "first at line 3" in issue.reason
    assert issue.line == 4
    stored = Parcel.objects.get(local_id="dup-1")
    assert stored.geom.extent[1] == pytest.approx(stored.geom.extent[1])
    assert Parcel.objects.filter(local_id="dup-1").count() == 1


def test_xxe_file_is_refused_unread(tmp_path, loaded):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    body = eg.parcel("xxe-1", "&xxe;", eg.square(eg.E0, eg.N0 + 300))
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE gml:FeatureCollection [\n'
            f'<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
            + eg.HEADER.format(egb="ewidencjaGruntowIBudynkow:1.0").split("\n", 1)[1]
            + body + eg.FOOTER)
    path = tmp_path / "xxe.gml"
    path.write_text(text, encoding="utf-8")
    message = _failed(import_cadastre(path), "DTD or entities")
    assert "TOP-SECRET" not in message
    assert not Parcel.objects.filter(number__contains="SECRET").exists()
    assert snapshot() == loaded


def test_billion_laughs_is_refused_at_once(tmp_path, loaded):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10))
    text = (f'<?xml version="1.0"?>\n<!-- a comment first -->\n<!DOCTYPE lolz [{entities}]>\n'
            '<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2">&lol9;'
            "</gml:FeatureCollection>")
    path = tmp_path / "lol.gml"
    path.write_text(text, encoding="utf-8")
    _failed(import_cadastre(path), "DTD or entities", "line 3")
    assert snapshot() == loaded


def test_not_a_feature_collection(tmp_path, loaded):
    path = tmp_path / "x.xml"
    path.write_text("<html><body>hello</body></html>", encoding="utf-8")
    _failed(import_cadastre(path), "not a GML/WFS FeatureCollection")


def test_dry_run_rolls_back(tmp_path, loaded):
    result = import_cadastre(eg.write(tmp_path / "new.gml", *eg.grid(3, prefix="n")),
                             dry_run=True)
    assert result.run.status == ImportRun.Status.DRY_RUN
    assert result.run.created >= 3
    assert snapshot() == loaded


def test_new_version_updates_and_archives_the_old(tmp_path, loaded):
    moved = [eg.parcel(f"p{i:05d}-0000-0000-0000-000000000000", str(i + 1),
                       eg.square(eg.E0 + 20 * i, eg.N0 + (5 if i == 0 else 0)),
                       version="2025-06-01T00:00:00" if i == 0 else "2024-01-01T10:00:00")
             for i in range(5)]
    result = import_cadastre(eg.write(tmp_path / "v2.gml", *moved))
    assert result.run.status == ImportRun.Status.OK
    assert result.counts["parcels"]["updated"] == 1
    assert result.counts["parcels"]["unchanged"] == 4
    current = Parcel.objects.get(cadastral_id="180501_1.0001.1")
    assert current.version_id == "2025-06-01T00:00:00"
    old = FeatureVersion.objects.get(feature_type="parcel", local_id=current.local_id)
    assert old.version_id == "2024-01-01T10:00:00" and old.geom is not None
    # an older file imported afterwards does not roll the parcel back
    again = import_cadastre(eg.write(tmp_path / "v1.gml", *eg.grid(5)))
    assert again.run.status == ImportRun.Status.UNCHANGED
    assert Parcel.objects.get(cadastral_id="180501_1.0001.1").version_id.startswith("2025")


def test_reimport_verdicts_with_stored_objects_set_aside(tmp_path, loaded):
    """A re-import sets aside the objects already stored as they are (before the costly steps);
    the verdicts, counts and report must be those of the full comparison."""
    lid = [f"p{i:05d}-0000-0000-0000-000000000000" for i in range(5)]
    base = eg.grid(5)
    newer = eg.parcel(lid[2], "3", eg.square(eg.E0 + 40, eg.N0 + 3),
                      version="2025-06-01T00:00:00")
    wrong_area = eg.parcel(lid[3], "4", eg.square(eg.E0 + 60, eg.N0), area_ha="0.0300")
    older_twin = eg.parcel("q-dup", "5", eg.square(eg.E0 + 80, eg.N0 + 200),
                           version="2023-01-01T00:00:00")
    path = eg.write(tmp_path / "again.gml", base[0], base[1], base[2], newer, wrong_area,
                    base[4], older_twin)
    result = import_cadastre(path)
    assert result.run.status == ImportRun.Status.OK, result.run.message
    parcels = result.counts["parcels"]
    assert (parcels["created"], parcels["updated"], parcels["unchanged"],
            parcels["rejected"]) == (0, 1, 4, 1)
    assert Parcel.objects.get(local_id=lid[2]).version_id == "2025-06-01T00:00:00"
    assert FeatureVersion.objects.filter(local_id=lid[2]).count() == 1  # the 2024 version
    # the twin with the same parcel id and an older version loses against the stored one
    assert not Parcel.objects.filter(local_id="q-dup").exists()
    reasons = {(i["kind"], i["object_id"]): i["reason"] for i in result.issues}
    assert reasons[("rejected", "180501_1.0001.5")].startswith("duplicate parcel id")
    # an unchanged parcel's area difference is still in the run's report
    assert reasons[("area", "180501_1.0001.4")].startswith("legal area 300.00 m² vs geometric")
    assert len([k for k in reasons if k[0] == "area"]) == 1


def test_complete_extract_retires_absent_objects(tmp_path, loaded):
    result = import_cadastre(eg.write(tmp_path / "part.gml", *eg.grid(3)), complete=True)
    assert result.run.retired == 2
    assert Parcel.objects.filter(retired_at__isnull=True).count() == 3
    assert Parcel.objects.filter(retired_at__isnull=False).count() == 2  # kept, not deleted


def test_unresolved_and_resolved_references(tmp_path, loaded):
    member = eg.parcel("ref-1", "930", eg.square(eg.E0, eg.N0 + 400),
                       jrg="urn:pzgik:id:PL.PZGiK.9999.EGiB:missing-jrg")
    result = import_cadastre(eg.write(tmp_path / "ref.gml", member))
    assert result.ok and result.run.rejected == 0
    parcel = Parcel.objects.get(local_id="ref-1")
    assert parcel.unresolved_links == {"JRG2": ["urn:pzgik:id:PL.PZGiK.9999.EGiB:missing-jrg"]}


def test_advisory_lock_serialises_imports_of_one_municipality(tmp_path):
    """An import waits for the lock another import of the same town holds (here: timed out)."""
    import psycopg2

    from importers.services import LOCK_CLASS
    from layers.models import Municipality

    muni = Municipality.objects.create(teryt="180501_1", name="Jasło")
    before = snapshot()
    params = connection.get_connection_params()
    other = psycopg2.connect(**params)
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, muni.id))
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '300ms'")
        result = import_cadastre(eg.write(tmp_path / "wait.gml", *eg.grid(2, prefix="w")))
        _failed(result, "lock timeout")
    finally:
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = 0")
        other.close()
    assert snapshot() == before


def test_content_digest_is_stable(tmp_path):
    a = eg.write(tmp_path / "a.gml", *eg.grid(2)).read_bytes()
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(
        eg.write(tmp_path / "b.gml", *eg.grid(2)).read_bytes()).hexdigest()
