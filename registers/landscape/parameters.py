"""Seed values of the year-keyed advertising fee caps (legal-facts §3.1).

The AdvertisingFeeCap table is what the code reads; these rows are what a fresh database starts
with and what ``ensure_seed`` restores if missing. An edited row wins over the seed.
"""

from decimal import Decimal

FEE_CAPS = [
    (2025, Decimal("3.72"), Decimal("0.34"), "M.P. 2024 poz. 716"),
    (2026, Decimal("3.89"), Decimal("0.36"), "M.P. 2025 poz. 726"),
]
