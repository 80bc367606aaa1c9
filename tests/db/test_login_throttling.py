"""Login throttling (django-axes): five wrong passwords lock one user name from one address.

The lock covers the login form and HTTP Basic in the OGC API alike (both go through
``django.contrib.auth.authenticate(request=...)``), refuses even the right password with a clear
Polish message, leaves other users and other addresses alone, and ends with the cool-off or an
administrator's reset.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.utils import timezone

from gis_app.accounts.roles import Role

LOGIN = "/accounts/login/"
IP_A = "10.0.0.1"
IP_B = "10.0.0.2"

pytestmark = pytest.mark.django_db


def _post(client, username: str, password: str, ip: str = IP_A, lang: str = "pl"):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang)


def _logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def users(make_municipality, make_user):
    town = make_municipality()
    return (make_user("anna", town, (Role.PLANNER,)), make_user("piotr", town, (Role.PLANNER,)))


def test_settings_throttle_by_user_and_address():
    assert "axes" in settings.INSTALLED_APPS
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_five_wrong_passwords_lock_the_user_at_that_address(client, users):
    for attempt in range(4):
        response = _post(client, "anna", f"wrong-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = _post(client, "anna", "wrong-5")
    assert locked.status_code == 429
    # the right password is refused now, with a clear Polish message
    refused = _post(client, "anna", "pw-anna")
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Zbyt wiele nieudanych prób logowania" in text and "5" in text
    assert "_auth_user_id" not in client.session
    # another user from the same address, and the same user from another address, are unaffected
    assert _logged_in(_post(client, "piotr", "pw-piotr"))
    client.logout()
    assert _logged_in(_post(client, "anna", "pw-anna", ip=IP_B))


def test_the_lock_expires_after_the_cool_off(client, users):
    for attempt in range(5):
        _post(client, "anna", f"wrong-{attempt}")
    assert _post(client, "anna", "pw-anna").status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    assert AccessAttempt.objects.filter(username="anna").update(attempt_time=past) == 1
    assert _logged_in(_post(client, "anna", "pw-anna"))


def test_an_administrator_reset_unlocks(client, users):
    for attempt in range(5):
        _post(client, "anna", f"wrong-{attempt}")
    assert _post(client, "anna", "pw-anna").status_code == 429
    assert reset(username="anna") == 1
    assert _logged_in(_post(client, "anna", "pw-anna"))


def test_a_success_before_the_limit_clears_the_count(client, users):
    for attempt in range(4):
        _post(client, "anna", f"wrong-{attempt}")
    assert _logged_in(_post(client, "anna", "pw-anna"))
    client.logout()
    for attempt in range(4):
        assert _post(client, "anna", f"again-{attempt}").status_code == 200
    assert _logged_in(_post(client, "anna", "pw-anna"))


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "REMOTE_ADDR": IP_A}


def test_http_basic_in_the_ogc_api_is_throttled_too(client, make_municipality, make_user):
    town = make_municipality()
    make_user("officer", town, (Role.PROPERTY_OFFICER,))
    url = "/ogc/collections/parcel-owners/items"
    assert client.get(url, **_basic("officer", "pw-officer")).status_code == 200
    for attempt in range(4):
        assert client.get(url, **_basic("officer", f"bad-{attempt}")).status_code == 401
    assert client.get(url, **_basic("officer", "bad-5")).status_code == 429
    assert client.get(url, **_basic("officer", "pw-officer")).status_code == 429
    # the login form shares the lock: the same user name from the same address
    assert _post(client, "officer", "pw-officer").status_code == 429


# --- the address a lockout is keyed on (issue 14) -------------------------------------------

PROXY = "127.0.0.1"


def _via(client, username: str, password: str, forwarded: str, remote: str = PROXY):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded,
                       HTTP_ACCEPT_LANGUAGE="pl")


def test_lockouts_stay_keyed_on_user_and_address():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_CLIENT_IP_CALLABLE == "gis_app.middleware.axes_client_ip"


def test_without_the_proxy_setting_a_claimed_forwarded_address_is_ignored(client, users,
                                                                          settings):
    settings.GEOGMINA_BEHIND_HTTPS_PROXY = False
    for attempt in range(5):
        _via(client, "anna", f"wrong-{attempt}", f"203.0.113.{attempt}", remote=IP_A)
    # a client cannot dodge its lockout by inventing X-Forwarded-For addresses
    assert _via(client, "anna", "pw-anna", "198.51.100.7", remote=IP_A).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {IP_A}
    # the lockout is the user's at that address only
    assert _logged_in(_via(client, "anna", "pw-anna", "203.0.113.0", remote=IP_B))


def test_behind_the_proxy_the_client_address_it_forwards_is_the_key(client, users, settings):
    settings.GEOGMINA_BEHIND_HTTPS_PROXY = True
    # the client claims an address of its own first; the proxy appends the one it saw
    for attempt in range(5):
        _via(client, "anna", f"wrong-{attempt}", f"10.9.9.{attempt}, 203.0.113.5")
    assert _via(client, "anna", "pw-anna", "203.0.113.5").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # everyone comes from the proxy's address, yet another client is not locked out
    assert _logged_in(_via(client, "anna", "pw-anna", "203.0.113.9"))
    client.logout()
    # and another user at the locked client's address is not either
    assert _logged_in(_via(client, "piotr", "pw-piotr", "203.0.113.5"))


def test_a_malformed_forwarded_address_falls_back_to_the_peer(rf, settings):
    from gis_app.middleware import axes_client_ip

    settings.GEOGMINA_BEHIND_HTTPS_PROXY = True
    assert axes_client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="x, <b>")) == PROXY
    assert axes_client_ip(rf.get("/", REMOTE_ADDR=PROXY)) == PROXY
    assert axes_client_ip(rf.get("/", REMOTE_ADDR=PROXY,
                                 HTTP_X_FORWARDED_FOR=" 2001:db8::1 ")) == "2001:db8::1"
    settings.GEOGMINA_BEHIND_HTTPS_PROXY = False
    assert axes_client_ip(rf.get("/", REMOTE_ADDR=IP_A,
                                 HTTP_X_FORWARDED_FOR="203.0.113.5")) == IP_A
