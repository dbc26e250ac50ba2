"""Running ePanel in production: health checks, metrics, request logs and ids, proxies, backups.

Nothing here knows about panels or consultations beyond counting rows for metrics; the
domains know nothing about it.
"""

from flask import Flask


def init_ops(app: Flask) -> None:
    """Trust the configured proxy, then hook request ids, request logs and metrics into every request.

    Called before the other request hooks, so the request id and clock start first and the
    log line and latency are taken last, from the response that really goes out.
    """
    from epanel.ops.logging import init_request_logging
    from epanel.ops.metrics import init_metrics

    _trust_proxy(app)
    init_request_logging(app)
    init_metrics(app)


def _trust_proxy(app: Flask) -> None:
    # X-Forwarded-* headers are believed only when the operator says how many proxies sit
    # in front (nginx on the same host: 1). Without it, anyone could claim any address or
    # scheme, and the rate limits would key on it.
    hops = app.config.get("PROXY_HOPS") or 0
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
