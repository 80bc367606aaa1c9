"""The 2015 schema with owners: bt:BT_Identyfikator, urn:pzgik:id links, numeric KŚT, and the
wrapped ``EGB_Podmiot`` / ``EGB_JednostkaRejestrowa`` share forms next to the direct ones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from importers.services import import_cadastre
from layers.models import Building, Parcel, RegistrationUnit, Share, Subject

NS = "PL.PZGiK.1385.EGiB"
EGB = "urn:gugik:specyfikacje:gmlas:ewidencjaGruntowBudynkow:1.0"
BT = "urn:gugik:specyfikacje:gmlas:modelPodstawowy:1.0"


def ident(lid: str) -> str:
    return (f"<egb:idIIP><bt:BT_Identyfikator><bt:lokalnyId>{lid}</bt:lokalnyId>"
            f"<bt:przestrzenNazw>{NS}</bt:przestrzenNazw><bt:wersjaId>2017-01-01T00:00:00"
            "</bt:wersjaId></bt:BT_Identyfikator></egb:idIIP>"
            "<egb:startObiekt>2017-01-01T00:00:00</egb:startObiekt>"
            "<egb:startWersjaObiekt>2017-01-01T00:00:00</egb:startWersjaObiekt>")


def urn(lid: str) -> str:
    return f"urn:pzgik:id:{NS}:{lid}"


def member(kind: str, lid: str, body: str) -> str:
    return (f'<gml:featureMember><egb:{kind} gml:id="{NS}_{lid}_2017-01-01T00-00-00">'
            f"{ident(lid)}{body}</egb:{kind}></gml:featureMember>\n")


RING = ("6053340.19 6551647.46 6053372.71 6551627.03 6053369.47 6551622.83 "
        "6053339.42 6551644.5 6053340.19 6551647.46")


def build(path):
    parts = [
        member("EGB_JednostkaRejestrowaGruntow", "jrg-1",
               "<egb:idJednostkiRejestrowej>221101_1.0001.G12</egb:idJednostkiRejestrowej>"
               "<egb:grupaRejestrowa>7</egb:grupaRejestrowa>"),
        member("EGB_OsobaFizyczna", "os-1",
               "<egb:pierwszeImie>Jan</egb:pierwszeImie><egb:pierwszyCzlonNazwiska>Kowalski"
               "</egb:pierwszyCzlonNazwiska><egb:pesel>00010100019</egb:pesel>"),
        member("EGB_OsobaFizyczna", "os-2",
               "<egb:pierwszeImie>Anna</egb:pierwszeImie><egb:pierwszyCzlonNazwiska>Kowalska"
               "</egb:pierwszyCzlonNazwiska>"),
        member("EGB_Malzenstwo", "mal-1",
               f'<egb:osobaFizyczna2 xlink:href="{urn("os-2")}"/>'
               f'<egb:osobaFizyczna3 xlink:href="{urn("os-1")}"/><egb:status>34</egb:status>'),
        member("EGB_Instytucja", "inst-1",
               "<egb:nazwaPelna>Gmina Hel</egb:nazwaPelna><egb:regon>191675383</egb:regon>"
               "<egb:status>4</egb:status>"),
        # wrapped form on both ends (2015 model)
        member("EGB_UdzialWeWlasnosci", "udz-1",
               "<egb:rodzajPrawa>1</egb:rodzajPrawa>"
               "<egb:licznikUlamkaOkreslajacegoWartoscUdzialu>3"
               "</egb:licznikUlamkaOkreslajacegoWartoscUdzialu>"
               "<egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>4"
               "</egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>"
               '<egb:podmiotUdzialuWlasnosci><egb:EGB_Podmiot gml:id="w1">'
               f'<egb:malzenstwo xlink:href="{urn("mal-1")}"/></egb:EGB_Podmiot>'
               "</egb:podmiotUdzialuWlasnosci>"
               '<egb:przedmiotUdzialuWlasnosci><egb:EGB_JednostkaRejestrowa gml:id="w2">'
               f'<egb:JRG xlink:href="{urn("jrg-1")}"/></egb:EGB_JednostkaRejestrowa>'
               "</egb:przedmiotUdzialuWlasnosci>"),
        # direct form
        member("EGB_UdzialWeWlasnosci", "udz-2",
               "<egb:rodzajPrawa>1</egb:rodzajPrawa>"
               "<egb:licznikUlamkaOkreslajacegoWartoscUdzialu>1"
               "</egb:licznikUlamkaOkreslajacegoWartoscUdzialu>"
               "<egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>4"
               "</egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>"
               f'<egb:podmiotUdzialuWlasnosci xlink:href="#{NS}_inst-1_2017-01-01T00-00-00"/>'
               f'<egb:przedmiotUdzialuWlasnosci xlink:href="{urn("jrg-1")}"/>'),
        member("EGB_UdzialWeWladaniu", "wl-1",
               "<egb:rodzajWladania>2</egb:rodzajWladania>"
               f'<egb:podmiotUdzialuWeWladaniu xlink:href="{urn("inst-1")}"/>'
               f'<egb:przedmiotUdzialuWladania xlink:href="{urn("jrg-1")}"/>'),
        member("EGB_DzialkaEwidencyjna", "dz-1",
               "<egb:idDzialki>221101_1.0001.111/2</egb:idDzialki>"
               '<egb:powierzchniaEwidencyjna uom="ha">0.0150</egb:powierzchniaEwidencyjna>'
               '<egb:geometria><gml:Polygon gml:id="g1" srsName="urn:ogc:def:crs:EPSG::2177">'
               f"<gml:exterior><gml:LinearRing><gml:posList>{RING}</gml:posList>"
               "</gml:LinearRing></gml:exterior></gml:Polygon></egb:geometria>"
               f'<egb:lokalizacjaDzialki2 xlink:href="{urn("obreb-x")}"/>'
               f'<egb:JRG2 xlink:href="{urn("jrg-1")}"/>'),
        member("EGB_Budynek", "bud-1",
               "<egb:idBudynku>221101_1.0001.111/2.1_BUD</egb:idBudynku>"
               "<egb:rodzajWgKST>110</egb:rodzajWgKST>"
               "<egb:liczbaKondygnacjiNadziemnych>2</egb:liczbaKondygnacjiNadziemnych>"
               '<egb:geometria><gml:MultiSurface gml:id="g2" '
               'srsName="urn:ogc:def:crs:EPSG::2177"><gml:surfaceMember><gml:Polygon '
               f'gml:id="g3"><gml:exterior><gml:LinearRing><gml:posList>{RING}</gml:posList>'
               "</gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>"
               "</gml:MultiSurface></egb:geometria>"
               f'<egb:dzialkaZabudowana xlink:href="{urn("dz-1")}"/>'),
    ]
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gml:FeatureCollection gml:id="fc" '
        f'xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:egb="{EGB}" xmlns:bt="{BT}" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">\n' + "".join(parts)
        + "</gml:FeatureCollection>\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_2015_owners_shares_and_buildings(tmp_path):
    result = import_cadastre(build(tmp_path / "hel.gml"))
    assert result.ok and result.run.rejected == 0, (result.run.message, result.issues)
    assert result.run.schema == "egib2015"
    jrg = RegistrationUnit.objects.get(unit_id="221101_1.0001.G12")
    parcel = Parcel.objects.get(cadastral_id="221101_1.0001.111/2")
    assert parcel.registration_unit == jrg and parcel.legal_area_m2 == Decimal("150.00")
    assert parcel.unresolved_links == {"lokalizacjaDzialki2": [
        "urn:pzgik:id:PL.PZGiK.1385.EGiB:obreb-x"]}
    marriage = Subject.objects.get(local_id="mal-1")
    assert marriage.kind == "marriage" and marriage.members.count() == 2
    assert marriage.name == "Kowalska Anna i Kowalski Jan"
    wrapped = Share.objects.get(local_id="udz-1")
    assert (wrapped.subject, wrapped.registration_unit) == (marriage, jrg)
    assert (wrapped.numerator, wrapped.denominator) == (3, 4)
    direct = Share.objects.get(local_id="udz-2")
    assert direct.subject.name == "Gmina Hel" and direct.registration_unit == jrg
    possession = Share.objects.get(local_id="wl-1")
    assert possession.kind == "possession" and possession.right == 2
    building = Building.objects.get(building_id="221101_1.0001.111/2.1_BUD")
    assert (building.kind, building.kind_source) == ("m", "110")
    assert list(building.parcels.all()) == [parcel]
