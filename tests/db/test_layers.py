"""The spatial register on the real PostGIS: constraints, spatial queries, SRIDs."""

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import IntegrityError, connection, transaction

from layers.models import Parcel
from layers.selectors import parcel_at_point

pytestmark = pytest.mark.django_db


def test_extensions_are_installed():
    with connection.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension")
        names = {r[0] for r in cur.fetchall()}
    assert {"postgis", "pg_trgm", "unaccent"} <= names


def test_invalid_geometry_is_refused_by_name(make_parcel):
    bowtie = Polygon(((0, 0), (10, 10), (10, 0), (0, 10), (0, 0)), srid=2180)
    with pytest.raises(IntegrityError, match="parcel_geom_valid"), transaction.atomic():
        make_parcel("1", 0, 0, geom=MultiPolygon(bowtie, srid=2180))
    assert Parcel.objects.count() == 0


def test_duplicate_source_identity_is_refused(make_parcel):
    make_parcel("1", 677_000, 211_000, local_id="abc")
    with pytest.raises(IntegrityError, match="parcel_source_identity_uniq"), transaction.atomic():
        make_parcel("2", 677_100, 211_000, local_id="abc")
    assert Parcel.objects.count() == 1


def test_two_active_parcels_cannot_share_an_id_but_a_retired_one_can(make_parcel):
    from django.utils import timezone

    old = make_parcel("7", 677_000, 211_000, local_id="old")
    with pytest.raises(IntegrityError, match="parcel_active_cadastral_id_uniq"), \
            transaction.atomic():
        make_parcel("7", 677_100, 211_000, local_id="new")
    old.retired_at = timezone.now()
    old.save()
    make_parcel("7", 677_100, 211_000, local_id="new")
    assert Parcel.objects.filter(cadastral_id=old.cadastral_id).count() == 2


def test_geometric_area_is_derived_and_legal_area_kept(make_parcel):
    p = make_parcel("1", 677_000, 211_000, size=20, legal_area_m2=412)
    p.refresh_from_db()
    assert p.geom_area_m2 == pytest.approx(400.0)
    assert float(p.legal_area_m2) == 412.0


def test_parcel_at_point_in_several_srids(make_parcel):
    a = make_parcel("1", 677_000, 211_000, size=50)
    make_parcel("2", 677_050, 211_000, size=50)
    # The stored point in WGS 84 (what the map sends) and back through PL-2000 zone 7.
    pt = GEOSGeometry("SRID=2180;POINT(677010 211010)")
    wgs = pt.transform(4326, clone=True)
    assert parcel_at_point(None, wgs.x, wgs.y)["id"] == a.id
    z7 = pt.transform(2178, clone=True).transform(4326, clone=True)
    assert parcel_at_point(None, z7.x, z7.y)["id"] == a.id
    far = GEOSGeometry("SRID=2180;POINT(600000 200000)").transform(4326, clone=True)
    assert parcel_at_point(None, far.x, far.y) is None


def test_gist_indexes_are_named_and_used(make_parcel):
    for i in range(50):
        make_parcel(str(i), 677_000 + i * 30, 211_000)
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'layers_parcel'")
        assert "parcel_geom_gist" in {r[0] for r in cur.fetchall()}
        cur.execute("SET enable_seqscan = off")
        cur.execute("EXPLAIN SELECT id FROM layers_parcel WHERE geom && "
                    "ST_MakeEnvelope(677000, 211000, 677100, 211100, 2180)")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "parcel_geom_gist" in plan
