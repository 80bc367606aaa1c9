"""Real-browser fixtures: Debian's Chromium driven by Playwright's Python package.

``playwright install`` cannot download browsers here, so Chromium comes from Debian
(/usr/bin/chromium) with the flags that keep it off the network. Every page records console
errors and any request that leaves 127.0.0.1, so tests can assert the app is self-contained.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + Django ORM

CHROMIUM = os.environ.get("GEOGMINA_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make deps` installs Debian's chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageLog:
    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        self.failed_requests: list[str] = []


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def new_page(browser, page_log):
    """Open pages in a fresh context; ``new_page(viewport=…)`` for a phone-sized screen."""
    contexts = []

    def make(viewport: dict | None = None, locale: str = "pl-PL"):
        ctx = browser.new_context(viewport=viewport or {"width": 1400, "height": 900},
                                  locale=locale)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
        page.on("pageerror", lambda e: page_log.console_errors.append(str(e)))

        def on_request(req):
            host = urlparse(req.url).hostname
            if req.url.startswith(("http://", "https://")) and host not in LOCAL_HOSTS:
                page_log.external_requests.append(req.url)

        page.on("request", on_request)
        page.on("requestfailed", lambda r: page_log.failed_requests.append(r.url))
        page.set_default_timeout(15_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
