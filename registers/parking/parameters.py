"""Seed values of the year-keyed parameter table (MinimumWage), per legal-facts §4.

The table is the source the code reads; these rows are what a fresh database starts with and
what ``ensure_seed`` puts back if they are missing (e.g. after a test flush). A row edited in the
table wins over the seed. Minimum wage: 2025 4 666 zł, 2026 4 806 zł [SECONDARY, amounts well
attested; Dz.U. position not verified].
"""

from decimal import Decimal

MINIMUM_WAGES = [
    (2025, Decimal("4666"), "rozporządzenie RM z 12.09.2024"),
    (2026, Decimal("4806"), "rozporządzenie RM z 11.09.2025"),
]
