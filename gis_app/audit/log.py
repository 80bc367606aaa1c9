"""Write audit events. Called by selectors that return protected data and by register services."""

from __future__ import annotations

from typing import Any

from gis_app.audit.models import AuditAction, AuditEvent


def audit(
    user: Any,
    action: AuditAction | str,
    object_type: str,
    object_id: Any = "",
    *,
    municipality_id: int | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
) -> AuditEvent:
    authenticated = getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=str(action),
        object_type=object_type,
        object_id=str(object_id),
        municipality_id=municipality_id,
        before=before,
        after=after,
        detail=detail,
    )
