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

# Conversion hectares (art. 4 ust. 7 UPR), independent of the tax district: built-up farmland
# and salmonid ponds count 1.0, other ponds, Lzr and ditches 0.20. The table of art. 4 ust. 5 by
# soil class and district is UNCONFIRMED (legal-facts §9.4): the administrator adds it; without
# a factor, 1 physical ha = 1 conversion ha (art. 4 ust. 9).
CONVERSION_FACTORS: list[tuple[str, str, str, D]] = [
    # (tax district "" = any, OFU, soil class "" = any, factor)
    ("", "Br", "", D("1.00")),
    ("", "W", "", D("0.20")),
    ("", "Lzr", "", D("0.20")),
    ("", "Wsr", "", D("0.20")),
]
