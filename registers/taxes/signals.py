"""Signals the tax register sends, so other registers follow it without being imported by it."""

from django.dispatch import Signal

#: Sent (after commit) when a tax decision is issued or amended. Keyword arguments:
#: ``decision`` (the taxes.Decision, or None when sent by a test), ``municipality_id``,
#: ``taxpayer_id``, ``year`` (int), ``tax_kind`` ("property" | "agricultural" | "forest" |
#: "combined"), ``decision_number`` (str), and ``instalments``: a list of
#: ``(number: int, due_date: datetime.date, amount: decimal.Decimal)`` — the whole schedule now in
#: force for that taxpayer, year and kind (an amending decision sends the new whole schedule).
decision_issued = Signal()
