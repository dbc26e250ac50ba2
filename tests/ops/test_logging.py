"""One log line per request, with a request id that the response echoes; JSON lines on request."""

import json
import logging

import pytest
from flask import current_app

from epanel.accounts.access import public
from epanel.ops.logging import JsonFormatter, RequestIdFilter, make_formatter


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="epanel.request")
    return lambda: [record for record in caplog.records if record.name == "epanel.request"]


def test_a_sane_request_id_from_the_proxy_is_kept_and_echoed(client, request_lines):
    response = client.get("/privacy", headers={"X-Request-ID": "7f3c2a9e-proxy-id"})

    assert response.headers["X-Request-ID"] == "7f3c2a9e-proxy-id"
    [line] = request_lines()
    assert line.request_id == "7f3c2a9e-proxy-id"
    assert (line.method, line.path, line.status, line.endpoint) == ("GET", "/privacy", 200, "site.privacy")
    assert line.duration_ms >= 0


@pytest.mark.parametrize("offered", ["", "two words", "x" * 129, 'quote"d', "new\nline"])
def test_a_missing_or_odd_request_id_is_replaced_with_a_fresh_one(client, request_lines, offered):
    response = client.get("/privacy", headers={"X-Request-ID": offered} if "\n" not in offered else {})

    given = response.headers["X-Request-ID"]
    assert given != offered
    assert len(given) == 32 and all(c in "0123456789abcdef" for c in given)
    assert request_lines()[-1].request_id == given


def test_each_request_gets_its_own_id(client):
    first = client.get("/privacy").headers["X-Request-ID"]
    second = client.get("/privacy").headers["X-Request-ID"]

    assert first != second


def test_a_json_line_carries_the_request_fields(client, request_lines):
    client.get("/cookies?ref=poster", headers={"X-Request-ID": "abc-123"})

    line = json.loads(JsonFormatter().format(request_lines()[-1]))

    assert line["request_id"] == "abc-123"
    assert line["method"] == "GET"
    assert line["path"] == "/cookies"  # no query string: it may carry personal data
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO" and line["logger"] == "epanel.request"
    assert line["message"].startswith("GET /cookies 200 ")


def test_secret_tokens_in_paths_are_masked(client, request_lines):
    client.get("/respond/i/the-secret-link-token")

    line = request_lines()[-1]
    assert line.path == "/respond/i/[token]"
    assert "the-secret-link-token" not in JsonFormatter().format(line)


def test_anything_logged_during_a_request_carries_its_id(make_app, caplog):
    app = make_app()

    @app.route("/ops-test/fails")
    @public
    def fails():
        try:
            raise ValueError("the reason")
        except ValueError:
            current_app.logger.exception("could not do the thing")
        return "handled"

    caplog.handler.addFilter(RequestIdFilter())  # as configure_logging does to the real handler
    with caplog.at_level(logging.ERROR):
        app.test_client().get("/ops-test/fails", headers={"X-Request-ID": "req-42"})
    [record] = [record for record in caplog.records if record.getMessage() == "could not do the thing"]

    line = json.loads(JsonFormatter().format(record))

    assert line["request_id"] == "req-42"
    assert line["level"] == "ERROR"
    assert "ValueError: the reason" in line["exception"]


def test_probes_are_logged_only_at_debug(client, request_lines):
    client.get("/healthz")

    assert request_lines() == []


def test_text_is_the_default_and_an_unknown_format_is_refused():
    assert not isinstance(make_formatter("text"), JsonFormatter)
    assert isinstance(make_formatter("json"), JsonFormatter)
    with pytest.raises(RuntimeError, match="EPANEL_LOG_FORMAT='yaml'"):
        make_formatter("yaml")
