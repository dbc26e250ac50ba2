"""Browser tests: Debian's Chromium driven by Playwright, against a live test server.

Test machines have no internet, so Chromium runs with background networking,
component updates and sync switched off. Playwright gives every launch a fresh
temporary profile directory. The fixtures are in tests/browser/fixtures.py (shared
through tests/conftest.py); this file marks the tests here as browser tests.
"""

import os

import pytest

from tests.browser.settings import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE_320  # noqa: F401  (imported from here too)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
