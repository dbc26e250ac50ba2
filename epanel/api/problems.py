"""Errors as RFC 9457 problem details (`application/problem+json`), with messages a partner's developer can act on."""

from http import HTTPStatus

from flask import current_app, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://epanel.example/problems/"  # stable identifiers, not addresses to fetch

# What each status means for this API, in words a developer can act on.
DETAILS = {
    400: "The request could not be read. Send a JSON body with Content-Type: application/json.",
    401: "Send a valid API token: Authorization: Bearer <token>.",
    403: "This token is not allowed to do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    409: "This conflicts with what is already stored.",
    415: "Send the body as JSON, with Content-Type: application/json.",
    422: "Some fields are not valid; see errors.",
    429: "Too many requests with this token. Wait, then try again.",
    500: "Something went wrong on our side. Try again later.",
}


class ApiProblem(Exception):
    """An API error whose title and detail are for the caller; `errors` names fields (JSON pointer-like dotted names)."""

    def __init__(self, status: int, detail: str | None = None, *, title: str | None = None,
                 errors: list[dict] | None = None, kind: str | None = None, extra: dict | None = None):
        super().__init__(detail or DETAILS.get(status, ""))
        self.status = status
        self.detail = detail or DETAILS.get(status, HTTPStatus(status).description)
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.kind = kind or HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
        self.extra = extra or {}


def problem_response(problem: ApiProblem, headers: dict | None = None):
    body = {"type": TYPE_BASE + problem.kind, "title": problem.title, "status": problem.status,
            "detail": problem.detail, "instance": request.path}
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    response = current_app.response_class(json.dumps(body), status=problem.status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ePanel API"'
    return response


def field_errors(messages) -> list[dict]:
    """webargs/marshmallow messages ({location: {field: [msg] | {nested...}}}) as a flat list naming each field."""
    found = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            for message in value:
                found.append({"field": prefix, "message": message})
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            found.append({"field": prefix, "message": str(value)})

    for location, fields in (messages or {}).items():
        if location in ("json", "query", "view_args") and isinstance(fields, dict):
            walk("", fields)
        else:
            walk(str(location), fields)
    return found


def handle_http_exception(error: HTTPException):
    """Any HTTP error inside the API, including webargs' validation errors and rate limits, as problem details."""
    status = error.code or 500
    headers = {}
    if status == 422 and getattr(error, "data", None) and "messages" in error.data:
        errors = field_errors(error.data["messages"])
        named = "; ".join(f"{item['field']}: {item['message']}" for item in errors[:5])
        return problem_response(ApiProblem(422, f"Some fields are not valid: {named}", errors=errors,
                                           kind="validation-error"))
    if status == 400 and getattr(error, "data", None) and "messages" in error.data:
        return problem_response(ApiProblem(400, "The request body is not valid JSON.", kind="bad-request"))
    if status == 429:
        limit = getattr(getattr(error, "limit", None), "limit", None)
        retry = str(limit.get_expiry()) if limit is not None else "60"
        headers["Retry-After"] = retry
        detail = f"Too many requests with this token (limit: {limit}). Wait, then try again." if limit else DETAILS[429]
        return problem_response(ApiProblem(429, detail, kind="rate-limited"), headers)
    if status == 405:
        headers["Allow"] = ", ".join(error.valid_methods or []) if getattr(error, "valid_methods", None) else ""
    detail = DETAILS.get(status) or error.description
    return problem_response(ApiProblem(status, detail), {k: v for k, v in headers.items() if v})


def handle_problem(problem: ApiProblem):
    return problem_response(problem)
