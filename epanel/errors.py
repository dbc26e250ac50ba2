"""Styled error pages for 400, 403, 404, 405, 429 and 500, and 503 when the database is unavailable."""

import logging

from flask import current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError

from epanel.extensions import db

log = logging.getLogger(__name__)

# Seconds a browser or client is asked to wait before trying again when the database is unavailable.
DATABASE_RETRY_AFTER = 30
# PostgreSQL's "cannot execute ... in a read-only transaction" (a standby, or a read-only switch).
READ_ONLY_SQLSTATE = "25006"

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

    app.register_error_handler(DBAPIError, _database_unavailable)


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


def _database_unavailable(error: DBAPIError):
    """503 "try again" when the database cannot be reached or cannot be written (down, restarting,
    read-only, disk full). The request's transaction is rolled back whole, so nothing from it is
    half-saved and everything saved before it is kept. Other database errors are bugs: re-raised,
    they become the 500 page."""
    if not _is_unavailable(error):
        raise error
    log.warning("database unavailable: %s", str(error.orig or error).splitlines()[0])
    try:
        db.session.rollback()
    except DBAPIError:
        pass  # the connection is gone; the pool replaces it when the database is back
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if request.path.startswith("/api/"):
        from epanel.api.problems import ApiProblem, problem_response

        return problem_response(ApiProblem(503, "The database is unavailable just now, so nothing from this request "
                                                "was saved. Try again in a few minutes.", kind="service-unavailable"),
                                headers)
    try:
        return render_template("errors/503.html", error=error), 503, headers
    except DBAPIError:
        pass  # the layout shows who is signed in, which needs the database
    # Draw it as for a signed-out visitor (the sign-in itself is kept in the session cookie).
    g._login_user = current_app.login_manager.anonymous_user()
    try:
        page = render_template("errors/503.html", error=error)
    except DBAPIError:
        page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>Sorry, the service is unavailable</title></head>"
                "<body><h1>Sorry, the service is unavailable</h1><p>Try again in a few minutes. "
                "Anything you saved before this page appeared has been kept.</p></body></html>")
    return page, 503, headers


def _is_unavailable(error: DBAPIError) -> bool:
    if isinstance(error, OperationalError) or error.connection_invalidated:
        return True
    return getattr(error.orig, "sqlstate", None) == READ_ONLY_SQLSTATE
