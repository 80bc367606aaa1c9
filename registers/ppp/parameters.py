"""Parameters of the PPP preliminary assessment that no statute fixes (legal-facts §6: the
details of the analysis are UNCONFIRMED). Each project stores its own values; these are only
what a new project's worksheet starts with, and the officer changes them per project."""

from decimal import Decimal

# UNCONFIRMED: the discount rate of the comparator. A common choice is the real rate of
# long-term treasury bonds plus a margin; the officer sets the project's own rate.
DEFAULT_DISCOUNT_RATE = Decimal("0.05")
# The municipality's share of a risk the matrix marks as shared (UNCONFIRMED convention: half).
DEFAULT_PUBLIC_SHARE = Decimal("0.5")
# How many days ahead the register reminds of deadlines, obligations and payments.
REMIND_DAYS = 30
