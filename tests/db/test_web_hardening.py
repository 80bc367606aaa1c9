"""Issue #14, the web side: bad requests answer 4xx (never 500), free text written to the audit
log is cut to what its columns hold, pages with owner or tax data are never stored by a cache,
and every HTML page carries a Content-Security-Policy whose nonce is on every inline script.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from gis_app.accounts.roles import Role
from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction, AuditEvent
from gis_app.permissions import walk

pytestmark = pytest.mark.django_db

HUGE = "9" * 20  # beyond a bigint, beyond any year or page


@pytest.fixture
def town(make_municipality, make_parcel):
    town = make_municipality("146301_1", "Radom")
    make_parcel("1", 677_000, 211_000, municipality=town)
    return town


LONG_OWNER = ("Spółdzielnia Mieszkaniowo-Budowlana Lokatorsko-Własnościowa "
              "imienia Bohaterów Ziemi Podkarpackiej i Obrońców Jasła w Likwidacji "
              "oraz Wspólnota Mieszkaniowa Nieruchomości Wspólnej przy ulicy Długiej")


@pytest.fixture
def owner(town):
    """The town's plot with an owner whose name is longer than 128 characters."""
    from layers.domain.text import normalize_text
    from layers.models import Parcel, RegistrationUnit, Share, Subject

    parcel = Parcel.objects.get(municipality=town)
    unit = RegistrationUnit.objects.create(
        municipality=town, unit_id=f"{parcel.precinct.teryt}.G1", kind="G", group=1,
        source_namespace="test", local_id="ru-1")
    subject = Subject.objects.create(municipality=town, kind="legal", name=LONG_OWNER,
                                     search_text=normalize_text(LONG_OWNER),
                                     source_namespace="test", local_id="subj-1")
    Share.objects.create(municipality=town, kind="ownership", numerator=1, denominator=1,
                         subject=subject, registration_unit=unit,
                         source_namespace="test", local_id="share-1")
    parcel.registration_unit = unit
    parcel.save()
    return subject


def _client_with(make_user, town, *roles: str) -> Client:
    c = Client()
    c.force_login(make_user("u-" + "-".join(roles or ("none",)), town, roles))
    return c


# --- bad requests get 4xx, never 500 ---------------------------------------------------------

def test_ogc_items_with_a_huge_offset_is_a_400(town):
    r = Client().get("/ogc/collections/parcels/items", {"offset": HUGE})
    assert r.status_code == 400, r.content[:300]
    assert b"offset" in r.content


def test_owner_search_over_128_characters_is_not_a_500(town, owner, make_user):
    c = _client_with(make_user, town, Role.TAX_OFFICER)
    q = LONG_OWNER
    assert 128 < len(q) <= 200
    r = c.get("/api/search", {"q": q})
    assert r.status_code == 200, r.content[:300]
    assert r.json()["results"], "the owner is found"
    logged = AuditEvent.objects.filter(object_type="owner_search").get()
    assert logged.object_id.endswith("…")
    page = c.get("/search/", {"q": q})
    assert page.status_code == 200


@pytest.mark.parametrize("params", [{"year": HUGE}, {"page": HUGE}, {"year": "-5"},
                                    {"year": "99999"}])
def test_tax_roll_with_a_huge_year_or_page_is_a_400(town, make_user, params):
    c = _client_with(make_user, town, Role.TAX_OFFICER)
    r = c.get(f"/taxes/{town.id}/roll/", params)
    assert r.status_code == 400, r.content[:300]
    assert next(iter(params)).encode() in r.content


def test_liability_with_a_huge_year_is_a_400(town, make_user):
    from registers.taxes.models import Taxpayer

    payer = Taxpayer.objects.create(municipality=town, name="Nowak Jan")
    c = _client_with(make_user, town, Role.TAX_OFFICER)
    r = c.get(f"/taxes/taxpayer/{payer.id}/", {"year": HUGE})
    assert r.status_code == 400, r.content[:300]
    assert b"year" in r.content


@pytest.mark.parametrize("value", [HUGE, "-99999999999", "99999999"])
def test_lease_list_with_a_huge_expiring_is_a_400(town, make_user, value):
    c = _client_with(make_user, town, Role.PROPERTY_OFFICER)
    r = c.get("/leases/", {"expiring": value})
    assert r.status_code == 400, r.content[:300]
    assert b"expiring" in r.content


def test_a_sane_value_still_works(town, make_user):
    c = _client_with(make_user, town, Role.PROPERTY_OFFICER, Role.TAX_OFFICER)
    assert c.get("/leases/", {"expiring": "90"}).status_code == 200
    assert c.get(f"/taxes/{town.id}/roll/", {"year": "2025", "page": "2"}).status_code == 200
    assert Client().get("/ogc/collections/parcels/items",
                        {"offset": "0", "limit": "5"}).status_code == 200


def test_the_audit_log_cuts_free_text_to_its_columns(make_user, town):
    user = make_user("auditor", town, (Role.TAX_OFFICER,))
    event = audit(user, AuditAction.READ_OWNERS, "o" * 500, "x" * 5000, detail="d" * 5000)
    event = AuditEvent.objects.get(pk=event.pk)
    assert len(event.object_type) == AuditEvent._meta.get_field("object_type").max_length
    assert len(event.object_id) == AuditEvent._meta.get_field("object_id").max_length
    assert event.object_id.startswith("xxx") and event.object_id.endswith("…")
    assert len(event.detail) <= 2000


# --- Cache-Control: no-store where owner or tax data are answered ----------------------------

def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_owner_and_tax_answers_are_never_stored(town, owner, make_user):
    from layers.models import Parcel

    parcel = Parcel.objects.get(municipality=town)
    c = _client_with(make_user, town, Role.TAX_OFFICER)
    for url in (f"/taxes/{town.id}/roll/", f"/taxes/{town.id}/taxpayers/", "/taxes/",
                f"/parcels/{parcel.id}/card", f"/api/parcels/{parcel.id}",
                f"/parcels/{parcel.id}/print"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert _no_store(r), (url, r.get("Cache-Control"))
    r = c.get("/api/search", {"q": "Spółdzielnia"})  # an owner search, audited
    assert _no_store(r)
    r = c.get(f"/taxes/{town.id}/roll/", {"format": "csv"})
    assert r.status_code == 200 and _no_store(r)


def test_public_answers_stay_cacheable(town):
    from layers.models import Parcel

    parcel = Parcel.objects.get(municipality=town)
    for url in ("/", f"/parcels/{parcel.id}/card", "/api/openapi.json"):
        r = Client().get(url)
        assert r.status_code == 200
        assert not _no_store(r), url


def test_every_view_with_a_protected_capability_says_no_store():
    """The rule is keyed on the view's declaration: every view whose capability is in
    NO_STORE_CAPABILITIES is covered, whatever its URL."""
    from gis_app.accounts.access import NO_STORE_CAPABILITIES
    from gis_app.accounts.roles import Capability

    assert {Capability.VIEW_OWNERS, Capability.VIEW_TAX, Capability.EDIT_TAX} <= \
        NO_STORE_CAPABILITIES
    protected = [ep for ep in walk() if ep.rule and ep.rule.capability in NO_STORE_CAPABILITIES]
    assert len(protected) >= 10


# --- Content-Security-Policy ------------------------------------------------------------------

def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if tag == "script" and "src" not in a and a.get("type") not in (
                "application/json", "application/ld+json"):
            self.inline.append(a)


def assert_csp_page(response, url: str) -> None:
    policy = _policy(response)
    assert policy, f"{url}: no Content-Security-Policy"
    script_src = policy.get("script-src", [])
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src, (url, script_src)
    assert "'unsafe-eval'" not in script_src
    assert policy.get("object-src") == ["'none'"]
    assert policy.get("base-uri") == ["'self'"]
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("connect-src") == ["'self'"]
    html = response.content.decode()
    parser = _Scripts()
    parser.feed(html)
    assert parser.handlers == [], f"{url}: inline event handlers {parser.handlers}"
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    for attrs in parser.inline:
        assert nonces and f"'nonce-{attrs.get('nonce')}'" in nonces, \
            f"{url}: an inline script without the response's nonce"


def _html_pages(town_id: int, parcel_id: int) -> list[str]:
    pages = []
    for ep in walk():
        if ep.admin or ep.rule is None or ep.name in ("logout", "set_language"):
            continue
        route = ep.route.lstrip("^").rstrip("$")
        route = route.replace("<int:municipality_id>", str(town_id))
        route = route.replace("<int:parcel_id>", str(parcel_id))
        if "<" in route or "(?P" in route or "\\" in route:
            continue
        pages.append("/" + route)
    return sorted(set(pages))


def test_every_html_page_has_a_csp_and_no_unnonced_inline_script(town, make_user):
    from layers.models import Parcel

    parcel = Parcel.objects.get(municipality=town)
    clients = [Client(), _client_with(make_user, town, *[r.value for r in Role])]
    seen = 0
    for c in clients:
        for url in _html_pages(town.id, parcel.id):
            r = c.get(url)
            if r.status_code != 200 or "text/html" not in r.get("Content-Type", ""):
                continue
            seen += 1
            assert_csp_page(r, url)
    assert seen >= 25


def test_admin_pages_and_map_widget_have_no_unnonced_inline_script(admin_client, town):
    from layers.models import Parcel

    parcel = Parcel.objects.get(municipality=town)
    for url in ("/admin/", "/admin/layers/parcel/", f"/admin/layers/parcel/{parcel.id}/change/"):
        r = admin_client.get(url)
        assert r.status_code == 200, url
        assert_csp_page(r, url)
    page = admin_client.get(f"/admin/layers/parcel/{parcel.id}/change/")
    assert "layers/offline_map_widget.js" in page.content.decode()
    assert _no_store(page)  # the admin shows owners and everything else


def test_the_map_page_nonces_folium_scripts(town):
    r = Client().get("/")
    assert_csp_page(r, "/")
    nonce = re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1)
    assert r.content.decode().count(f'nonce="{nonce}"') >= 2
    # a second request gets a different nonce
    again = Client().get("/")
    assert re.search(r"'nonce-([^']+)'", again["Content-Security-Policy"]).group(1) != nonce
