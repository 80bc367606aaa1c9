"""Write audit events. Called by selectors that return protected data and by register services."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from gis_app.audit.models import AuditAction, AuditEvent

# Set when the current request read owner or tax data (a READ_OWNERS/READ_TAX event was written):
# gis_app.middleware.NoStoreMiddleware then forbids caches to keep the answer.
protected_read: ContextVar[bool] = ContextVar("geogmina_protected_read", default=False)
PROTECTED_READS = frozenset({AuditAction.READ_OWNERS.value, AuditAction.READ_TAX.value,
                             AuditAction.READ_RESIDENTS.value})

def pseudonym(kind: str, value: str) -> str:
    """A keyed hash standing for personal data the append-only log must not keep (a car's
    registration number: it outlives its retention period here). HMAC-SHA256 under the
    installation's SECRET_KEY, 16 hex digits: whoever holds the value and the key can find its
    events; a reader of the log learns nothing of it."""
    from django.utils.crypto import salted_hmac

    return f"{kind}#" + salted_hmac(f"geogmina.{kind}", value,
                                    algorithm="sha256").hexdigest()[:16]


# The detail is a text column; still, a request must not write megabytes into the log.
DETAIL_MAX = 2000


def _cut(value: Any, limit: int) -> str:
    """``value`` as text of at most ``limit`` characters, a cut one ending in an ellipsis.

    Free text from a request (an owner search, a filter) reaches the log's fixed-width columns:
    a 129-character owner search used to overflow ``object_id`` (a 500) instead of being logged.
    """
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _limit(name: str) -> int:
    return AuditEvent._meta.get_field(name).max_length or DETAIL_MAX


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
    if str(action) in PROTECTED_READS:
        protected_read.set(True)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=_cut(user.get_username(), _limit("username")) if authenticated else "",
        action=str(action),
        object_type=_cut(object_type, _limit("object_type")),
        object_id=_cut(object_id, _limit("object_id")),
        municipality_id=municipality_id,
        before=before,
        after=after,
        detail=_cut(detail, DETAIL_MAX),
    )



@dataclass(frozen=True)
class AuditItem:
    """One object's event in ``audit_many``."""

    object_id: Any
    detail: str = ""
    before: Any = None
    after: Any = None


def audit_many(
    user: Any,
    action: AuditAction | str,
    object_type: str,
    items: list[AuditItem],
    *,
    municipality_id: int | None = None,
) -> list[AuditEvent]:
    """``audit`` for many objects at once, one event each, in one INSERT (a batch of a
    service working set-based)."""
    authenticated = getattr(user, "is_authenticated", False)
    if str(action) in PROTECTED_READS and items:
        protected_read.set(True)
    username = _cut(user.get_username(), _limit("username")) if authenticated else ""
    return AuditEvent.objects.bulk_create([
        AuditEvent(user=user if authenticated else None, username=username, action=str(action),
                   object_type=_cut(object_type, _limit("object_type")),
                   object_id=_cut(item.object_id, _limit("object_id")),
                   municipality_id=municipality_id, before=item.before, after=item.after,
                   detail=_cut(item.detail, DETAIL_MAX))
        for item in items], batch_size=2000)
