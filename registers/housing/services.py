"""Changes to the protected-housing register: checked, versioned and audit-logged."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gis_app.accounts.roles import Capability
from layers.models import Parcel
from registers.common.editing import (
    StaleEditError as StaleEditError,  # callers catch it from the register's services
)
from registers.common.editing import (
    audit_change,
    locked_update,
    require_capability,
    snapshot,
)
from registers.housing.models import ProtectedFlat

FLAT_FIELDS = [
    "address", "cadastral_id", "building_id", "premises_id", "kind", "operator_kind",
    "operator_name", "places", "occupied_places", "usable_area_m2", "accessible", "target_group",
    "voivode_register_date", "stay_months", "notes",
]


def _check(flat: ProtectedFlat) -> None:
    if not Parcel.objects.filter(municipality_id=flat.municipality_id, retired_at__isnull=True,
                                 cadastral_id=flat.cadastral_id).exists():
        raise ValidationError({"cadastral_id": _("No such plot in this municipality: %(id)s")
                               % {"id": flat.cadastral_id}})
    if flat.occupied_places is not None and flat.places is not None \
            and flat.occupied_places > flat.places:
        raise ValidationError({"occupied_places": _("More places occupied than the flat has.")})


def flat_save(user: Any, municipality_id: int, data: dict[str, Any], *, flat_id: int | None = None,
              expected_version: int | None = None) -> ProtectedFlat:
    """Create (``flat_id`` None) or update a flat; an update needs the version it was read at.

    Breaches of the standard are shown, not refused: the register must record a flat as it is.
    """
    require_capability(user, Capability.EDIT_HOUSING, municipality_id,
                       _("You may not edit protected housing of this municipality."))
    with transaction.atomic():
        if flat_id is None:
            flat = ProtectedFlat(municipality_id=municipality_id)
            before = None
        else:
            flat = locked_update(
                ProtectedFlat.objects.filter(pk=flat_id, municipality_id=municipality_id),
                expected_version,
                stale=lambda stored: _(
                    "Someone else saved this flat (version %(theirs)s) after you opened it "
                    "(version %(yours)s). Reload the page and edit again.")
                % {"theirs": stored.version, "yours": expected_version},
                gone=_("The flat no longer exists."))
            before = snapshot(flat, FLAT_FIELDS)
            flat.bump()
        for name, value in data.items():
            if name not in FLAT_FIELDS:
                raise ValueError(f"not a flat field: {name}")
            setattr(flat, name, value)
        _check(flat)
        flat.save()
        audit_change(user, flat, before, snapshot(flat, FLAT_FIELDS),
                     municipality_id=municipality_id)
    return flat

