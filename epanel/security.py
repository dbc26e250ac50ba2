"""Security headers, the per-request nonce that lets the page template's one inline script run, and
the one exception to "never framed": embed pages, framed only by the origins allowed for them."""

import secrets

from flask import g


def csp_nonce() -> str:
    """This response's nonce, made on first use: a page rendered by an error handler that ran before
    any request hook (a refused CSRF token, a rate limit) gets one too."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_framing_by(origins: list[str]) -> None:
    """Let this response be framed by exactly these origins (embed pages only). Every other
    response keeps frame-ancestors 'none' and X-Frame-Options: DENY."""
    g.frame_ancestors = list(origins)


def content_security_policy(nonce: str, frame_ancestors: list[str] | None = None) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors " + (" ".join(frame_ancestors) if frame_ancestors else "'none'"),
        ]
    )


def add_security_headers(response, *, send_hsts: bool):
    nonce = csp_nonce()
    frame_ancestors = g.get("frame_ancestors")
    response.headers["Content-Security-Policy"] = content_security_policy(nonce, frame_ancestors)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not frame_ancestors:
        # X-Frame-Options cannot name origins (ALLOW-FROM is gone from browsers), so embed pages
        # leave it out and rely on frame-ancestors, which every current browser enforces.
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if send_hsts:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if response.mimetype == "text/html":
        # Pages may show personal data: never keep them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
