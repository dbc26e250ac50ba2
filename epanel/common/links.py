"""Links sent by e-mail or text: absolute addresses on the public site, and hashes of their secrets."""

import hashlib

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """The address people (and Twilio) use for an endpoint: EPANEL_PUBLIC_URL, not the request's host."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def hash_secret(secret: str) -> str:
    """What is stored in place of a link's secret: its SHA-256, so a database copy opens nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()
