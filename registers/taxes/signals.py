"""Signals the tax register sends, so other registers follow it without being imported by it."""

from django.dispatch import Signal

#: Sent (after commit) when a tax decision is issued or amended. Keyword arguments:
#: ``decision`` (the taxes.Decision, or None when sent by a test), ``municipality_id``,
#: ``taxpayer_id``, ``year`` (int), ``tax_kind`` ("property" | "agricultural" | "forest" |
#: "combined"), ``decision_number`` (str), and ``instalments``: a list of
#: ``(number: int, due_date: datetime.date, amount: decimal.Decimal)`` — the whole schedule now in
#: force for that taxpayer, year and kind (an amending decision sends the new whole schedule).
decision_issued = Signal()

#: Sent (after commit) once per chunk of the decision batch instead of ``decision_issued`` per
#: decision, so that a receiver can follow thousands of decisions with a few queries. Keyword
#: arguments: ``municipality_id``, ``decisions`` (the new taxes.Decision objects) and
#: ``schedules``: a list of ``(taxpayer_id, year, tax_kind, decision_number, instalments)``, one
#: per decision, ``instalments`` as in ``decision_issued``.
decisions_issued = Signal()
