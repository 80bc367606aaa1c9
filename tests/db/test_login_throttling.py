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
