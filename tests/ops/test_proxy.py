"""Forwarded headers are believed only when EPANEL_PROXY_HOPS says a proxy is there."""

from flask import jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from epanel.accounts.access import public

FORWARDED = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "haveyoursay.example"}


def seen_by(app) -> dict:
    @app.route("/ops-test/who")
    @public
    def who():
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host)

    return app.test_client().get("/ops-test/who", headers=FORWARDED).json


def test_without_proxy_hops_forwarded_headers_are_ignored(make_app):
    app = make_app()

    assert not isinstance(app.wsgi_app, ProxyFix)
    assert seen_by(app) == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_with_one_proxy_hop_the_proxy_s_headers_are_believed(make_app):
    app = make_app(PROXY_HOPS=1)

    assert isinstance(app.wsgi_app, ProxyFix)
    assert seen_by(app) == {"addr": "198.51.100.7", "scheme": "https", "host": "haveyoursay.example"}


def test_only_the_configured_number_of_hops_is_believed(make_app):
    app = make_app(PROXY_HOPS=1)

    @app.route("/ops-test/addr")
    @public
    def addr():
        return request.remote_addr

    # A client's own X-Forwarded-For, with nginx's entry appended: only nginx's is believed.
    response = app.test_client().get("/ops-test/addr", headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.7"})

    assert response.get_data(as_text=True) == "198.51.100.7"
