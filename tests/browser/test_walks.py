"""One walk per role through its main pages in Chromium against the demo town (issue #18):
every page answers 200 in the one layout, axe-core (from npm, served by the app) finds no
serious or critical violation, nothing leaves 127.0.0.1, and each page is photographed at
desktop (1400×900) and phone (390×844) size. The role's first page goes to docs/img for the
README; the rest to tests/output/screenshots."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_map_browser import wait_for_card

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
DOCS_PER_ROLE = 1  # the first page of each walk is the README's picture

AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " + v.help + " @ "
         + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


def _pages(town_id: int) -> dict[str, list[str]]:
    t = town_id
    return {
        "public": ["/leases/offers/", "/parking/", "/search/?q=Jas", "/no-such-page/"],
        "planner": ["/", "/leases/", "/housing/", "/landscape/"],
        "property_officer": ["/leases/property/", "/leases/", "/leases/new/", "/leases/rents/",
                             "/leases/usufruct/", "/housing/"],
        "tax_officer": [f"/taxes/{t}/taxpayers/", f"/taxes/{t}/roll/", "/taxes/",
                        f"/taxes/{t}/resolutions/", f"/taxes/{t}/decisions/",
                        f"/taxes/{t}/reconciliation/", f"/payments/{t}/",
                        f"/payments/{t}/debtors/"],
        "landscape_inspector": ["/landscape/inspections/", "/landscape/check/", "/landscape/",
                                "/landscape/devices/"],
        "administrator": ["/audit/", "/leases/", "/parking/revenue/"],
        "parking_controller": ["/parking/control/", "/parking/notices/"],
    }


@pytest.fixture(scope="module")
def walkers(demo_town, django_db_blocker):
    """A user of every role in the demo town (the administrator is also Django staff)."""
    from django.contrib.auth import get_user_model

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role

    users = {}
    with django_db_blocker.unblock():
        for role in Role:
            user, _ = get_user_model().objects.get_or_create(
                username=f"walk_{role}", defaults={"is_staff": role == Role.ADMINISTRATOR})
            grant(user, demo_town.parcel.municipality, [role])
            users[str(role)] = user
    return users


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"/\d+/", "/", path).lower()).strip("-") or "map"


def _walk(role: str, paths: list[str], user, server, new_page, login, page_log) -> list[str]:
    page = new_page(viewport=DESKTOP)
    page.set_default_navigation_timeout(45_000)  # whole registers' pages on a shared CI machine
    if user is not None:
        login(page.context, user, server.url)
    problems: list[str] = []
    for i, path in enumerate(paths):
        response = page.goto(server.url + path)
        expected = 404 if "no-such" in path else 200
        if response is None or response.status != expected:
            body = response.text()[:300] if response is not None else ""
            problems.append(f"{path}: HTTP {response and response.status} {body}")
            continue
        page.wait_for_load_state("load")
        if expected == 404:  # the browser reports the page's own status on the console
            page_log.console_errors[:] = [e for e in page_log.console_errors if "404" not in e]
        assert page.locator("header.topbar nav.main-menu").count() == 1, f"{path}: no header"
        assert page.locator("a.skip-link").count() == 1, f"{path}: no skip link"
        header = page.eval_on_selector("header.topbar", "h => h.getBoundingClientRect().height")
        if header > 64:  # two lines at most (the tax pages' bar was ~300 px)
            problems.append(f"{path}: the header is {header} px tall at 1400 px")
        page.add_script_tag(url=server.url + "/static/vendor/axe-core/axe.min.js")
        problems += [f"{path}: {v}" for v in page.evaluate(AXE)]
        name = f"{role}-{_slug(path)}"
        docs = i < DOCS_PER_ROLE
        screenshot(page, name, docs=docs)
        page.set_viewport_size(PHONE)
        screenshot(page, name + "-phone", docs=docs)
        page.set_viewport_size(DESKTOP)
    assert page_log.external_requests == [], page_log.external_requests
    return problems


@pytest.mark.parametrize("role", list(_pages(0)))
def test_role_walk(role, demo_town, demo_server, walkers, new_page, login, page_log):
    paths = _pages(demo_town.parcel.municipality_id)[role]
    user = None if role == "public" else walkers[role]
    problems = _walk(role, paths, user, demo_server, new_page, login, page_log)
    assert problems == [], "\n".join(problems)
    assert page_log.console_errors == [], page_log.console_errors


def test_map_plots_reachable_from_the_keyboard(demo_town, demo_server, new_page, page_log):
    """Skip link first, then search → result → card without a mouse; results and errors are
    announced (aria-live)."""
    page = new_page(viewport=DESKTOP)
    page.goto(demo_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    assert page.get_attribute("#search-message", "aria-live") == "polite"
    page.focus("#search-q")
    page.keyboard.type(demo_town.parcel.cadastral_id)
    page.wait_for_selector(f'#search-results a[data-id="{demo_town.parcel.id}"]')
    options = page.eval_on_selector_all("#search-results [role=option] a",
                                        "as => as.map(a => a.dataset.id)")
    for _ in range(options.index(str(demo_town.parcel.id)) + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_for_card(page, demo_town.parcel.cadastral_id)
    assert page_log.console_errors == []
