"""The browser harness: Debian's chromium driven by Playwright for Python against a live server
(tests/conftest.py's `live_server`, on SQLite and on PostgreSQL).

- `browser`: one headless chromium per session, the system binary (Playwright's own browser
  download is never used).
- `page`: a fresh context per test at desktop size. Every request to a host other than the
  live server is aborted and fails the test ("no request to another host"), as does any
  Content-Security-Policy violation or page error.
- `axe(page, label)`: runs the vendored axe-core and fails on serious or critical violations.
- `shot(page, name)`: desktop and 360 px screenshots under tests/browser/screenshots/ (ignored
  by git; the best are copied to docs/).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
SHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 740}


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        _missing(f"chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS,
                                             headless=True)
        yield browser
        browser.close()


class Guard:
    """What a page did that it must not: requests elsewhere, CSP violations, script errors."""

    def __init__(self, origin: str):
        self.origin = origin
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def route(self, route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def console(self, message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text
                                        or "Refused to" in text):
            self.errors.append(text)

    def check(self):
        assert not self.foreign, f"requests to other hosts: {self.foreign}"
        assert not self.errors, f"CSP violations or page errors: {self.errors}"


@pytest.fixture
def page(browser, live_server):
    guard = Guard(live_server.url)
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", base_url=live_server.url,
                                  accept_downloads=True)
    context.route("**/*", guard.route)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", guard.console)
    page.on("pageerror", lambda error: guard.errors.append(f"page error: {error}"))
    page.guard = guard
    yield page
    context.close()
    guard.check()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """Run axe-core on the page as it is; fail on serious or critical violations."""

    def check(page, label: str) -> list[dict]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {label}: {json.dumps(bad, indent=1)}"
        return result

    return check


@pytest.fixture
def shot(request):
    """Screenshots at desktop and 360 px width, named <db>-<name>-{desktop,phone}.png (whole
    pages) and <db>-<name>-phone-screen.png (the first screen on the phone)."""
    SHOTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("database_url", "db") if hasattr(
        request.node, "callspec") else "db"

    def take(page, name: str, phone: bool = True) -> None:
        page.screenshot(path=str(SHOTS / f"{backend}-{name}-desktop.png"), full_page=True)
        if phone:
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(SHOTS / f"{backend}-{name}-phone.png"), full_page=True)
            # What the phone shows first (the README's pictures).
            page.screenshot(path=str(SHOTS / f"{backend}-{name}-phone-screen.png"))
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' '
                                 + Math.round(e.getBoundingClientRect().right))""")
            page.set_viewport_size(DESKTOP)
            assert width <= PHONE["width"], f"{name} is {width} px wide at 360 px: {wide}"

    return take


@pytest.fixture
def sign_in(make_user):
    """Sign in through the real form; creates the user first."""

    def do(page, email: str = "coordinator@example.org", **user):
        from tests.conftest import PASSWORD

        make_user(email, **user)
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)

    return do


def ready(page) -> None:
    """Wait until the page's own script has run (its enhancements are live)."""
    # A locator, not wait_for_function: the page's CSP forbids evaluating strings.
    page.locator("html.js").wait_for(state="attached")


def pick_language(page, label: str, code: str) -> None:
    """Choose a language in the header's picker and wait for the page in that language."""
    from playwright.sync_api import expect

    ready(page)
    page.get_by_label(label).select_option(code)
    expect(page.locator("html")).to_have_attribute("lang", code)
    ready(page)
