"""Builders of small EGiB 2021 GML files for the importer tests (see README.md here)."""

from __future__ import annotations

import itertools
from pathlib import Path
from xml.sax.saxutils import escape

NS = "PL.PZGiK.9999.EGiB"
HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<gml:FeatureCollection gml:id="fc" xmlns:gml="http://www.opengis.net/gml/3.2" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:egb="{egb}">\n')
FOOTER = "</gml:FeatureCollection>\n"
E0, N0 = 7_533_988.0, 5_512_167.0  # Jasło, PL-2000 zone 7


def square(e: float, n: float, size: float = 20.0) -> list[tuple[float, float]]:
    """(easting, northing) corners of a square, counter-clockwise, closed."""
    return [(e, n), (e + size, n), (e + size, n + size), (e, n + size), (e, n)]


def parcel(lid: str, number: str, coords: list[tuple[float, float]], *,
           version: str = "2024-01-01T10:00:00", end: str | None = None,
           srs: str = "urn:ogc:def:crs:EPSG::2178", northing_first: bool = True,
           area_ha: str | None = None, gml_id: str | None = None, precinct: str = "0001",
           jrg: str | None = None, ident: str | None = None) -> str:
    """``ident``: the whole idDzialki (escaped here), instead of 180501_1.<precinct>.<number>."""
    pos = " ".join(f"{n} {e}" if northing_first else f"{e} {n}" for e, n in coords)
    pid = escape(ident) if ident else f"180501_1.{precinct}.{number}"
    gid = gml_id or f"{NS}_{lid}_{version.replace(':', '-')}"
    if area_ha is None:
        s = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(coords))
        area_ha = f"{abs(s) / 2 / 10000:.4f}"
    return (
        f'<gml:featureMember><egb:EGB_DzialkaEwidencyjna gml:id="{gid}">'
        f"<egb:idIIP><egb:EGB_IdentyfikatorIIP><egb:lokalnyId>{lid}</egb:lokalnyId>"
        f"<egb:przestrzenNazw>{NS}</egb:przestrzenNazw><egb:wersjaId>{version}</egb:wersjaId>"
        "</egb:EGB_IdentyfikatorIIP></egb:idIIP>"
        f"<egb:startObiekt>2020-01-01T00:00:00</egb:startObiekt>"
        f"<egb:startWersjaObiekt>{version}</egb:startWersjaObiekt>"
        + (f"<egb:koniecWersjaObiekt>{end}</egb:koniecWersjaObiekt>" if end else "")
        + f"<egb:idDzialki>{pid}</egb:idDzialki>"
        f'<egb:geometria><gml:Polygon gml:id="g{gid}" srsName="{srs}"><gml:exterior>'
        f"<gml:LinearRing><gml:posList>{pos}</gml:posList></gml:LinearRing></gml:exterior>"
        f"</gml:Polygon></egb:geometria>"
        f'<egb:poleEwidencyjne uom="ha">{area_ha}</egb:poleEwidencyjne>'
        "<egb:klasouzytek><egb:EGB_Klasouzytek><egb:OFU>B</egb:OFU>"
        f'<egb:powierzchnia uom="ha">{area_ha}</egb:powierzchnia></egb:EGB_Klasouzytek>'
        "</egb:klasouzytek>"
        + (f'<egb:JRG2 xlink:href="{jrg}"/>' if jrg else "<egb:JRG2/>")
        + "</egb:EGB_DzialkaEwidencyjna></gml:featureMember>\n")


def write(path: Path, *members: str, egb: str = "ewidencjaGruntowIBudynkow:1.0") -> Path:
    path.write_text(HEADER.format(egb=egb) + "".join(members) + FOOTER, encoding="utf-8")
    return path


def grid(count: int, *, version: str = "2024-01-01T10:00:00", prefix: str = "p") -> list[str]:
    """``count`` adjacent 20 m parcels east of the Jasło centre."""
    return [parcel(f"{prefix}{i:05d}-0000-0000-0000-000000000000", str(i + 1),
                   square(E0 + 20 * i, N0), version=version) for i in range(count)]


def feature(kind: str, lid: str, body: str, version: str = "2024-01-01T10:00:00") -> str:
    """Any EGiB 2021 feature ``egb:<kind>`` with an IdIIP and ``body`` (raw XML)."""
    stamp = version.replace(":", "-")
    return (f'<gml:featureMember><egb:{kind} gml:id="{NS}_{lid}_{stamp}">'
            f"<egb:idIIP><egb:EGB_IdentyfikatorIIP><egb:lokalnyId>{lid}</egb:lokalnyId>"
            f"<egb:przestrzenNazw>{NS}</egb:przestrzenNazw><egb:wersjaId>{version}</egb:wersjaId>"
            "</egb:EGB_IdentyfikatorIIP></egb:idIIP>"
            f"<egb:startObiekt>2020-01-01T00:00:00</egb:startObiekt>"
            f"<egb:startWersjaObiekt>{version}</egb:startWersjaObiekt>"
            f"{body}</egb:{kind}></gml:featureMember>\n")


def polygon(coords: list[tuple[float, float]], gid: str,
            srs: str = "urn:ogc:def:crs:EPSG::2178") -> str:
    pos = " ".join(f"{n} {e}" for e, n in coords)
    return (f'<gml:Polygon gml:id="{gid}" srsName="{srs}"><gml:exterior><gml:LinearRing>'
            f"<gml:posList>{pos}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>")


def building(lid: str, ident: str, coords: list[tuple[float, float]]) -> str:
    return feature("EGB_Budynek", lid,
                   f"<egb:idBudynku>{escape(ident)}</egb:idBudynku>"
                   f"<egb:geometria>{polygon(coords, 'gb' + lid)}</egb:geometria>"
                   "<egb:rodzajWgKST>m</egb:rodzajWgKST>")


def precinct(lid: str, ident: str, coords: list[tuple[float, float]]) -> str:
    return feature("EGB_ObrebEwidencyjny", lid,
                   f"<egb:geometria>{polygon(coords, 'go' + lid)}</egb:geometria>"
                   f"<egb:idObrebu>{escape(ident)}</egb:idObrebu>"
                   "<egb:nazwaWlasna>Obręb</egb:nazwaWlasna>")
