"""Receivers of other registers' signals (connected in PaymentsConfig.ready())."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def on_decision_issued(sender: Any, *, municipality_id: int, taxpayer_id: int, year: int,
                       tax_kind: str, decision_number: str,
                       instalments: list[tuple[int, date, Decimal]], decision: Any = None,
                       **kwargs: Any) -> None:
    """A decision was issued or amended: its schedule becomes the taxpayer's charges."""
    from registers.payments.services import post_schedule

    post_schedule(municipality_id, taxpayer_id, year, tax_kind, decision_number, instalments)


def on_decisions_issued(sender: Any, *, municipality_id: int,
                        schedules: list[tuple[int, int, str, str, list[tuple[int, date, Decimal]]]],
                        **kwargs: Any) -> None:
    """A chunk of the decision batch was issued: all its schedules posted at once."""
    from registers.payments.services import Schedule, post_schedules

    post_schedules(municipality_id, [Schedule(*s) for s in schedules])
