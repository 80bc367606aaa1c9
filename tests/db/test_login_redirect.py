"""The login page brings the visitor back to the very address they asked for, query string
included (``next`` is encoded by django.contrib.auth's redirect_to_login)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from gis_app.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_next_keeps_its_query_string_through_the_login(make_municipality, make_user):
    town = make_municipality()
    make_user("skarbnik", town, (Role.TAX_OFFICER,))
    wanted = f"/taxes/{town.pk}/roll/?year=2026&format=csv"
    client = Client()
    response = client.get(wanted)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query) == {"next": [wanted]}
    login = client.post(response["Location"], {"username": "skarbnik",
                                                "password": "pw-skarbnik", "next": wanted},
                        REMOTE_ADDR="10.0.0.9")
    assert login.status_code == 302 and login["Location"] == wanted
    roll = client.get(login["Location"])
    assert roll.status_code == 200 and roll["Content-Type"].startswith("text/csv")
