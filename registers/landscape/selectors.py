"""Read queries of the landscape register: the areas at a plot with their rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from gis_app.accounts.access import has_capability
from gis_app.accounts.roles import Capability
from layers import formats
from layers.models import LandscapeArea, Parcel
from registers.landscape import rules
from registers.landscape.models import AdvertisingDevice, AreaRule


def rule_value_text(kind: str, value: str) -> str:
    """A rule's value as people read it: yes/no in words, numbers in the locale's format,
    mountings by their names (issue #18: "= no" in the Polish legend)."""
    text = (value or "").strip()
    if kind in rules.BOOL_KINDS:
        return _("yes") if text.lower() in rules._TRUE else _("no")
    if kind in rules.NUMBER_KINDS:
        return formats.number(text.replace(",", "."))
    if kind == rules.RuleKind.MOUNTINGS_ALLOWED:
        from registers.landscape.services import MOUNTING_LABELS

        return ", ".join(str(MOUNTING_LABELS.get(v.strip(), v.strip()))
                         for v in text.split(",") if v.strip())
    return text


def card_section(user: Any, parcel: Parcel) -> dict | None:
    """The landscape areas over the plot and their rules (local law: public).

    Registered advertising boards on the plot are added for staff holding VIEW_LANDSCAPE in the
    plot's municipality. None when no area touches the plot.
    """
    areas = list(
        LandscapeArea.objects.filter(retired_at__isnull=True,
                                     municipality_id=parcel.municipality_id,
                                     geom__intersects=parcel.geom)
        .prefetch_related(Prefetch("rules", queryset=AreaRule.objects.order_by("subject", "id")))
        .order_by("kind", "code"))
    if not areas:
        return None
    section: dict[str, Any] = {"areas": [{
        "id": a.id, "code": a.code, "name": a.name, "kind": a.get_kind_display(),
        "rules": [{"subject": r.get_subject_display(), "rule": r.get_kind_display(),
                   "value": rule_value_text(r.kind, r.value), "citation": r.citation}
                  for r in a.rules.all()],
    } for a in areas], "devices": None}
    if has_capability(user, Capability.VIEW_LANDSCAPE, parcel.municipality_id):
        section["devices"] = [
            {"id": d.id, "label": str(d), "area_m2": d.area_m2}
            for d in AdvertisingDevice.objects.filter(
                municipality_id=parcel.municipality_id,
                parcel_cadastral_id=parcel.cadastral_id, removed_on__isnull=True)]
    return section
