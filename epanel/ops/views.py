"""/healthz, /readyz and /metrics: for load balancers, systemd and Prometheus, not people."""

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request

from epanel.accounts.access import public
from epanel.extensions import limiter
from epanel.ops.health import readiness_checks
from epanel.ops.metrics import render_metrics

bp = Blueprint("ops", __name__)
# Probes come every few seconds from one address: never rate-limit them.
limiter.exempt(bp)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@bp.route("/healthz")
@public
def healthz():
    """The process is up and answering; touches nothing else, so a database outage does not
    get every web process restarted."""
    return _no_store(jsonify(status="ok"))


@bp.route("/readyz")
@public
def readyz():
    checks = readiness_checks(current_app)
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "failed": [check.name for check in checks if not check.ok],
        "checks": {check.name: check.as_dict() for check in checks},
    }
    return _no_store(jsonify(body)), 200 if ready else 503


@bp.route("/metrics")
@public  # to the access rules; the view itself admits only the token's holder or this machine
def metrics():
    if not metrics_allowed():
        abort(403)
    return _no_store(Response(render_metrics(current_app), content_type=METRICS_CONTENT_TYPE))


def metrics_allowed() -> bool:
    """A request bearing EPANEL_METRICS_TOKEN, or one made straight from this machine.

    "Straight" matters: behind nginx on the same host every request arrives from 127.0.0.1,
    so a request that came through a proxy (it carries X-Forwarded-For) needs the token even
    when its last hop was local.
    """
    token = current_app.config.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].encode(), token.encode()):
        return True
    return _is_loopback(request.remote_addr) and not _came_through_a_proxy()


def _came_through_a_proxy() -> bool:
    return any(name in request.headers for name in ("X-Forwarded-For", "Forwarded", "X-Real-IP"))


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
