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
        return render_template(template, error=error), code

    return render
