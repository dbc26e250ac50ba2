"""Styled error pages for 400, 403, 404, 405, 429 and 500."""

from flask import render_template
from flask_wtf.csrf import CSRFError

ERROR_PAGES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    405: "errors/405.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def register_error_handlers(app) -> None:
    for code, template in ERROR_PAGES.items():
        app.register_error_handler(code, _renderer(code, template))

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template("errors/400.html", reason="csrf"), 400


def _renderer(code, template):
    def render(error):
        return render_template(template, error=error, wait=_wait_for(error) if code == 429 else None), code

    return render


def _wait_for(error) -> str:
    """How long to wait after a rate limit, in words: the length of the limit's window."""
    limit = getattr(getattr(error, "limit", None), "limit", None)
    seconds = limit.get_expiry() if limit is not None else 60
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "a minute"
