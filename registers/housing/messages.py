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
    "planned_backwards": gettext_lazy("The planned end is before the planned start."),
    "actual_backwards": gettext_lazy("The stay ended before it began."),
    "training_needs_end": gettext_lazy("A training flat is for a fixed period: give the planned "
                                       "end of the stay."),
    "overdue": gettext_lazy("The planned stay ended on {until}."),
    "not_accessible": gettext_lazy("Not accessible for wheelchairs yet."),
}


def issue_text(issue: Any) -> str:
    template = ISSUE_MESSAGES.get(issue.code, issue.message)
    return str(template).format(**issue.params)
