"""The demo town: Jasło (TERYT 180501_1) as an EGiB 2021 GML file plus GeoPackages.

Deterministic (seeded), streamed to disk (100,000 parcels need no more memory than 1,000),
written as a county would: PL-2000 zone 7 (EPSG:2178), ``urn:ogc:def:crs:EPSG::2178`` with
northing first, IdIIP identities, ``#gml:id`` references and the inline klasoużytek.

The town is a street grid of blocks around the real centre (E 7 533 988 / N 5 512 167): small
built-up plots in the centre (B, Bi, multi-storey buildings), houses further out, an industrial
sector (Ba), fields with soil classes (R), forest (Ls) at one edge, a park, and a river (Wp)
crossing the town from north to south. Roads, the park and some plots are municipal land
(JRG group 4); the river belongs to the State Treasury and is managed by Wody Polskie.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from layers.domain.identifiers import kw_check_digit

TERYT = "180501_1"
TOWN = "Jasło"
NAMESPACE = "PL.PZGiK.1805.EGiB"
SRID = 2178
SRS = "urn:ogc:def:crs:EPSG::2178"
CENTRE_E = 7_533_988.0
CENTRE_N = 5_512_167.0
VERSION = "2024-03-15T10:00:00"
VERSION_ID = VERSION.replace(":", "-")
BLOCK_W, BLOCK_H, ROAD = 160.0, 100.0, 12.0
PITCH_W, PITCH_H = BLOCK_W + ROAD, BLOCK_H + ROAD
PRECINCTS = {"0001": "Śródmieście", "0002": "Gamrat", "0003": "Sobniów", "0004": "Ulaszowice"}
STREETS_EW = ["Kościuszki", "Żółkiewskiego", "Łukasiewicza", "Mickiewicza", "Słowackiego",
              "3 Maja", "Szopena", "Kołłątaja", "Staszica", "Śniadeckich", "Piłsudskiego",
              "Sikorskiego", "Kasprowicza", "Konopnickiej", "Orzeszkowej", "Żeromskiego",
              "Reymonta", "Grunwaldzka", "Źródlana", "Ogrodowa", "Polna", "Leśna", "Łąkowa",
              "Sądecka", "Krakowska", "Czackiego", "Jagiełły", "Wyspiańskiego", "Moniuszki",
              "Batorego"]
STREETS_NS = ["Rynek", "Kilińskiego", "Śląska", "Floriańska", "Baczyńskiego", "Kopernika",
              "Miłosza", "Zielona", "Świętokrzyska", "Wojska Polskiego", "Hallera", "Różana",
              "Bema", "Dębowa", "Księdza Skargi", "Lwowska", "Armii Krajowej", "Kasztanowa",
              "Wincentego Pola", "Fredry", "Niepodległości", "Słoneczna", "Jaśminowa", "Klonowa",
              "Brzozowa", "Szkolna", "Chopina", "Targowa", "Kraszewskiego", "Dworcowa"]
SURNAMES = [("Kowalski", "Kowalska"), ("Nowak", "Nowak"), ("Wiśniewski", "Wiśniewska"),
            ("Wójcik", "Wójcik"), ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"),
            ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
            ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"),
            ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"), ("Mazur", "Mazur"),
            ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"), ("Grabowski", "Grabowska"),
            ("Pawłowski", "Pawłowska"), ("Michalski", "Michalska"), ("Król", "Król"),
            ("Wróbel", "Wróbel"), ("Jabłoński", "Jabłońska"), ("Łukasik", "Łukasik"),
            ("Żak", "Żak"), ("Ślusarczyk", "Ślusarczyk")]
MEN = ["Jan", "Piotr", "Andrzej", "Krzysztof", "Stanisław", "Tomasz", "Paweł", "Józef",
       "Marcin", "Łukasz", "Michał", "Grzegorz", "Wojciech", "Zbigniew", "Jerzy"]
WOMEN = ["Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
         "Elżbieta", "Zofia", "Joanna", "Magdalena", "Danuta", "Jadwiga", "Łucja"]
INSTITUTIONS = [  # name, registration group, status, regon
    ("Gmina Miasto Jasło", 4, 4, "370440535"),
    ("Skarb Państwa", 1, 3, ""),
    ("Państwowe Gospodarstwo Wodne Wody Polskie", 3, 6, "368302575"),
    ("Spółdzielnia Mieszkaniowa „Nasz Dom” w Jaśle", 8, 23, "000488321"),
    ("Parafia Rzymskokatolicka pw. Świętej Trójcy w Jaśle (fikcyjna)", 9, 26, "000000001"),
    ("Jasielskie Zakłady Przemysłowe Demo Sp. z o.o.", 15, 29, "000000002"),
    ("Podkarpacka Spółka Handlowa Demo S.A.", 15, 29, "000000003"),
]
def kw_number(serial: int) -> str:
    """A KW number of the Jasło court (KS1J) with its real check digit (weights 1, 3, 7)."""
    return f"KS1J/{serial:08d}/{kw_check_digit('KS1J', f'{serial:08d}')}"


def fake_pesel(serial: int, female: bool) -> str:
    """Well-formed (valid check digit) and obviously fake: everybody born on 1 January 1900."""
    base = f"000101{serial % 1000:03d}{(serial * 2 + (0 if female else 1)) % 10}"
    digit = int(base[-1])
    if female and digit % 2:
        digit = (digit + 1) % 10
    if not female and digit % 2 == 0:
        digit = (digit + 1) % 10
    base = base[:-1] + str(digit)
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 10) % 10
    return base + str(check)


def _lid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "geogmina-demo/" + "/".join(map(str, parts))))


def _gid(lid: str) -> str:
    return f"{NAMESPACE}_{lid}_{VERSION_ID}"


def _ring(coords: list[tuple[float, float]]) -> str:
    """(e, n) local offsets → a northing-first posList, closed."""
    pts = [*coords, coords[0]]
    return " ".join(f"{CENTRE_N + n:.2f} {CENTRE_E + e:.2f}" for e, n in pts)


def _rect(e0: float, n0: float, e1: float, n1: float) -> list[tuple[float, float]]:
    return [(e0, n0), (e1, n0), (e1, n1), (e0, n1)]


def _polygon(coords: list[tuple[float, float]], gid: str) -> str:
    return (f'<gml:Polygon gml:id="{gid}" srsName="{SRS}"><gml:exterior><gml:LinearRing>'
            f"<gml:posList>{_ring(coords)}</gml:posList></gml:LinearRing></gml:exterior>"
            "</gml:Polygon>")


def _area(coords: list[tuple[float, float]]) -> float:
    s = 0.0
    for (x0, y0), (x1, y1) in zip(coords, [*coords[1:], coords[0]], strict=True):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2


def _ident(lid: str) -> str:
    return (f"<egb:idIIP><egb:EGB_IdentyfikatorIIP><egb:lokalnyId>{lid}</egb:lokalnyId>"
            f"<egb:przestrzenNazw>{NAMESPACE}</egb:przestrzenNazw>"
            f"<egb:wersjaId>{VERSION}</egb:wersjaId></egb:EGB_IdentyfikatorIIP></egb:idIIP>"
            f"<egb:startObiekt>{VERSION}</egb:startObiekt>"
            f"<egb:startWersjaObiekt>{VERSION}</egb:startWersjaObiekt>")


def _member(body: str) -> str:
    return f"<gml:featureMember>{body}</gml:featureMember>\n"


@dataclass
class DemoTown:
    parcels: int = 3000
    seed: int = 1805
    counts: dict = field(default_factory=dict)
    # (parcels, grid) of the last grid computed: every plot asks for it (its precinct)
    _grid_memo: tuple[int, tuple[int, int]] | None = field(default=None, init=False,
                                                           repr=False, compare=False)

    # ---- layout --------------------------------------------------------------------------
    def grid(self) -> tuple[int, int]:
        """Blocks (columns, rows) enough for ``parcels`` plots, about square; computed once
        per number of plots (the capacity search walks every block of every candidate side)."""
        memo = self._grid_memo
        if memo is None or memo[0] != self.parcels:
            memo = self._grid_memo = (self.parcels, self.compute_grid())
        return memo[1]

    def compute_grid(self) -> tuple[int, int]:
        """The grid without the memo."""
        per_block = 5.0
        side = max(3, math.ceil(math.sqrt(self.parcels / per_block)))
        while self._capacity(side, side) < self.parcels:
            side += 1
        return side, side

    def _zone(self, col: int, row: int, cols: int, rows: int) -> str:
        ci, ri = col - cols // 2, row - rows // 2
        d = math.hypot(ci * PITCH_W, ri * PITCH_H)
        radius = math.hypot(cols * PITCH_W, rows * PITCH_H) / 2
        if col == cols // 2 + 2:
            return "river"
        if (ci, ri) == (-1, 1):
            return "park"
        if d < 0.22 * radius:
            return "centre"
        if ci > 1 and ri < -1 and d < 0.6 * radius:
            return "industrial"
        if d < 0.55 * radius:
            return "houses"
        if ri > 0 and ci < 0 and d > 0.75 * radius:
            return "forest"
        return "fields"

    @staticmethod
    def _split(zone: str) -> tuple[int, int]:
        return {"centre": (4, 2), "houses": (3, 2), "industrial": (2, 1), "fields": (2, 1),
                "forest": (1, 1), "park": (1, 1), "river": (3, 1)}[zone]

    def _capacity(self, cols: int, rows: int) -> int:
        total = 0
        for c in range(cols):
            for r in range(rows):
                zone = self._zone(c, r, cols, rows)
                if zone not in ("river", "park"):
                    a, b = self._split(zone)
                    total += a * b
        return total

    def origin(self) -> tuple[float, float]:
        cols, rows = self.grid()
        return -(cols * PITCH_W) / 2, -(rows * PITCH_H) / 2

    def extent_local(self) -> tuple[float, float, float, float]:
        cols, rows = self.grid()
        e0, n0 = self.origin()
        return e0 - ROAD, n0 - ROAD, e0 + cols * PITCH_W, n0 + rows * PITCH_H

    @staticmethod
    def to_2178(e: float, n: float) -> tuple[float, float]:
        """Local offsets → (easting, northing) in EPSG:2178."""
        return CENTRE_E + e, CENTRE_N + n

    def precinct(self, col: int, row: int) -> str:
        cols, rows = self.grid()
        return "000" + str(1 + (col >= cols // 2) + 2 * (row >= rows // 2))

    # ---- GML -----------------------------------------------------------------------------
    def write_gml(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                     '<gml:FeatureCollection gml:id="demo-jaslo" '
                     'xmlns:gml="http://www.opengis.net/gml/3.2" '
                     'xmlns:xlink="http://www.w3.org/1999/xlink" '
                     'xmlns:egb="ewidencjaGruntowIBudynkow:1.0">\n')
            for chunk in self.features():
                fh.write(chunk)
            fh.write("</gml:FeatureCollection>\n")
        return path

    def features(self) -> Iterator[str]:
        rnd = random.Random(self.seed)  # noqa: S311 (demo data, not security)
        counts = dict.fromkeys(("parcels", "buildings", "addresses", "subjects", "units",
                                "shares", "contours"), 0)
        cols, rows = self.grid()
        e0, n0 = self.origin()
        # precincts
        for num, name in PRECINCTS.items():
            lid = _lid("precinct", num)
            yield _member(f'<egb:EGB_ObrebEwidencyjny gml:id="{_gid(lid)}">{_ident(lid)}'
                          f"<egb:idObrebu>{TERYT}.{num}</egb:idObrebu>"
                          f"<egb:nazwaWlasna>{escape(name)}</egb:nazwaWlasna>"
                          "</egb:EGB_ObrebEwidencyjny>")
        # institutions
        inst_ids = {}
        for i, (name, _group, status, regon) in enumerate(INSTITUTIONS):
            lid = _lid("institution", i)
            inst_ids[name] = lid
            counts["subjects"] += 1
            yield _member(f'<egb:EGB_Instytucja gml:id="{_gid(lid)}">{_ident(lid)}'
                          f"<egb:nazwaPelna>{escape(name)}</egb:nazwaPelna>"
                          f"<egb:regon>{regon}</egb:regon><egb:status>{status}</egb:status>"
                          "</egb:EGB_Instytucja>")
        municipality, treasury, waters = (inst_ids["Gmina Miasto Jasło"],
                                          inst_ids["Skarb Państwa"],
                                          inst_ids["Państwowe Gospodarstwo Wodne Wody Polskie"])
        companies = [inst_ids[n] for n, g, *_ in INSTITUTIONS if g in (8, 9, 15)]
        state: dict[str, Any] = {"unit": 0, "share": 0, "person": 0, "kw": 12345, "parcel": {},
                                 "bld": {}, "addr": 0, "ug": {}, "kl": {}}

        def person() -> Iterator[str | tuple[str, str]]:
            state["person"] += 1
            k = state["person"]
            female = rnd.random() < 0.5
            surname = rnd.choice(SURNAMES)[1 if female else 0]
            given = rnd.choice(WOMEN if female else MEN)
            lid = _lid("person", k)
            counts["subjects"] += 1
            yield _member(
                f'<egb:EGB_OsobaFizyczna gml:id="{_gid(lid)}">{_ident(lid)}'
                f"<egb:pierwszeImie>{given}</egb:pierwszeImie>"
                f"<egb:pierwszyCzlonNazwiska>{surname}</egb:pierwszyCzlonNazwiska>"
                f"<egb:pesel>{fake_pesel(k, female)}</egb:pesel>"
                f"<egb:plec>{2 if female else 1}</egb:plec><egb:status>1</egb:status>"
                "</egb:EGB_OsobaFizyczna>")
            yield ("id", lid)

        def subject_of(kind: str) -> Iterator[str | tuple[str, str]]:
            if kind == "person":
                yield from person()
            elif kind == "marriage":
                ids = []
                for _ in range(2):
                    for item in person():
                        if isinstance(item, tuple):
                            ids.append(item[1])
                        else:
                            yield item
                lid = _lid("marriage", ids[0])
                counts["subjects"] += 1
                yield _member(
                    f'<egb:EGB_Malzenstwo gml:id="{_gid(lid)}">{_ident(lid)}'
                    f'<egb:osobaFizyczna2 xlink:href="#{_gid(ids[0])}"/>'
                    f'<egb:osobaFizyczna3 xlink:href="#{_gid(ids[1])}"/>'
                    "<egb:status>34</egb:status></egb:EGB_Malzenstwo>")
                yield ("id", lid)

        def unit(group: int, precinct: str, owners: list[tuple[str, int, int]],
                 possession: tuple[str, int] | None = None) -> Iterator[str | tuple[str, str]]:
            state["unit"] += 1
            k = state["unit"]
            lid = _lid("jrg", k)
            counts["units"] += 1
            yield _member(
                f'<egb:EGB_JednostkaRejestrowaGruntow gml:id="{_gid(lid)}">{_ident(lid)}'
                f"<egb:idJednostkiRejestrowej>{TERYT}.{precinct}.G{k}</egb:idJednostkiRejestrowej>"
                f"<egb:grupaRejestrowa>{group}</egb:grupaRejestrowa>"
                "</egb:EGB_JednostkaRejestrowaGruntow>")
            for owner, num, den in owners:
                state["share"] += 1
                slid = _lid("share", state["share"])
                counts["shares"] += 1
                wrapped = state["share"] % 5 == 0  # the older wrapped form, as counties send it
                subj = (f'<egb:podmiotUdzialuWlasnosci><egb:EGB_Podmiot gml:id="p{slid}">'
                        f'<egb:osobaFizyczna xlink:href="urn:pzgik:id:{NAMESPACE}:{owner}"/>'
                        "</egb:EGB_Podmiot></egb:podmiotUdzialuWlasnosci>" if wrapped else
                        f'<egb:podmiotUdzialuWlasnosci xlink:href="#{_gid(owner)}"/>')
                yield _member(
                    f'<egb:EGB_UdzialWeWlasnosci gml:id="{_gid(slid)}">{_ident(slid)}'
                    f"<egb:rodzajPrawa>1</egb:rodzajPrawa>"
                    f"<egb:licznikUlamkaOkreslajacegoWartoscUdzialu>{num}"
                    "</egb:licznikUlamkaOkreslajacegoWartoscUdzialu>"
                    f"<egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>{den}"
                    "</egb:mianownikUlamkaOkreslajacegoWartoscUdzialu>"
                    f"{subj}"
                    f'<egb:przedmiotUdzialuWlasnosci xlink:href="#{_gid(lid)}"/>'
                    "</egb:EGB_UdzialWeWlasnosci>")
            if possession:
                state["share"] += 1
                slid = _lid("share", state["share"])
                counts["shares"] += 1
                yield _member(
                    f'<egb:EGB_UdzialWeWladaniu gml:id="{_gid(slid)}">{_ident(slid)}'
                    f"<egb:rodzajWladania>{possession[1]}</egb:rodzajWladania>"
                    f'<egb:podmiotUdzialuWeWladaniu xlink:href="#{_gid(possession[0])}"/>'
                    f'<egb:przedmiotUdzialuWladania xlink:href="#{_gid(lid)}"/>'
                    "</egb:EGB_UdzialWeWladaniu>")
            yield ("id", lid)

        def emit(gen) -> Iterator[str]:
            """Yield the XML of a sub-generator, remember the id it ends with."""
            for item in gen:
                if isinstance(item, tuple):
                    state["last"] = item[1]
                else:
                    yield item

        def parcel(precinct: str, coords, ofu: str, jrg: str, *, ozu: str = "",
                   ozk: str = "", kw: str | None = None, address: str | None = None,
                   label: str | None = None, contours: bool = True) -> Iterator[str]:
            nums = state["parcel"]
            nums[precinct] = nums.get(precinct, 0) + 1
            number = label or str(nums[precinct])
            lid = _lid("parcel", precinct, number)
            area_ha = _area(coords) / 10_000
            counts["parcels"] += 1
            lu = (f"<egb:klasouzytek><egb:EGB_Klasouzytek><egb:OFU>{ofu}</egb:OFU>"
                  + (f"<egb:OZU>{ozu}</egb:OZU>" if ozu else "")
                  + (f"<egb:OZK>{ozk}</egb:OZK>" if ozk else "")
                  + f'<egb:powierzchnia uom="ha">{area_ha:.4f}</egb:powierzchnia>'
                  "</egb:EGB_Klasouzytek></egb:klasouzytek>")
            state["last_parcel"] = lid
            yield _member(
                f'<egb:EGB_DzialkaEwidencyjna gml:id="{_gid(lid)}">{_ident(lid)}'
                f"<egb:idDzialki>{TERYT}.{precinct}.{number}</egb:idDzialki>"
                f"<egb:geometria>{_polygon(coords, 'g' + lid)}</egb:geometria>"
                f'<egb:poleEwidencyjne uom="ha">{area_ha:.4f}</egb:poleEwidencyjne>'
                "<egb:dokladnoscReprezentacjiPola>1</egb:dokladnoscReprezentacjiPola>"
                f"{lu}"
                + (f"<egb:numerKW>{kw}</egb:numerKW>" if kw else "")
                + f'<egb:JRG2 xlink:href="#{_gid(jrg)}"/>'
                + (f'<egb:adresDzialki xlink:href="#{_gid(address)}"/>' if address else "")
                + f'<egb:lokalizacjaDzialki xlink:href="#{_gid(_lid("precinct", precinct))}"/>'
                "</egb:EGB_DzialkaEwidencyjna>")
            if contours:
                yield from land_use(precinct, coords, ofu)
                if ozu:
                    yield from soil_class(precinct, coords, ozu, ozk)

        def land_use(precinct: str, coords, ofu: str) -> Iterator[str]:
            nums = state["ug"]
            nums[precinct] = nums.get(precinct, 0) + 1
            number = nums[precinct]
            counts["contours"] += 1
            clid = _lid("contour", precinct, number)
            yield _member(
                f'<egb:EGB_KonturUzytkuGruntowego gml:id="{_gid(clid)}">{_ident(clid)}'
                f"<egb:geometria>{_polygon(coords, 'u' + clid)}</egb:geometria>"
                f"<egb:idUzytku>{TERYT}.{precinct}.UG.{number}</egb:idUzytku>"
                f"<egb:OFU>{ofu}</egb:OFU></egb:EGB_KonturUzytkuGruntowego>")

        def soil_class(precinct: str, coords, ozu: str, ozk: str) -> Iterator[str]:
            nums = state["kl"]
            nums[precinct] = nums.get(precinct, 0) + 1
            number = nums[precinct]
            counts["contours"] += 1
            klid = _lid("class", precinct, number)
            yield _member(
                f'<egb:EGB_KonturKlasyfikacyjny gml:id="{_gid(klid)}">{_ident(klid)}'
                f"<egb:geometria>{_polygon(coords, 'k' + klid)}</egb:geometria>"
                f"<egb:idKonturu>{TERYT}.{precinct}.KL.{number}</egb:idKonturu>"
                f"<egb:OZU>{ozu}</egb:OZU><egb:OZK>{ozk}</egb:OZK>"
                "</egb:EGB_KonturKlasyfikacyjny>")

        def address(street: str, number: int, e: float, n: float) -> Iterator[str]:
            state["addr"] += 1
            lid = _lid("address", street, number)
            counts["addresses"] += 1
            state["last_address"] = lid
            yield _member(
                f'<egb:EGB_AdresNieruchomosci gml:id="{_gid(lid)}">{_ident(lid)}'
                f"<egb:nazwaMiejscowosci>{TOWN}</egb:nazwaMiejscowosci>"
                "<egb:idMiejscowosci>0955963</egb:idMiejscowosci>"
                f"<egb:nazwaUlicy>ul. {escape(street)}</egb:nazwaUlicy>"
                f"<egb:numerPorzadkowy>{number}</egb:numerPorzadkowy>"
                f'<egb:geometria><gml:Point gml:id="a{lid}" srsName="{SRS}"><gml:pos>'
                f"{CENTRE_N + n:.2f} {CENTRE_E + e:.2f}</gml:pos></gml:Point></egb:geometria>"
                "</egb:EGB_AdresNieruchomosci>")

        def building(precinct: str, parcel_lid: str, coords, kind: str, above: int,
                     below: int, addr: str | None) -> Iterator[str]:
            nums = state["bld"]
            nums[precinct] = nums.get(precinct, 0) + 1
            lid = _lid("building", precinct, nums[precinct])
            footprint = _area(coords)
            counts["buildings"] += 1
            usable = (f"<egb:lacznaPowUzytkowaLokaliWyodrebnionych uom=\"m2\">"
                      f"{footprint * above * 0.7:.2f}</egb:lacznaPowUzytkowaLokaliWyodrebnionych>"
                      if kind == "m" and above >= 3 else "")
            yield _member(
                f'<egb:EGB_Budynek gml:id="{_gid(lid)}">{_ident(lid)}'
                f"<egb:idBudynku>{TERYT}.{precinct}.{nums[precinct]}_BUD</egb:idBudynku>"
                f'<egb:geometria><gml:MultiSurface gml:id="b{lid}" srsName="{SRS}">'
                f"<gml:surfaceMember>{_polygon(coords, 'bp' + lid)}</gml:surfaceMember>"
                "</gml:MultiSurface></egb:geometria>"
                f"<egb:rodzajWgKST>{kind}</egb:rodzajWgKST>"
                f"<egb:liczbaKondygnacjiNadziemnych>{above}</egb:liczbaKondygnacjiNadziemnych>"
                f"<egb:liczbaKondygnacjiPodziemnych>{below}</egb:liczbaKondygnacjiPodziemnych>"
                f'<egb:powZabudowy uom="m2">{footprint:.2f}</egb:powZabudowy>{usable}'
                f'<egb:dzialkaZabudowana xlink:href="#{_gid(parcel_lid)}"/>'
                + (f'<egb:adresBudynku xlink:href="#{_gid(addr)}"/>' if addr else "")
                + "</egb:EGB_Budynek>")

        # municipal land: one JRG per precinct (its roads, park, plots and woods), as a
        # municipality's land is registered
        road_units = {}
        for prec in PRECINCTS:
            yield from emit(unit(4, prec, [(municipality, 1, 1)]))
            road_units[prec] = state["last"]
        # horizontal streets (full length), vertical street segments between them
        width = cols * PITCH_W + ROAD
        for r in range(rows + 1):
            n = n0 + r * PITCH_H - ROAD
            prec = self.precinct(0, min(r, rows - 1))
            yield from parcel(prec, _rect(e0 - ROAD, n, e0 - ROAD + width, n + ROAD), "dr",
                              road_units[prec])
        for c in range(cols + 1):
            e = e0 + c * PITCH_W - ROAD
            for r in range(rows):
                n = n0 + r * PITCH_H
                prec = self.precinct(min(c, cols - 1), r)
                yield from parcel(prec, _rect(e, n, e + ROAD, n + BLOCK_H), "dr",
                                  road_units[prec])
        # the river: State Treasury, managed by Wody Polskie (trwały zarząd)
        yield from emit(unit(1, "0001", [(treasury, 1, 1)], possession=(waters, 2)))
        river_unit = state["last"]
        # a company's land: one JRG per company and precinct
        company_units: dict[tuple[str, str], str] = {}
        # the households of a precinct (their JRG): farmland and private woods belong to
        # the town's residents, one JRG holding all the parcels of the same owners
        households: dict[str, list[str]] = {}
        # blocks, from the centre outwards so that a small town is still a town
        order = sorted(((c, r) for c in range(cols) for r in range(rows)),
                       key=lambda cr: (math.hypot((cr[0] - cols // 2) * PITCH_W,
                                                  (cr[1] - rows // 2) * PITCH_H), cr))
        plots = 0
        house_no: dict[str, int] = {}
        for c, r in order:
            zone = self._zone(c, r, cols, rows)
            prec = self.precinct(c, r)
            be, bn = e0 + c * PITCH_W, n0 + r * PITCH_H
            street = STREETS_EW[r % len(STREETS_EW)]
            if zone == "park":
                yield from parcel(prec, _rect(be, bn, be + BLOCK_W, bn + BLOCK_H), "Bz",
                                  road_units[prec])
                continue
            if zone == "river":
                w = BLOCK_W / 4
                yield from parcel(prec, _rect(be + 1.5 * w, bn, be + 2.5 * w, bn + BLOCK_H),
                                  "Wp", river_unit)
                for side, (a, b) in enumerate(((be, be + 1.5 * w),
                                               (be + 2.5 * w, be + BLOCK_W))):
                    if plots >= self.parcels:
                        break
                    plots += 1
                    yield from parcel(prec, _rect(a, bn, b, bn + BLOCK_H),
                                      "Lz" if side else "N", road_units[prec])
                continue
            nx, ny = self._split(zone)
            pw, ph = BLOCK_W / nx, BLOCK_H / ny
            # the block's plots by row: (land use, soil class) for its contours
            uses: list[list[tuple[str, tuple[str, str]]]] = []
            for j in range(ny):
                uses.append([])
                for i in range(nx):
                    if plots >= self.parcels:
                        break
                    plots += 1
                    pe, pn = be + i * pw, bn + j * ph
                    coords = _rect(pe, pn, pe + pw, pn + ph)
                    roll = rnd.random()
                    # ownership
                    if roll < 0.07 or (zone == "forest" and roll < 0.5):
                        jrg = road_units[prec]
                    elif zone in ("industrial",) or roll < 0.12:
                        company = rnd.choice(companies)
                        if (company, prec) not in company_units:
                            yield from emit(unit(15, prec, [(company, 1, 1)]))
                            company_units[company, prec] = state["last"]
                        jrg = company_units[company, prec]
                    elif zone in ("fields", "forest") and households.get(prec):
                        jrg = rnd.choice(households[prec])
                    else:
                        kind = "marriage" if roll < 0.55 else "person"
                        owners = []
                        nshares = 1 if roll < 0.8 else rnd.choice((2, 3))
                        fractions = {1: [(1, 1)], 2: [(1, 2), (1, 2)],
                                     3: [(1, 3), (1, 3), (1, 3)]}[nshares]
                        if nshares == 2 and roll > 0.9:
                            fractions = [(1, 4), (3, 4)]
                        for numer, denom in fractions:
                            yield from emit(subject_of(kind if len(owners) == 0 else "person"))
                            owners.append((state["last"], numer, denom))
                        yield from emit(unit(7, prec, owners))
                        jrg = state["last"]
                        households.setdefault(prec, []).append(jrg)
                    house_no[street] = house_no.get(street, 0) + 1
                    addr = None
                    if zone in ("centre", "houses", "industrial"):
                        front_n = pn if j == 0 else pn + ph
                        yield from address(street, house_no[street], pe + pw / 2, front_n)
                        addr = state["last_address"]
                    state["kw"] += 1
                    kw = kw_number(state["kw"])
                    ozu = ozk = ""
                    if zone == "centre":
                        ofu = rnd.choice(("B", "B", "Bi", "B"))
                    elif zone == "houses":
                        ofu = "B"
                    elif zone == "industrial":
                        ofu = "Ba"
                    elif zone == "forest":
                        ofu, ozu, ozk = "Ls", "Ls", rnd.choice(("III", "IV", "V"))
                    else:
                        ofu = "R" if roll < 0.85 else "Ł"
                        ozu, ozk = ofu, (rnd.choice(("IIIa", "IIIb", "IVa", "IVb", "V"))
                                         if ofu == "R" else rnd.choice(("III", "IV")))
                    yield from parcel(prec, coords, ofu, jrg, ozu=ozu, ozk=ozk, kw=kw,
                                      address=addr, contours=False)
                    uses[j].append((ofu, (ozu, ozk)))
                    plid = state["last_parcel"]
                    # a building on built-up plots
                    if zone in ("centre", "houses", "industrial") and roll < 0.92:
                        front = pn + 3 if j == 0 else pn + ph - 3 - ph * 0.45
                        bcoords = _rect(pe + pw * 0.15, front, pe + pw * 0.85,
                                        front + ph * 0.45)
                        if zone == "centre":
                            kind = rnd.choices("mhbkz", weights=(60, 20, 10, 7, 3))[0]
                            above, below = rnd.randint(2, 5), rnd.randint(0, 1)
                        elif zone == "houses":
                            kind, above, below = "m", rnd.randint(1, 2), rnd.randint(0, 1)
                        else:
                            kind, above, below = rnd.choice("ps"), rnd.randint(1, 2), 0
                        yield from building(prec, plid, bcoords, kind, above, below, addr)
                    elif zone == "fields" and roll > 0.9:
                        bcoords = _rect(pe + 5, pn + 5, pe + 25, pn + 17)
                        yield from building(prec, plid, bcoords, "g", 1, 0, None)
            # contours span plots: one per stretch of the same land use (soil class)
            for rect, ofu in _stretches(uses, 0, be, bn, pw, ph):
                yield from land_use(prec, rect, ofu)
            for rect, (ozu, ozk) in _stretches(uses, 1, be, bn, pw, ph):
                if ozu:
                    yield from soil_class(prec, rect, ozu, ozk)
        self.counts = counts


def _stretches(rows: list[list[tuple]], k: int, be: float, bn: float, pw: float, ph: float
               ) -> Iterator[tuple[list[tuple[float, float]], Any]]:
    """Rectangles of a block's plots sharing the ``k``-th value of their row's entries: one
    per run of equal values in a row, or one for the whole block when every plot of every
    full row shares it (contours are areas of one use, not one per parcel)."""
    values = {v[k] for row in rows for v in row}
    if len(values) == 1 and rows and len({len(row) for row in rows}) == 1:
        yield _rect(be, bn, be + len(rows[0]) * pw, bn + len(rows) * ph), values.pop()
        return
    for j, row in enumerate(rows):
        i = 0
        while i < len(row):
            end = i
            while end + 1 < len(row) and row[end + 1][k] == row[i][k]:
                end += 1
            yield (_rect(be + i * pw, bn + j * ph, be + (end + 1) * pw, bn + (j + 1) * ph),
                   row[i][k])
            i = end + 1


def write_vector_layers(town: DemoTown, directory: Path) -> dict[str, Path]:
    """Paid-parking zones and landscape areas as GeoPackages (EPSG:2178), Polish field names."""
    import geopandas as gpd
    from shapely.geometry import box

    directory.mkdir(parents=True, exist_ok=True)
    e0, n0, e1, n1 = town.extent_local()

    def rect(a: float, b: float, c: float, d: float):
        x0, y0 = town.to_2178(a, b)
        x1, y1 = town.to_2178(c, d)
        return box(x0, y0, x1, y1)

    span = min(e1 - e0, n1 - n0)
    centre = rect(-span * 0.18, -span * 0.18, span * 0.18, span * 0.18)
    core = rect(-span * 0.06, -span * 0.06, span * 0.06, span * 0.06)
    town_box = rect(e0, n0, e1, n1)
    edge = rect(e0, n0 + (n1 - n0) * 0.7, e0 + (e1 - e0) * 0.35, n1)
    parking = gpd.GeoDataFrame(
        {"kod": ["SPP-1", "ŚSPP-1"], "nazwa": ["Strefa Płatnego Parkowania – Śródmieście",
                                              "Śródmiejska Strefa Płatnego Parkowania – Rynek"],
         "rodzaj": ["ordinary", "city_centre"]},
        geometry=[centre.difference(core), core], crs=f"EPSG:{SRID}")
    landscape = gpd.GeoDataFrame(
        {"kod": ["A", "B", "OChK-J"],
         "nazwa": ["Strefa A – centrum", "Strefa B – pozostała część miasta",
                   "Obszar Chronionego Krajobrazu Doliny Wisłoki (demo)"],
         "rodzaj": ["resolution_zone", "resolution_zone", "protected_landscape"]},
        geometry=[centre, town_box.difference(centre), edge], crs=f"EPSG:{SRID}")
    paths = {"parking_zones": directory / "parking_zones.gpkg",
             "landscape_areas": directory / "landscape_areas.gpkg"}
    for key, frame in (("parking_zones", parking), ("landscape_areas", landscape)):
        if paths[key].exists():
            paths[key].unlink()
        frame.to_file(paths[key], driver="GPKG", layer=key)
    return paths
