"""The parcel card: the spatial register's part plus one section per register.

Each register writes ``registers/<app>/selectors.py::card_section(user, parcel) -> dict | None``
(None: the viewer may not see it, or there is nothing) and a template
``<app>/card_section.html`` rendering that dict as ``section``. The list below is explicit so the
card's query count stays fixed and reviewable: each provider adds its own fixed number.
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass
from typing import Any

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from layers.models import Parcel
from layers.selectors import parcel_card_data

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionProvider:
    app: str  # the register's app label, e.g. "taxes"
    module: str  # dotted path of the module with card_section(user, parcel)
    template: str  # "<app>/card_section.html"

    def section(self, user: Any, parcel: Parcel) -> dict[str, Any] | None:
        func = importlib.import_module(self.module).card_section
        return func(user, parcel)


def _provider(app: str) -> SectionProvider:
    return SectionProvider(app, f"registers.{app}.selectors", f"{app}/card_section.html")


# The registers' card sections, in the order the card shows them.
SECTION_PROVIDERS: list[SectionProvider] = [
    _provider("taxes"),
    _provider("leases"),
    _provider("housing"),
    _provider("parking"),
    _provider("landscape"),
]


@functools.cache
def _available(provider: SectionProvider) -> bool:
    """A provider whose module or template is missing is skipped (a register half landed)."""
    try:
        importlib.import_module(provider.module).card_section  # noqa: B018
        get_template(provider.template)
    except (ImportError, AttributeError, TemplateDoesNotExist):
        return False
    return True


def build_card(user: Any, parcel_id: int) -> dict[str, Any] | None:
    """The card's data for ``user``, or None when the plot does not exist or is out of scope."""
    card = parcel_card_data(user, parcel_id)
    if card is None:
        return None
    sections = []
    providers = [p for p in SECTION_PROVIDERS if _available(p)]
    if providers:
        parcel = Parcel.objects.get(id=card["id"])  # one query, shared by every provider
        for provider in providers:
            try:
                section = provider.section(user, parcel)
            except Exception:  # one register's failure must not take the whole card down
                logger.exception("card section %s failed for parcel %s", provider.app,
                                 parcel.cadastral_id)
                sections.append({"app": provider.app, "template": None, "section": None,
                                 "error": True})
                continue
            if section is not None:
                sections.append({"app": provider.app, "template": provider.template,
                                 "section": section})
    card["sections"] = sections
    return card


__all__ = ["SECTION_PROVIDERS", "SectionProvider", "_provider", "build_card"]
