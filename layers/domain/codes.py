"""Code lists of the EGiB (Dz.U. 2021 poz. 1390, Zał. 1, 2, 6) with English member names.

Values stay as the cadastre writes them ("R", "Ł", "dr"); labels are the Polish legal names.
Unknown values found in real data are stored as they are and flagged, never rejected.
"""

from __future__ import annotations

from enum import StrEnum


class LandUseCode(StrEnum):
    """OFU: the land-use kind (oznaczenie formy użytkowania)."""

    ARABLE = "R"
    ORCHARD = "S"
    MEADOW = "Ł"
    PASTURE = "Ps"
    BUILT_UP_FARMLAND = "Br"
    FISHPONDS = "Wsr"
    DITCHES = "W"
    WOODED_FARMLAND = "Lzr"
    FOREST = "Ls"
    WOODED_LAND = "Lz"
    RESIDENTIAL = "B"
    INDUSTRIAL = "Ba"
    OTHER_BUILT_UP = "Bi"
    URBANISED_UNDEVELOPED = "Bp"
    RECREATIONAL = "Bz"
    MINING = "K"
    ROADS = "dr"
    RAILWAYS = "Tk"
    OTHER_TRANSPORT = "Ti"
    RESERVED_FOR_TRANSPORT = "Tp"
    WASTELAND = "N"
    INTERNAL_SEA_WATERS = "Wm"
    FLOWING_WATERS = "Wp"
    STANDING_WATERS = "Ws"
    MISCELLANEOUS = "Tr"


LAND_USE_LABELS: dict[str, str] = {
    "R": "grunty orne",
    "S": "sady",
    "Ł": "łąki trwałe",
    "Ps": "pastwiska trwałe",
    "Br": "grunty rolne zabudowane",
    "Wsr": "grunty pod stawami",
    "W": "grunty pod rowami",
    "Lzr": "grunty zadrzewione i zakrzewione na użytkach rolnych",
    "Ls": "lasy",
    "Lz": "grunty zadrzewione i zakrzewione",
    "B": "tereny mieszkaniowe",
    "Ba": "tereny przemysłowe",
    "Bi": "inne tereny zabudowane",
    "Bp": "zurbanizowane tereny niezabudowane lub w trakcie zabudowy",
    "Bz": "tereny rekreacyjno-wypoczynkowe",
    "K": "użytki kopalne",
    "dr": "drogi",
    "Tk": "tereny kolejowe",
    "Ti": "inne tereny komunikacyjne",
    "Tp": "grunty przeznaczone pod budowę dróg publicznych lub linii kolejowych",
    "N": "nieużytki",
    "Wm": "grunty pod morskimi wodami wewnętrznymi",
    "Wp": "grunty pod wodami powierzchniowymi płynącymi",
    "Ws": "grunty pod wodami powierzchniowymi stojącymi",
    "Tr": "tereny różne",
}

AGRICULTURAL_OFU = frozenset({"R", "S", "Ł", "Ps", "Br", "Wsr", "W", "Lzr"})
FOREST_OFU = frozenset({"Ls", "Lz"})
BUILT_UP_OFU = frozenset({"B", "Ba", "Bi", "Bp", "Bz", "K", "dr", "Tk", "Ti", "Tp"})
OTHER_OFU = frozenset({"N", "Wm", "Wp", "Ws", "Tr"})
# OFU values that are never classified: the klasoużytek label is the OFU alone.
UNCLASSIFIED_OFU = frozenset(
    {"B", "Ba", "Bi", "Bp", "Bz", "K", "dr", "Tk", "Ti", "Tp", "Wm", "Wp", "Ws", "Tr"}
)
CLASSIFIED_OFU = frozenset({"R", "S", "Ł", "Ps", "Br", "Wsr", "W", "Lzr", "Ls", "Lz"})


SOIL_CLASSES = ("I", "II", "III", "IIIa", "IIIb", "IV", "IVa", "IVb", "V", "VI", "VIz")
ARABLE_SOIL_CLASSES = frozenset({"I", "II", "IIIa", "IIIb", "IVa", "IVb", "V", "VI", "VIz"})
GRASS_FOREST_SOIL_CLASSES = frozenset({"I", "II", "III", "IV", "V", "VI"})


class BuildingKind(StrEnum):
    """Rodzaj budynku wg KŚT: the 2021 schema's letters."""

    RESIDENTIAL = "m"
    FARM_PRODUCTION = "g"
    TRANSPORT = "t"
    EDUCATION_CULTURE = "k"
    HEALTH = "z"
    OFFICE = "b"
    RETAIL = "h"
    INDUSTRIAL = "p"
    STORAGE = "s"
    OTHER = "i"


BUILDING_KIND_LABELS: dict[str, str] = {
    "m": "budynek mieszkalny",
    "g": "budynek produkcyjny, usługowy i gospodarczy dla rolnictwa",
    "t": "budynek transportu i łączności",
    "k": "budynek oświaty, nauki, kultury i sportu",
    "z": "budynek szpitala i opieki zdrowotnej",
    "b": "budynek biurowy",
    "h": "budynek handlowo-usługowy",
    "p": "budynek przemysłowy",
    "s": "zbiornik, silos lub budynek magazynowy",
    "i": "inny budynek niemieszkalny",
}

# The 2015 schema's numeric KŚT codes mapped onto the 2021 letters.
KST_2015_TO_2021: dict[str, str] = {
    "101": "p", "102": "t", "103": "h", "104": "s", "105": "b",
    "106": "z", "107": "k", "108": "g", "109": "i", "110": "m",
}


def building_kind(raw: str | None) -> str | None:
    """Map a KŚT value of either schema onto the 2021 letter; unknown values give None."""
    if raw is None:
        return None
    value = raw.strip()
    if value in BUILDING_KIND_LABELS:
        return value
    return KST_2015_TO_2021.get(value)


REGISTRATION_GROUPS: dict[int, str] = {
    1: "Skarb Państwa",
    2: "Skarb Państwa w zbiegu z użytkownikami wieczystymi",
    3: "państwowe osoby prawne",
    4: "gminy",
    5: "gminy w zbiegu z użytkownikami wieczystymi",
    6: "jednostki samorządu terytorialnego – osoby prawne",
    7: "osoby fizyczne",
    8: "spółdzielnie",
    9: "kościoły i związki wyznaniowe",
    10: "wspólnoty gruntowe",
    11: "powiaty",
    12: "powiaty w zbiegu z użytkownikami wieczystymi",
    13: "województwa",
    14: "województwa w zbiegu z użytkownikami wieczystymi",
    15: "spółki handlowe",
    16: "inne",
}
MUNICIPAL_GROUPS = frozenset({4, 5})


def land_use_label(ofu: str, ozu: str | None = None, ozk: str | None = None) -> str:
    """The klasoużytek label (constraint ``tworzenieOznaczenia``): ``B``, ``RIVa``, ``Br-RIVa``."""
    if not ozu:
        return ofu
    if ozu == ofu:
        return f"{ozu}{ozk or ''}"
    return f"{ofu}-{ozu}{ozk or ''}"

