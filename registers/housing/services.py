"""Changes to the protected-housing register: checked, versioned and audit-logged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gis_app.accounts.access import has_capability
from gis_app.accounts.roles import Capability
from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from layers.models import Parcel
from registers.housing.models import ProtectedFlat

FLAT_FIELDS = [
    "address", "cadastral_id", "building_id", "premises_id", "kind", "operator_kind",
    "operator_name", "places", "occupied_places", "usable_area_m2", "accessible", "target_group",
    "voivode_register_date", "stay_months", "notes",
]


class StaleEditError(ValidationError):
    pass


def _snapshot(flat: ProtectedFlat) -> dict[str, Any]:
    out = {}
    for name in FLAT_FIELDS:
        value = getattr(flat, name)
        out[name] = str(value) if isinstance(value, date | Decimal) else value
    return out


def _require_edit(user: Any, municipality_id: int) -> None:
    """``user`` None is the system itself (demo data, importers); views always pass
    ``request.user``, which is never None (AnonymousUser for the public)."""
    if user is None:
        return
    if not has_capability(user, Capability.EDIT_HOUSING, municipality_id):
        raise PermissionDenied(_("You may not edit protected housing of this municipality."))


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
    _require_edit(user, municipality_id)
    with transaction.atomic():
        if flat_id is None:
            flat = ProtectedFlat(municipality_id=municipality_id)
            before = None
        else:
            flat = ProtectedFlat.objects.select_for_update().filter(
                pk=flat_id, municipality_id=municipality_id).first()
            if flat is None:
                raise ValidationError(_("The flat no longer exists."))
            if flat.version != expected_version:
                raise StaleEditError(
                    _("Someone else saved this flat (version %(theirs)s) after you opened it "
                      "(version %(yours)s). Reload the page and edit again.")
                    % {"theirs": flat.version, "yours": expected_version}, code="stale")
            before = _snapshot(flat)
            flat.version += 1
        for name, value in data.items():
            if name not in FLAT_FIELDS:
                raise ValueError(f"not a flat field: {name}")
            setattr(flat, name, value)
        _check(flat)
        flat.save()
        after = _snapshot(flat)
        if before is None:
            audit(user, AuditAction.CREATE, "protected_flat", flat.pk,
                  municipality_id=municipality_id, after=after)
        else:
            audit(user, AuditAction.UPDATE, "protected_flat", flat.pk,
                  municipality_id=municipality_id,
                  before={k: v for k, v in before.items() if after[k] != v},
                  after={k: v for k, v in after.items() if before[k] != v})
    return flat
