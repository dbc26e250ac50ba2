"""Where Chromium is and how it is started, for the browser fixtures and tests."""

import os

CHROMIUM = os.environ.get("EPANEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Embed tests frame a loopback server inside a page from a public https origin (served by the test,
    # as the partner's website would be): Chromium's private-network checks would refuse that frame,
    # as they would not between two real public websites.
    "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,"
    "PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE_320 = {"width": 320, "height": 640}
