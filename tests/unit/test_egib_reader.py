"""The GML reader without a database: references, CRS names, axis order, geometry, safety."""

from __future__ import annotations

import math

import pytest
from lxml import etree

from importers.gml.crs import UnknownCRSError, parse_srs_name
from importers.gml.geometry import GeometryError, surface_ewkt
from importers.gml.reader import FormatError, Reader, normalise_href
from importers.gml.security import UnsafeXMLError, check_prolog
from tests.data import egib_samples as eg

GML = "http://www.opengis.net/gml/3.2"


@pytest.mark.parametrize(("href", "key"), [
    ("#PL.PZGiK.1004.EGiB_0402-aa_2024-11-14T11-31-36", "i:PL.PZGiK.1004.EGiB:0402-aa"),
    ("PL.PZGiK.1004.EGiB_0402-aa_2024-11-14T11-31-36", "i:PL.PZGiK.1004.EGiB:0402-aa"),
    ("urn:pzgik:id:PL.PZGiK.1385.EGiB:fa62-80:2011-04-04T11:31:45",
     "i:PL.PZGiK.1385.EGiB:fa62-80"),
    ("urn:pzgik:id:PL.PZGiK.1385.EGiB:fa62-80", "i:PL.PZGiK.1385.EGiB:fa62-80"),
    ("#ID-123", "g:ID-123"),
    ("pdm.0b7e", "g:pdm.0b7e"),
    ("  ", None),
])
def test_all_three_href_forms_normalise(href, key):
    assert normalise_href(href) == key


@pytest.mark.parametrize(("name", "srid", "swap"), [
    ("urn:ogc:def:crs:EPSG::2177", 2177, True),
    ("urn:ogc:def:crs:EPSG::2180", 2180, True),
    ("http://www.opengis.net/def/crs/EPSG/0/25830", 25830, False),
    ("http://www.opengis.net/def/crs/EPSG/0/2178", 2178, True),
    ("http://www.opengis.net/gml/srs/epsg.xml#4326", 4326, False),
    ("EPSG:4258", 4258, False),
    ("EPSG:2180", 2180, False),
    ("urn:x-ogc:def:crs:EPSG:4258", 4258, True),
    ("urn:ogc:def:crs:EPSG::4326", 4326, True),
    ("urn:ogc:def:crs:EPSG::6706", 6706, True),
    ("urn:ogc:def:crs:OGC:1.3:CRS84", 4326, False),
])
def test_srs_names_and_axis_order(name, srid, swap):
    info = parse_srs_name(name)
    assert (info.srid, info.swap) == (srid, swap)


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:EPSG::99999", "PL-2000 strefa 7", ""])
def test_unknown_crs(name):
    with pytest.raises(UnknownCRSError):
        parse_srs_name(name)


def _el(xml: str):
    return etree.fromstring(f'<x xmlns:gml="{GML}">{xml}</x>')[0]


def test_northing_first_is_swapped_and_holes_kept():
    poly = _el('<gml:Polygon srsName="urn:ogc:def:crs:EPSG::2178"><gml:exterior><gml:LinearRing>'
               "<gml:posList>100 200 100 300 200 300 200 200 100 200</gml:posList>"
               "</gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing>"
               "<gml:posList>120 220 180 220 180 280 120 220</gml:posList></gml:LinearRing>"
               "</gml:interior></gml:Polygon>")
    ewkt, srid = surface_ewkt(poly, None)
    assert srid == 2178
    assert ewkt.startswith("SRID=2178;MULTIPOLYGON(((200 100,300 100,")
    assert ewkt.count("(") == 4  # multipolygon, polygon, exterior, one hole


def test_surface_patches_3d_positions_and_gml2_coordinates():
    surface = _el('<gml:Surface srsName="EPSG:2180" srsDimension="3"><gml:patches>'
                  "<gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>"
                  "0 0 5 10 0 5 10 10 5 0 0 5</gml:posList></gml:LinearRing></gml:exterior>"
                  "</gml:PolygonPatch></gml:patches></gml:Surface>")
    assert surface_ewkt(surface, None)[0] == "SRID=2180;MULTIPOLYGON(((0 0,10 0,10 10,0 0)))"
    gml2 = _el('<gml:Polygon srsName="EPSG:2180"><gml:outerBoundaryIs><gml:LinearRing>'
               "<gml:coordinates>0,0 10,0 10,10 0,0</gml:coordinates></gml:LinearRing>"
               "</gml:outerBoundaryIs></gml:Polygon>")
    assert "((0 0,10 0,10 10,0 0))" in surface_ewkt(gml2, None)[0]


def test_arcs_are_linearised():
    # a full disc of radius 10 around (100, 100) as two half-circle arcs
    ring = _el('<gml:Polygon srsName="EPSG:2180"><gml:exterior><gml:Ring><gml:curveMember>'
               "<gml:Curve><gml:segments><gml:ArcString><gml:posList>"
               "90 100 100 110 110 100 100 90 90 100</gml:posList></gml:ArcString>"
               "</gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior>"
               "</gml:Polygon>")
    ewkt, _ = surface_ewkt(ring, None)
    pts = [tuple(map(float, p.split())) for p in ewkt.split("(((")[1].rstrip(")").split(",")]
    assert len(pts) > 100
    assert all(abs(math.dist(p, (100, 100)) - 10) < 1e-3 for p in pts)  # 0.1 mm rounding


@pytest.mark.parametrize(("poslist", "reason"), [
    ("0 0 10 0 0 0", "at least 4"),
    ("0 0 10 0 10 10 5 5", "not closed"),
    ("0 0 10 0 abc 10 0 0", "non-numeric"),
    ("0 0 10 0 10", "do not make 2-D positions"),
])
def test_unreadable_rings_are_refused_with_the_reason(poslist, reason):
    poly = _el('<gml:Polygon srsName="EPSG:2180"><gml:exterior><gml:LinearRing><gml:posList>'
               f"{poslist}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>")
    with pytest.raises(GeometryError, match=reason):
        surface_ewkt(poly, None)


def test_reader_keeps_versions_and_line_numbers(tmp_path):
    path = eg.write(tmp_path / "v.gml",
                    eg.parcel("a", "1", eg.square(eg.E0, eg.N0), version="2020-01-01T00:00:00",
                              end="2024-01-01T00:00:00"),
                    eg.parcel("a", "1", eg.square(eg.E0, eg.N0), version="2024-01-01T00:00:00"))
    reader = Reader(path)
    records = list(reader)
    assert [r.line for r in records] == [3, 4]
    assert records[0].version_end == "2024-01-01T00:00:00" and records[1].version_end is None
    assert reader.stats.schema == "egib2021"
    assert reader.stats.units["180501_1"] == 2
    assert records[1].attrs["legal_area_m2"] == "400.0000"
    assert records[1].attrs["land_uses"][0]["ofu"] == "B"


def test_reader_memory_does_not_keep_members(tmp_path):
    path = eg.write(tmp_path / "many.gml", *eg.grid(300))
    reader = Reader(path)
    roots = set()
    for rec in reader:
        assert rec.geom
        roots.add(rec.line)
    assert len(roots) == 300


def test_doctype_refused_before_parsing(tmp_path):
    path = tmp_path / "x.gml"
    path.write_text('<?xml version="1.0"?><!-- c --><!DOCTYPE x SYSTEM "http://example/x.dtd">'
                    "<x/>", encoding="utf-8")
    with pytest.raises(UnsafeXMLError):
        check_prolog(path)
    ok = tmp_path / "ok.gml"
    ok.write_text('<?xml version="1.0"?><!-- <!DOCTYPE in a comment is fine --><x/>',
                  encoding="utf-8")
    check_prolog(ok)


def test_wrong_root_is_a_format_error(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text("<gmd:MD_Metadata xmlns:gmd='http://www.isotc211.org/2005/gmd'/>",
                    encoding="utf-8")
    with pytest.raises(FormatError, match="not a GML/WFS FeatureCollection"):
        list(Reader(path))
