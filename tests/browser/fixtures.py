"""The browser fixtures, shared by every test that drives Chromium wherever it lives (tests/browser,
and the browser tests of a domain's own package): tests/conftest.py imports them, so one Chromium
serves the whole run (Playwright's sync API allows one instance per thread)."""

import os
import threading

import pytest
from werkzeug.serving import make_server

from tests.browser.settings import CHROMIUM, CHROMIUM_ARGS, DESKTOP


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests"
        if os.environ.get("EPANEL_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def serve():
    """Start a real HTTP server for an app; returns its base URL."""
    servers = []

    def start(app) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_URL"] = base_url
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return base_url

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def live_server(app, serve):
    return serve(app)


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (own cookies) at a given viewport."""
    contexts = []

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
