"""Every real sample file in ../shared/realdata, imported and compared with GDAL's reading.

GDAL (ogr2ogr, GML driver) is the independent reference: same objects, same identifiers,
geometries within 1 cm, legal areas as given. The shared folder is read-only and read in place:
-oo WRITE_GFS=NO keeps GDAL from writing .gfs files there, DOWNLOAD_SCHEMA=NO keeps it offline.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from importers.models import ImportRun
from importers.services import import_cadastre
from layers.models import Building, FeatureVersion, Municipality, Parcel
from tests.conftest import REALDATA, realdata_samples

GDAL = ["-oo", "WRITE_GFS=NO", "-oo", "DOWNLOAD_SCHEMA=NO", "-oo",
        "GML_ATTRIBUTES_TO_OGR_FIELDS=YES", "--config", "GML_FIELDTYPES", "ALWAYS_STRING"]
LAYERS = {
    "EGB_DzialkaEwidencyjna": "parcel", "EGB_Budynek": "building",
    "EGB_KonturUzytkuGruntowego": "landuse", "EGB_KonturKlasyfikacyjny": "landuse",
    "CadastralParcel": "parcel", "budynki": "building",
}
SWAPPED_BY_HAND = "gml_coordinates_lon_lat_order.xml"
NOT_FEATURES = {"A.ES.SDGC.CP.MD..40146.xml"}  # ISO 19139 metadata, not a feature collection
# (folder, number of buildings) of the samples whose buildings carry a placeholder id
PLACEHOLDER_BUILDING_IDS = ("egib2021_bartoszbiegalski_projects", 51)


def _samples() -> list:
    return realdata_samples(lambda p: p.suffix.lower() in (".gml", ".xml"))


def _gdal_layers(path: Path) -> list[str]:
    out = subprocess.run(["ogrinfo", "-ro", "-q", *GDAL[:4], str(path)], capture_output=True,
                         text=True, timeout=60).stdout
    return [m.group(1) for m in re.finditer(r"^\d+: (\S+)", out, re.M)]


def _gdal_features(path: Path, layer: str) -> dict:
    out = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", *GDAL, str(path), layer],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(out)


def _field(props: dict, *suffixes: str) -> str | None:
    for key, value in props.items():
        if any(key.lower().endswith(s.lower()) for s in suffixes) and value not in (None, ""):
            return str(value).strip()
    return None


def _srid(collection: dict, fallback: int) -> int:
    name = ((collection.get("crs") or {}).get("properties") or {}).get("name", "")
    m = re.search(r"EPSG::?(\d+)", name)
    return int(m.group(1)) if m else fallback


def _hausdorff(ours_id: int, table: str, gdal_geom: dict, srid: int) -> float:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT ST_HausdorffDistance(x.geom, ST_Transform(ST_Force2D(ST_SetSRID("
            f"ST_GeomFromGeoJSON(%s), %s)), 2180)) FROM {table} x WHERE x.id = %s",
            [json.dumps(gdal_geom), srid, ours_id])
        return cur.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize("path", _samples(), ids=lambda p: p.name if p else "missing")
def test_real_sample_matches_gdal(path: Path, realdata):
    if path.name in NOT_FEATURES:
        result = import_cadastre(path)
        assert result.run.status == ImportRun.Status.FAILED
        assert "not a GML/WFS FeatureCollection" in result.run.message
        return
    layers = [name for name in _gdal_layers(path) if name in LAYERS]
    group = path.relative_to(REALDATA).parts[0]
    if not group.startswith(("egib", "kieg")):
        _foreign_sample_read_as_gdal_and_refused(path, layers)
        return
    result = import_cadastre(path)
    if path.name == SWAPPED_BY_HAND:
        # GDAL reads it as x=52, y=20 (wrong); we refuse it and say why
        assert result.run.status == ImportRun.Status.FAILED
        assert "axes swapped" in result.run.message
        return
    assert result.ok, result.run.message
    rejected = [i for i in result.issues if i["kind"] == "rejected"]
    if group == PLACEHOLDER_BUILDING_IDS[0]:
        # the training files give all their buildings the id 061304_5.0012.0, outside the
        # EGiB grammar (WWPPGG_R.OOOO.NUMBER_BUD): each is rejected, saying so
        assert len(rejected) == PLACEHOLDER_BUILDING_IDS[1], rejected
        assert all(i["object_id"] == "061304_5.0012.0" and "not an EGiB building id"
                   in i["reason"] for i in rejected)
        layers = [name for name in layers if name != "EGB_Budynek"]
    else:
        assert result.run.rejected == 0, result.issues
    for layer in layers:
        collection = _gdal_features(path, layer)
        kind = LAYERS[layer]
        model = Parcel if kind == "parcel" else Building if kind == "building" else None
        for feat in collection["features"]:
            props = feat["properties"]
            if model is None:
                continue
            if layer == "budynki":
                key = ("KIEG", _field(props, "ID_BUDYNKU"))
                version = None
            elif layer.startswith("EGB_"):
                key = (_field(props, "przestrzenNazw"), _field(props, "lokalnyId"))
                version = _field(props, "wersjaId")
            else:
                key = (_field(props, "namespace") or "INSPIRE", _field(props, "localId"))
                version = _field(props, "versionId")
            row = model.objects.filter(source_namespace=key[0], local_id=key[1]).first()
            assert row is not None, f"{layer} {key} is missing"
            is_current = version is None or row.version_id == version
            if not is_current:  # an older version: in the history, same identity
                assert FeatureVersion.objects.filter(
                    feature_type=kind, source_namespace=key[0], local_id=key[1],
                    version_id=version).exists(), f"history of {key} {version} missing"
                continue
            if feat["geometry"] is not None:
                srid = _srid(collection, _reader_srid(path))
                table = model._meta.db_table
                assert _hausdorff(row.id, table, feat["geometry"], srid) < 0.01, key
            if kind == "parcel":
                ident = _field(props, "idDzialki") or _field(props, "nationalCadastralReference")
                if ident:
                    assert row.cadastral_id == ident
                legal = _field(props, "poleEwidencyjne", "powierzchniaEwidencyjna")
                if legal and layer.startswith("EGB_"):
                    assert row.legal_area_m2 == (Decimal(legal) * 10000).quantize(Decimal("0.01"))
                area = _field(props, "areaValue")
                if area:
                    assert row.legal_area_m2 == Decimal(area).quantize(Decimal("0.01"))
            else:
                ident = _field(props, "idBudynku", "ID_BUDYNKU")
                assert row.building_id == ident


def _foreign_sample_read_as_gdal_and_refused(path: Path, layers: list[str]) -> None:
    """INSPIRE parcels of another country: read as GDAL reads them (identifiers, areas,
    geometries within 1 cm, in their own CRS), and refused object by object in Jasło."""
    from importers.gml.reader import Reader

    records = {}
    reader = Reader(path)
    for rec in reader:
        records.setdefault((rec.ns, rec.local_id), []).append(rec)
    for layer in layers:
        collection = _gdal_features(path, layer)
        for feat in collection["features"]:
            props = feat["properties"]
            key = (_field(props, "namespace") or "INSPIRE", _field(props, "localId"))
            version = _field(props, "versionId")
            assert key in records, f"{layer} {key} is missing"
            rec = next((r for r in records[key] if version is None or r.version_id == version),
                       None)
            assert rec is not None, f"{key} version {version} is missing"
            ident = _field(props, "nationalCadastralReference")
            if ident:
                assert rec.attrs["cadastral_id"] == ident
            area = _field(props, "areaValue")
            if area:
                assert Decimal(rec.attrs["legal_area_m2"]) == Decimal(area)
            if feat["geometry"] is not None and rec.geom:
                srid = _srid(collection, _reader_srid(path))
                with connection.cursor() as cur:
                    cur.execute("SELECT ST_HausdorffDistance(ST_GeomFromEWKT(%s), "
                                "ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(%s), %s))), "
                                "ST_SRID(ST_GeomFromEWKT(%s)) = 4326 OR EXISTS (SELECT 1 "
                                "FROM spatial_ref_sys WHERE srid = %s AND proj4text "
                                "LIKE '%%longlat%%')",
                                [rec.geom, json.dumps(feat["geometry"]), srid, rec.geom, srid])
                    distance, degrees = cur.fetchone()
                assert distance < (1e-7 if degrees else 0.01), key
    Municipality.objects.get_or_create(teryt="180501_1", defaults={"name": "Jasło"})
    result = import_cadastre(path, municipality="180501_1")
    assert not Parcel.objects.exists() and not Building.objects.exists()
    if not reader.stats.features:
        return  # no cadastral features (e.g. zoning only): nothing to refuse
    assert result.run.status == ImportRun.Status.FAILED, result.run.message
    assert "objects was rejected" in result.run.message
    assert result.issues and all(i["kind"] != "rejected" or "outside Poland" in i["reason"]
                                 for i in result.issues)


@functools.lru_cache(maxsize=8)
def _reader_srid(path: Path) -> int:
    from importers.gml.reader import Reader

    reader = Reader(path)
    for _ in reader:
        pass
    assert len(reader.stats.srids) == 1
    return next(iter(reader.stats.srids))


@pytest.mark.django_db
def test_2021_sample_has_29_current_parcels_and_history(realdata):
    path = realdata / "egib2021_bartoszbiegalski_projects" / "dane-EGiB.gml"
    result = import_cadastre(path)
    assert result.ok, result.run.message
    parcels = Parcel.objects.filter(municipality__teryt="061304_5")
    assert parcels.count() == 29
    assert FeatureVersion.objects.filter(feature_type="parcel").count() == 47 - 29
    # its buildings all carry the placeholder id 061304_5.0012.0: rejected, each saying why
    assert not Building.objects.exists()
    assert result.run.rejected == 51
    # every parcel carries its inline klasoużytek
    assert all(p.land_uses.count() >= 1 for p in parcels)
    # re-import: nothing changes, and the run says so
    again = import_cadastre(path)
    assert again.run.status == ImportRun.Status.UNCHANGED
    assert again.run.created == again.run.updated == again.run.retired == 0
    assert "nothing changed" in again.run.message


@pytest.mark.django_db
def test_2015_sample_keeps_external_links_unresolved(realdata):
    path = realdata / "egib2015_EWID_Tools" / "221101_1.0001.566_7.gml"
    result = import_cadastre(path)
    assert result.ok
    parcel = Parcel.objects.get(cadastral_id="221101_1.0001.566/7")
    assert parcel.registration_unit is None
    assert parcel.unresolved_links["JRG2"][0].startswith("urn:pzgik:id:PL.PZGiK.1385.EGiB:")
    assert len(parcel.unresolved_links["punktGranicyDzialki"]) >= 3
    # the recorded area is kept (0.4173 ha) although the polygon measures about 0.3963 ha
    assert parcel.legal_area_m2 == Decimal("4173.00")
    assert any(i["kind"] == "area" for i in result.issues)
