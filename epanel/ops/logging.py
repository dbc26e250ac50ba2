"""Request ids and one log line per request; JSON lines when EPANEL_LOG_FORMAT=json.

Every request gets an id: the proxy's X-Request-ID when it looks sane (nginx sends
`$request_id`), otherwise a fresh one. The id goes back in the response's X-Request-ID
header and onto every log record made while the request runs, so one line in nginx's
log, one in ours and any error in between can be matched up.
"""

import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

# Ids are echoed into headers and logs: refuse anything that could smuggle in spaces,
# quotes or new lines.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
# Probes and scrapes arrive every few seconds; their lines are only wanted when debugging.
_QUIET_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})
# Fields a request line carries besides the message; JSON lines show them as keys.
REQUEST_FIELDS = ("request_id", "method", "path", "endpoint", "status", "duration_ms")

request_log = logging.getLogger("epanel.request")


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def init_request_logging(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    duration_ms = round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1)
    path = loggable_path()
    level = logging.DEBUG if request.endpoint in _QUIET_ENDPOINTS else logging.INFO
    request_log.log(
        level, "%s %s %s %.1fms", request.method, path, response.status_code, duration_ms,
        extra={"request_id": request_id, "method": request.method, "path": path,
               "endpoint": request.endpoint or "", "status": response.status_code, "duration_ms": duration_ms},
    )
    return response


def loggable_path() -> str:
    """The request's path without its query string, with secret tokens in it masked.

    Private links carry their secret in the path (/respond/i/<token>); anyone who can read
    the logs must not be able to use them.
    """
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "[token]")
    return path


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "-") on every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            line["request_id"] = request_id
        for field in REQUEST_FIELDS[1:]:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, default=str)


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format not in LOG_FORMATS:
        raise RuntimeError(f"EPANEL_LOG_FORMAT={log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str) -> None:
    """Send INFO and above to stderr in the chosen format, unless logging is already set up
    (under gunicorn, gunicorn.conf.py has done it with the same formatter and filter)."""
    formatter = make_formatter(log_format)
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def gunicorn_logconfig(log_format: str, *, access_log: bool = False) -> dict:
    """A logging.config dict for gunicorn.conf.py: gunicorn's own lines and the app's share
    one format and one handler on stderr (journald keeps it). gunicorn's access lines are
    dropped unless asked for: the app's request lines already say the same, with the id."""
    make_formatter(log_format)  # refuse an unknown format before gunicorn starts
    formatter = ({"()": "epanel.ops.logging.JsonFormatter"} if log_format == "json"
                 else {"format": TEXT_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "epanel.ops.logging.RequestIdFilter"}},
        "formatters": {"epanel": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "epanel", "filters": ["request_id"],
                        "stream": "ext://sys.stderr"},
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO" if access_log else "WARNING", "handlers": [], "propagate": True},
        },
    }
