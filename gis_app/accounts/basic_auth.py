"""HTTP Basic credentials checked by the password hasher once, then remembered for minutes.

QGIS, GDAL and OWSLib send the same Basic header with every request and page through a collection
in dozens of them; ``authenticate()`` would run the password hasher (PBKDF2, a deliberate ~0.3 s)
on each. After a success, Django's cache (the default: a LocMemCache inside each worker process)
remembers ``HMAC(SECRET_KEY-derived key, user name + password) → (user id, session auth hash)``
for ``GEOGMINA_BASIC_AUTH_CACHE_SECONDS``. The key cannot be turned back into the password, and
nothing else about the password is kept.

What still applies on every request, cached or not:

* django-axes: a user name locked out at this address skips the cache, so ``authenticate()``
  runs and axes refuses it (429) exactly as without the cache;
* an inactive, deleted or renamed user misses;
* a changed password misses: the session auth hash is an HMAC of the stored password hash;
* failures are never remembered, so every wrong password reaches ``authenticate()`` and counts
  towards the lockout; a checked right password is a login (``user_logged_in``), which resets
  the count as the login form does.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

_KEY_SALT = "gis_app.accounts.basic_auth"
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def authenticate_basic(request: HttpRequest, username: str, password: str
                       ) -> AbstractBaseUser | None:
    """The user these Basic credentials belong to, or None; the hasher runs once per TTL."""
    ttl = settings.GEOGMINA_BASIC_AUTH_CACHE_SECONDS
    if ttl <= 0:
        user = authenticate(request, username=username, password=password)
        if user is not None:
            _logged_in(request, user)
        return user
    key = cache_key(username, password)
    user = _remembered_user(request, key, username)
    if user is None:
        user = authenticate(request, username=username, password=password)
        if user is not None:
            _logged_in(request, user)
            cache.set(key, (user.pk, user.get_session_auth_hash()), ttl)
    return user


def _logged_in(request: HttpRequest, user: AbstractBaseUser) -> None:
    """A checked Basic password is a login: django-axes resets the user name's failed attempts
    (AXES_RESET_ON_SUCCESS) and ``last_login`` moves, as after the login form. ``authenticate()``
    alone sends no signal, so a QGIS user who mistyped four times stayed one typo from lockout."""
    user_logged_in.send(sender=user.__class__, request=request, user=user)


def cache_key(username: str, password: str) -> str:
    """An HMAC keyed from SECRET_KEY: neither the password nor the user name can be read back."""
    # The length prefix keeps ("a:b", "c") and ("a", "b:c") apart.
    message = f"{len(username)}:{username}:{password}"
    return "basic-auth:" + salted_hmac(_KEY_SALT, message, algorithm="sha256").hexdigest()


def _remembered_user(request: HttpRequest, key: str, username: str) -> AbstractBaseUser | None:
    entry = cache.get(key)
    if entry is None:
        return None
    user_id, auth_hash = entry
    if getattr(settings, "AXES_ENABLED", True) and not AxesProxyHandler.is_allowed(
            request, get_credentials(username=username)):
        cache.delete(key)
        return None  # locked out: authenticate() refuses, and the axes middleware answers 429
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if (user is None or not ModelBackend().user_can_authenticate(user)
            or user.get_username() != username
            or not constant_time_compare(user.get_session_auth_hash(), auth_hash)):
        cache.delete(key)
        return None
    user.backend = _MODEL_BACKEND  # as authenticate() would set it
    return user
