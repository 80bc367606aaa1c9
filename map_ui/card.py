"""The parcel card: the spatial register's part plus one section per register.

Each register writes ``registers/<app>/selectors.py::card_section(user, parcel) -> dict | None``
(None: the viewer may not see it, or there is nothing) and a template
``<app>/card_section.html`` rendering that dict as ``section``. The list below is explicit and
imported plainly (a missing section is an import error, and import-linter sees the dependency),
so the card's query count stays fixed and reviewable: each provider adds its own fixed number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from layers.models import Parcel
from layers.selectors import parcel_card_data
from registers.housing import selectors as housing
from registers.landscape import selectors as landscape
from registers.leases import selectors as leases
from registers.parking import selectors as parking
from registers.ppp import selectors as ppp
from registers.taxes import selectors as taxes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionProvider:
    app: str  # the register's app label, e.g. "taxes"
    card_section: Callable[[Any, Parcel], dict[str, Any] | None]
    template: str  # "<app>/card_section.html"

    def section(self, user: Any, parcel: Parcel) -> dict[str, Any] | None:
        return self.card_section(user, parcel)


def _provider(app: str, module: Any) -> SectionProvider:
    return SectionProvider(app, module.card_section, f"{app}/card_section.html")


# The registers' card sections, in the order the card shows them.
SECTION_PROVIDERS: list[SectionProvider] = [
    _provider("taxes", taxes),
    _provider("leases", leases),
    _provider("housing", housing),
    _provider("parking", parking),
    _provider("landscape", landscape),
    _provider("ppp", ppp),
]


def build_card(user: Any, parcel_id: int) -> dict[str, Any] | None:
    """The card's data for ``user``, or None when the plot does not exist or is out of scope."""
    card = parcel_card_data(user, parcel_id)
    if card is None:
        return None
    sections = []
    providers = SECTION_PROVIDERS
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
