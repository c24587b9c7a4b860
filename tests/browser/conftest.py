"""Fixtures for the page tests: one live server and one Chromium per session (the machine is
small), and a fresh browser context (a fresh profile: storage, service workers) per test."""
from __future__ import annotations

import pytest

from tests.support.browser import PHONE, Console, launch
from tests.support.live_server import live_server


@pytest.fixture(scope="session")
def base_url(app):
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    """One driver per session: playwright's sync API cannot run a second one beside it."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (requirements-dev.txt)")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def phone_page(browser, base_url, console):
    """A page in a phone-sized context, its console watched."""
    context = browser.new_context(viewport=PHONE, base_url=base_url, service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)
    yield page
    context.close()
