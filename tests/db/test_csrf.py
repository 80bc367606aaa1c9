"""CSRF on every form: every URL of the app refuses a POST without a token (403) from a user
holding every role, and every POST form the pages render carries the token."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gis_app.accounts.roles import Role
from gis_app.permissions import walk

pytestmark = pytest.mark.django_db

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
SAMPLE = {"z": "14", "x": "9000", "y": "5000", "fmt": "csv", "layer": "parcels",
          "name": "demo", "collection_id": "parcels", "feature_id": "1"}


def _url(route: str, town_id: int) -> str:
    """A concrete address for a route: ids of the town, sample values for the rest."""
    route = route.replace("^", "").replace("$", "").replace("\\.", ".")

    def fill(m: re.Match) -> str:
        name = m.group(2) or m.group(3)
        if name == "municipality_id":
            return str(town_id)
        return SAMPLE.get(name, "1")

    return "/" + _PARAM.sub(fill, route)


@pytest.fixture
def everyrole(make_municipality, make_user, make_parcel):
    town = make_municipality("146301_1", "Radom")
    make_parcel("1", 677_000, 211_000, municipality=town)
    user = make_user("csrf", town, tuple(r.value for r in Role), is_staff=True,
                     is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return town, client


def _endpoints(town_id: int, *, token: bool = False) -> list[str]:
    """Session-authenticated URLs, or (``token``) those that take only a bearer token."""
    urls = sorted({_url(ep.route, town_id) for ep in walk()
                   if bool(ep.rule is not None and ep.rule.token) == token})
    return [u for u in urls if "(" not in u and "<" not in u]


def test_every_post_without_a_token_is_refused(everyrole):
    town, client = everyrole
    urls = _endpoints(town.id)
    assert len(urls) > 60  # the admin and every register are walked
    for url in urls:
        r = client.post(url, {"title": "x", "number": "1"})
        assert r.status_code == 403, (url, r.status_code)
        assert b"CSRF" in r.content, url
        # a token in the form without the cookie is no better
        r = client.post(url, {"csrfmiddlewaretoken": "A" * 64})
        assert r.status_code == 403, url


def test_bearer_token_endpoints_refuse_a_session(everyrole):
    """The operators' API takes no cookie, so CSRF cannot ride on it: a logged-in browser that
    posts there without the operator's token is refused (401; 403 where the CSRF check sees
    it first) before anything is read."""
    town, client = everyrole
    urls = _endpoints(town.id, token=True)
    assert urls, "the parking operators' API is walked"
    for url in urls:
        r = client.post(url, {"title": "x"}, content_type="application/json")
        assert r.status_code in (401, 403), (url, r.status_code)


def test_a_post_with_the_token_passes_the_check(everyrole):
    """The refusal above is the CSRF check, not something else: with the token the same
    client's logout goes through."""
    town, client = everyrole
    page = client.get(f"/taxes/{town.id}/taxpayers/new/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    r = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token.decode()})
    assert r.status_code == 302


_FORM = re.compile(rb"<form\b[^>]*>.*?</form>", re.S | re.I)
_POST = re.compile(rb"method\s*=\s*[\"']?post", re.I)


def test_every_post_form_carries_the_token(everyrole):
    town, client = everyrole
    pages = [u for u in _endpoints(town.id) if not u.startswith(("/tiles/", "/rasters/"))]
    forms_seen = 0
    for url in pages:
        r = client.get(url)
        if r.status_code != 200 or not r.get("Content-Type", "").startswith("text/html"):
            continue
        for form in _FORM.findall(r.content):
            head = form.split(b">", 1)[0]
            if _POST.search(head):
                forms_seen += 1
                assert b'name="csrfmiddlewaretoken"' in form, (url, head)
    assert forms_seen >= 15  # logout on every page, the registers' edit forms, the admin
