"""HTTP Basic in the OGC API: the password hasher runs once per client, not once per page, and
the remembered success never outlives a wrong password, a new password, a deactivation or an
axes lockout.

Requests go through the real views and the real database; the password hasher is the tests'
MD5 one wrapped to count its checks.
"""

from __future__ import annotations

import base64
import pickle

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache

from gis_app.accounts.basic_auth import cache_key
from gis_app.accounts.roles import Role

pytestmark = pytest.mark.django_db

URL = "/ogc/collections/parcel-owners/items"  # a protected collection (view_owners)
IP = "10.0.0.7"


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher (same algorithm name, so stored hashes verify) counting its checks."""

    checks = 0

    def verify(self, password: str, encoded: str) -> bool:
        type(self).checks += 1
        return super().verify(password, encoded)


@pytest.fixture(autouse=True)
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.GEOGMINA_BASIC_AUTH_CACHE_SECONDS = 300
    CountingHasher.checks = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def officer(make_municipality, make_user):
    return make_user("officer", make_municipality(), (Role.PROPERTY_OFFICER,))


def basic(username: str, password: str, ip: str = IP) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "REMOTE_ADDR": ip}


def page(client, username: str, password: str, offset: int = 0, ip: str = IP) -> int:
    return client.get(f"{URL}?limit=10&offset={offset}", **basic(username, password, ip)
                      ).status_code


def test_paging_with_the_same_credentials_checks_the_password_once(client, officer):
    assert page(client, "officer", "pw-officer") == 200
    assert CountingHasher.checks == 1
    for offset in range(10, 60, 10):
        assert page(client, "officer", "pw-officer", offset) == 200
    assert CountingHasher.checks == 1
    # other OGC endpoints share the remembered success
    assert client.get("/ogc/collections", **basic("officer", "pw-officer")).status_code == 200
    assert CountingHasher.checks == 1


def test_the_cache_holds_neither_password_nor_user_name(client, officer):
    page(client, "officer", "pw-officer")
    key = cache_key("officer", "pw-officer")
    assert "pw-officer" not in key and "officer" not in key
    assert cache.get(key) == (officer.pk, officer.get_session_auth_hash())
    # LocMemCache keeps pickled values under prefixed keys: search them all
    stored = cache._cache  # the default cache is the per-process LocMemCache
    assert stored, "the success is remembered"
    for raw_key, value in stored.items():
        blob = raw_key.encode() + (value if isinstance(value, bytes) else pickle.dumps(value))
        assert b"pw-officer" not in blob


def test_a_wrong_password_is_refused_after_the_right_one_was_remembered(client, officer):
    assert page(client, "officer", "pw-officer") == 200
    assert page(client, "officer", "wrong") == 401
    assert page(client, "officer", "pw-officer-") == 401
    assert page(client, "officer", "") == 401
    assert CountingHasher.checks == 4, "every wrong password goes to the hasher"
    assert page(client, "officer", "pw-officer") == 200
    assert CountingHasher.checks == 4
    # a failure is never remembered: the same wrong password is checked again
    assert page(client, "officer", "wrong") == 401
    assert CountingHasher.checks == 5


def test_a_new_password_invalidates_the_remembered_one(client, officer):
    assert page(client, "officer", "pw-officer") == 200
    officer.set_password("a-new-password-1")
    officer.save()
    assert page(client, "officer", "pw-officer") == 401
    assert page(client, "officer", "a-new-password-1") == 200
    checks = CountingHasher.checks
    assert page(client, "officer", "a-new-password-1") == 200
    assert CountingHasher.checks == checks


def test_a_deactivated_user_is_refused_at_once(client, officer):
    assert page(client, "officer", "pw-officer") == 200
    officer.is_active = False
    officer.save()
    assert page(client, "officer", "pw-officer") == 401
    officer.is_active = True
    officer.save()
    assert page(client, "officer", "pw-officer") == 200


def test_a_renamed_or_deleted_user_misses(client, officer):
    assert page(client, "officer", "pw-officer") == 200
    officer.username = "officer2"
    officer.save()
    assert page(client, "officer", "pw-officer") == 401
    assert page(client, "officer2", "pw-officer") == 200
    officer.delete()
    assert page(client, "officer2", "pw-officer") == 401


def test_a_locked_out_user_is_refused_despite_the_remembered_password(client, officer):
    assert page(client, "officer", "pw-officer") == 200
    assert page(client, "officer", "pw-officer", 10) == 200
    assert CountingHasher.checks == 1, "the success is remembered"
    for attempt in range(4):
        assert page(client, "officer", f"bad-{attempt}") == 401
    assert page(client, "officer", "bad-5") == 429
    assert page(client, "officer", "pw-officer") == 429
    assert page(client, "officer", "pw-officer", 10) == 429
    # axes locks the user name at that address only; elsewhere the credentials still work
    assert page(client, "officer", "pw-officer", ip="10.0.0.8") == 200


def test_a_ttl_of_zero_checks_every_request(client, officer, settings):
    settings.GEOGMINA_BASIC_AUTH_CACHE_SECONDS = 0
    for offset in (0, 10, 20):
        assert page(client, "officer", "pw-officer", offset) == 200
    assert CountingHasher.checks == 3


def test_a_checked_password_resets_the_failed_attempts(client, officer):
    # as after the login form (AXES_RESET_ON_SUCCESS): four typos, then the right password,
    # must not leave the user one typo from lockout
    for attempt in range(4):
        assert page(client, "officer", f"bad-{attempt}") == 401
    assert page(client, "officer", "pw-officer") == 200
    for attempt in range(4):
        assert page(client, "officer", f"again-{attempt}") == 401
    assert page(client, "officer", "pw-officer", 10) == 200
    officer.refresh_from_db()
    assert officer.last_login is not None
