"""Year-dependent numbers of the local taxes, as published (pure data, no Django).

These dictionaries are the *seed* of the database tables ``RateCap`` and ``YearlyParameters``
(data migration 0002): at run time the services read the tables, where an administrator adds
later years in the admin. Tests of the law read them directly. Sources: legal-facts.md §1.7
(caps), §1.6 (threshold), §2.1 (rye), §2.2 (timber).
"""

from __future__ import annotations

from decimal import Decimal as D

# Statutory maxima of art. 5 ust. 1 UPOL (obwieszczenia Ministra Finansów under art. 20 ust. 2).
# G2 is per hectare, BU is a percentage of value, every other one per m².
# 2024: SECONDARY (consistent with 2025 = 2024 × 1.027 rounded up); 2025: M.P. 2024 poz. 716;
# 2026: M.P. 2025 poz. 726.
RATE_CAPS: dict[int, dict[str, D]] = {
    2024: {
        "G1": D("1.34"), "G2": D("6.66"), "G3": D("0.71"), "G4": D("4.39"),
        "B1": D("1.15"), "B2": D("33.10"), "B3": D("15.50"), "B4": D("6.76"),
        "B5": D("11.17"), "BU": D("2"),
    },
    2025: {
        "G1": D("1.38"), "G2": D("6.84"), "G3": D("0.73"), "G4": D("4.51"),
        "B1": D("1.19"), "B2": D("34.00"), "B3": D("15.92"), "B4": D("6.95"),
        "B5": D("11.48"), "BU": D("2"),
    },
    2026: {
        "G1": D("1.45"), "G2": D("7.15"), "G3": D("0.77"), "G4": D("4.72"),
        "B1": D("1.25"), "B2": D("35.53"), "B3": D("16.64"), "B4": D("7.27"),
        "B5": D("12.00"), "BU": D("2"),
    },
}

# Average rye purchase price, zł per decitonne (= quintal), for the agricultural tax (art. 6 UPR).
# 2024: SECONDARY; 2025: M.P. 2024 poz. 891; 2026: M.P. 2025 poz. 1085.
RYE_PRICE_PER_DT: dict[int, D] = {2024: D("89.63"), 2025: D("86.34"), 2026: D("66.42")}

# Average timber sale price, zł per m³, for the forest tax (art. 4 UPL).
# 2025: M.P. 2024 poz. 892; 2026: M.P. 2025 poz. 1086.
TIMBER_PRICE_PER_M3: dict[int, D] = {2025: D("277.35"), 2026: D("281.37")}

# Minimum threshold (art. 6 ust. 8a UPOL): the cheapest registered letter with return receipt
# of the designated operator on 1 January. 9.80 zł is attested from 1.01.2023; the 2024–2026
# amounts are UNCONFIRMED (legal-facts §1.6) and seeded with the last attested value so that the
# administrator corrects them in the admin.
MINIMUM_THRESHOLD: dict[int, D] = {2024: D("9.80"), 2025: D("9.80"), 2026: D("9.80")}
MINIMUM_THRESHOLD_NOTE = (
    "UNCONFIRMED: last attested value (from 1.01.2023); check the Poczta Polska price list "
    "as of 1 January of the year"
)

# Conversion hectares. art. 4 ust. 7 UPR (independent of the tax district, CONFIRMED): built-up
# farmland and salmonid ponds count 1.0, other ponds, Lzr and ditches 0.20.
# art. 4 ust. 5 UPR, the table by soil class and tax district I–IV: UNCONFIRMED (legal-facts
# §9.4: the table did not survive the conversion of the act; values as printed by secondary
# sources: pl.wikipedia "Hektar przeliczeniowy", www.zebowice.pl for district I). Check them
# against the official PDF (Dz.U. 2025 poz. 1344) before use; the administrator corrects the
# ConversionFactor table in the admin. Orchards (S) take the arable factors, orchard classes
# III and IV those of IIIa and IVa (same sources). Without a factor, 1 physical ha = 1
# conversion ha (art. 4 ust. 9).
CONVERSION_TABLE_NOTE = (
    "UNCONFIRMED: art. 4 ust. 5 UPR table from secondary sources; check the official text")
DISTRICTS = ("I", "II", "III", "IV")
_ARABLE = {  # grunty orne: class → factors in districts I, II, III, IV
    "I": ("1.95", "1.80", "1.65", "1.45"), "II": ("1.80", "1.65", "1.50", "1.35"),
    "IIIa": ("1.65", "1.50", "1.40", "1.25"), "IIIb": ("1.35", "1.25", "1.15", "1.00"),
    "IVa": ("1.10", "1.00", "0.90", "0.80"), "IVb": ("0.80", "0.75", "0.65", "0.60"),
    "V": ("0.35", "0.30", "0.25", "0.20"), "VI": ("0.20", "0.15", "0.10", "0.05"),
}
_GRASSLAND = {  # łąki i pastwiska
    "I": ("1.75", "1.60", "1.45", "1.35"), "II": ("1.45", "1.35", "1.25", "1.10"),
    "III": ("1.25", "1.15", "1.05", "0.95"), "IV": ("0.75", "0.70", "0.60", "0.55"),
    "V": ("0.20", "0.20", "0.15", "0.15"), "VI": ("0.15", "0.15", "0.10", "0.05"),
}
_ORCHARD_CLASSES = {**{k: k for k in _ARABLE}, "III": "IIIa", "IV": "IVa"}

CONVERSION_FACTORS: list[tuple[str, str, str, D]] = [
    # (tax district "" = any, OFU, soil class "" = any, factor)
    ("", "Br", "", D("1.00")),
    ("", "W", "", D("0.20")),
    ("", "Lzr", "", D("0.20")),
    ("", "Wsr", "", D("0.20")),
    *((d, "R", k, D(f[i])) for k, f in _ARABLE.items() for i, d in enumerate(DISTRICTS)),
    *((d, "S", k, D(_ARABLE[a][i])) for k, a in _ORCHARD_CLASSES.items()
      for i, d in enumerate(DISTRICTS)),
    *((d, ofu, k, D(f[i])) for ofu in ("Ł", "Ps") for k, f in _GRASSLAND.items()
      for i, d in enumerate(DISTRICTS)),
]
