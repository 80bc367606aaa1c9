"""Write audit events. Called by selectors that return protected data and by register services."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import override

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


class Note:
    """An audit detail as a message the viewer translates: an English template, marked where it
    is written (``Note(gettext_noop("liability %(year)s"), year=2026)``), with its parameters.

    The log keeps the English text in ``detail`` (what SQL, the CLI and old readers see) and the
    template with the parameters in ``detail_note``: the audit page renders it in the reader's
    language through Django i18n, so a translation added later also shows the rows written
    before it. A parameter may be a ``Note`` itself (a word that needs translating), a number
    (``Decimal``/``float``: shown in the locale's format) or a date.
    """

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = str(template)
        self.params = {name: _param(value) for name, value in params.items()}

    def as_json(self) -> dict[str, Any]:
        return {"t": self.template,
                "p": {k: v.as_json() if isinstance(v, Note) else v
                      for k, v in self.params.items()}}

    def __str__(self) -> str:
        return render_note(self.as_json())

    def __repr__(self) -> str:
        return f"Note({self.template!r}, **{self.params!r})"


def _param(value: Any) -> Any:
    """A parameter as JSON the viewer can format: numbers and dates marked as such."""
    if isinstance(value, Promise):  # a lazy translation (a choice's label): kept as its msgid
        with override(None):
            return Note(str(value))
    if isinstance(value, str):  # free text of a request (a query string) is cut as the detail is
        return _cut(value, DETAIL_MAX)
    if isinstance(value, Note) or value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal | float):
        return {"number": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return str(value)


def _plain(value: Any) -> str:
    return str(value)


def render_note(data: Any, translate: Callable[[str], str] = _plain,
                number: Callable[[str], str] = _plain, day: Callable[[str], str] = _plain) -> str:
    """A stored note (``Note.as_json()``) as text: ``translate`` gives the template in the
    reader's language (``gettext``), ``number``/``day`` format the marked parameters. Without
    them: the English text the log keeps in ``detail``. A translation that does not fit its
    parameters falls back to the English template rather than failing the page."""
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return "" if data is None else str(data)
    params = {}
    for name, value in (data.get("p") or {}).items():
        if isinstance(value, dict) and "t" in value:
            params[name] = render_note(value, translate, number, day)
        elif isinstance(value, dict) and "number" in value:
            params[name] = number(value["number"])
        elif isinstance(value, dict) and ("date" in value or "datetime" in value):
            params[name] = day(value.get("date") or value["datetime"])
        else:
            params[name] = "" if value is None else value
    template = data["t"]
    for text in (translate(template), template):
        try:
            return text % params if params or "%(" in text else text
        except (KeyError, ValueError, TypeError):
            continue
    return template


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
    detail: Note | str = "",
) -> AuditEvent:
    """Write one event. ``detail`` is a ``Note`` (translated when the log is read); a plain
    string is kept as it is written."""
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
        detail_note=detail.as_json() if isinstance(detail, Note) else None,
    )



@dataclass(frozen=True)
class AuditItem:
    """One object's event in ``audit_many``."""

    object_id: Any
    detail: Note | str = ""
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
                   detail=_cut(item.detail, DETAIL_MAX),
                   detail_note=item.detail.as_json() if isinstance(item.detail, Note) else None)
        for item in items], batch_size=2000)
