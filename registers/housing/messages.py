"""Messages of the pure rules, translated here (rules.py may not import Django)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

ISSUE_MESSAGES = {
    "over_capacity": gettext_lazy("{occupied} people live in a flat with {places} places."),
    "too_many_persons": gettext_lazy("{persons} persons exceed the standard of at most {max} "
                                     "per flat."),
    "too_small": gettext_lazy("{per_person} m² per person is below the standard of {min} m²."),
    "stay_period_missing": gettext_lazy("A training flat is for a fixed period: give the "
                                        "period of stay."),
}



def issue_text(issue: Any) -> str:
    template = ISSUE_MESSAGES.get(issue.code, issue.message)
    return str(template).format(**issue.params)
