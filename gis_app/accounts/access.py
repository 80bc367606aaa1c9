"""Who may use a view and which municipalities a user sees.

Every view declares its rule with ``@access(...)``; the rule is kept on the view as
``view.access_rule`` so a test can walk the URL configuration and find any view without one.
Selectors narrow querysets with ``municipality_ids(user, capability)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from gis_app.accounts.roles import CAPABILITIES, PUBLIC, Capability

# Views declaring one of these answer ``Cache-Control: no-store`` (gis_app.middleware
# NoStoreMiddleware): owner data (RODO), tax data (tax secrecy), and every other internal page,
# which shows lessees, tenants, inspectors or the audit trail. Public views answer no-store when
# they answered owner or tax data (an audited protected read).
NO_STORE_CAPABILITIES: frozenset[Capability] = frozenset(Capability)
# Owner data and tax data: answers carrying them are never stored, whatever the view (tiles).
OWNER_OR_TAX_CAPABILITIES: frozenset[Capability] = frozenset(
    {Capability.VIEW_OWNERS, Capability.VIEW_TAX, Capability.EDIT_TAX})


@dataclass(frozen=True)
class AccessRule:
    """``public`` views need no login; otherwise the user needs ``capability`` somewhere."""

    public: bool
    capability: Capability | None = None
    description: str = ""
    #: who holds the bearer token such a view asks for instead of a session ("" = none)
    token: str = ""
    authenticate: Callable[[HttpRequest], HttpResponse | None] | None = field(
        default=None, compare=False, repr=False)

    @property
    def roles(self) -> frozenset[str]:
        if self.public:
            return frozenset({PUBLIC})
        if self.token:
            return frozenset()  # no session role: only the token's holder
        assert self.capability is not None
        return CAPABILITIES[self.capability]


def _grants(user: Any) -> list[tuple[int, str]]:
    cached = getattr(user, "_geogmina_grants", None)
    if cached is None:
        cached = list(user.grants.values_list("municipality_id", "role"))
        user._geogmina_grants = cached
    return cached


def municipality_ids(user: Any, capability: Capability) -> set[int]:
    """Municipalities in which ``user`` holds ``capability`` (empty for the public)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return set()
    allowed = CAPABILITIES[capability]
    return {mid for mid, role in _grants(user) if role in allowed}


def has_capability(user: Any, capability: Capability, municipality_id: int | None = None) -> bool:
    ids = municipality_ids(user, capability)
    return bool(ids) if municipality_id is None else municipality_id in ids


def visible_municipality_ids(user: Any) -> set[int]:
    """Municipalities in which the user holds any role at all."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {mid for mid, _ in _grants(user)}


def access(
    capability: Capability | None = None, *, public: bool = False, description: str = "",
    token: Callable[[HttpRequest], HttpResponse | None] | None = None,
) -> Callable:
    """Declare and enforce who may use a view.

    ``@access(public=True)``: anyone, including the public. ``@access(Capability.X)``: a logged-in
    user holding X in at least one municipality; anonymous users go to the login page, others
    get 403. ``@access(token=check)``: a machine client with a bearer token and no session;
    ``check(request)`` answers the refusal (401) or None, and its ``holder`` names who holds
    such tokens (the permission matrix shows it); answers are never stored by caches. Per-record
    municipality checks belong to the selector that loads the record.
    """
    if sum((public, capability is not None, token is not None)) != 1:
        raise ValueError("give exactly one of public=True, a capability or a token check")
    rule = AccessRule(public=public, capability=capability, description=description,
                      token=getattr(token, "holder", "bearer token") if token else "",
                      authenticate=token)

    def decorate(view: Callable) -> Callable:
        if isinstance(view, type):  # class-based view
            view.access_rule = rule
            original = view.dispatch

            @wraps(original)
            def dispatch(self, request, *args, **kwargs):
                denied = _check(request, rule)
                return denied or original(self, request, *args, **kwargs)

            view.dispatch = dispatch
            return view

        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            denied = _check(request, rule)
            return denied or view(request, *args, **kwargs)

        wrapped.access_rule = rule
        return wrapped

    return decorate


def _check(request: HttpRequest, rule: AccessRule) -> HttpResponse | None:
    if rule.public:
        return None
    if rule.authenticate is not None:
        return rule.authenticate(request)
    if not request.user.is_authenticated:
        if wants_json(request):
            from django.http import JsonResponse

            return JsonResponse({"error": "authentication required"}, status=401)
        # redirect_to_login encodes ``next``, so its own query string survives the login
        return redirect_to_login(request.get_full_path())
    if not has_capability(request.user, rule.capability):
        raise PermissionDenied(f"this page needs the capability {rule.capability}")
    return None


def grant(user: Any, municipality: Any, roles: Iterable[str]) -> None:
    """Give ``user`` the ``roles`` in ``municipality`` (used by demo data and tests)."""
    from gis_app.accounts.models import Grant

    for role in roles:
        Grant.objects.get_or_create(user=user, municipality=municipality, role=role)
    if hasattr(user, "_geogmina_grants"):
        del user._geogmina_grants


def wants_json(request: HttpRequest) -> bool:
    """Does the client read JSON rather than pages? API paths, tiles, the health check,
    ``.json``/``.pbf`` addresses, or an Accept header naming JSON (as OGC API clients send).
    The one rule for every answer that differs by it (401 instead of the login page, JSON
    errors instead of HTML): a browser following an export link still meets the login page."""
    path = request.path
    return ("/api/" in path or path.startswith(("/tiles/", "/health/"))
            or path.endswith((".json", ".pbf"))
            or "json" in request.headers.get("accept", ""))
