"""The main menu: each register's entry shown only to users who may open it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gis_app.accounts.access import has_capability
from gis_app.accounts.roles import Capability

# (label, URL name, capability needed; None = everyone, the public included)
MENU: list[tuple[Any, str, Capability | None]] = [
    (_("Map"), "map_ui:map", None),
    (_("Search"), "map_ui:search", None),
    (_("Property tax"), "taxes:index", Capability.VIEW_TAX),
    (_("Tax payments"), "payments:index", Capability.VIEW_TAX),
    (_("Leases"), "leases:lease_list", Capability.VIEW_LEASES),
    (_("Municipal property"), "leases:property_list", Capability.VIEW_LEASES),
    (_("Investment offer"), "leases:offer_list", None),
    (_("Front desk for businesses"), "map_ui:desk", None),
    (_("PPP projects"), "ppp:project_list", Capability.VIEW_LEASES),
    (_("Protected housing"), "housing:flat_list", Capability.VIEW_HOUSING),
    (_("Paid parking"), "parking:tariffs", None),
    (_("Landscape"), "landscape:areas", Capability.VIEW_LANDSCAPE),
    (_("On-site check"), "landscape:check", Capability.INSPECT),
    (_("Audit log"), "audit-events", Capability.VIEW_AUDIT),
    (_("Imports"), "importers_web:import_upload", Capability.IMPORT_DATA),
]


def main_menu(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    for label, name, capability in MENU:
        if capability is None or (user is not None and has_capability(user, capability)):
            items.append({"label": label, "url": reverse(name)})
    return {"main_menu": items}
