"""JSON API v1 under /api/v1/, for officers' scripts and partners' sites, and the console pages for tokens.

Every API call but the OpenAPI document needs `Authorization: Bearer <token>`; a signed-in browser
session counts for nothing here, so no cookie can read or write through the API. Inputs are checked
by marshmallow schemas (flask-smorest), which also write the OpenAPI document at /api/v1/openapi.json.
Errors are problem details (RFC 9457)."""

import hashlib
from http import HTTPStatus

from flask import Blueprint, current_app, g, jsonify, request
from flask import Blueprint as FlaskBlueprint
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule

from epanel.accounts.access import AccessRule, public
from epanel.api import problems
from epanel.api import queries as api_queries
from epanel.api.partner import SubmissionError, submit_partner_response
from epanel.api.problems import ApiProblem
from epanel.api.schemas import (
    ConsultationDetailSchema,
    ConsultationListArgsSchema,
    ConsultationPageSchema,
    ProblemSchema,
    QuestionListSchema,
    ResponseListArgsSchema,
    ResponsePageSchema,
    ResultsArgsSchema,
    ResultsSchema,
    SubmissionResultSchema,
    SubmissionSchema,
    TokenInfoSchema,
)
from epanel.api.tokens import find_active_token, note_token_used, record_responses_read
from epanel.consultations.queries import get_consultation_for_answering
from epanel.extensions import csrf, limiter

API_VERSION = "1.0.0"
DEFAULT_RATE_LIMIT = "120 per minute;3000 per hour"

bp = Blueprint("api", __name__)
v1 = ApiBlueprint("v1", __name__, url_prefix="/api/v1", description="ePanel JSON API v1")


# --- who is calling, and how often -------------------------------------------------------------------


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _rate_limit_key() -> str:
    """Limits count per token (by its hash), or per address for requests without one."""
    secret = _bearer()
    return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:24] if secret else "api-ip:" + get_remote_address()


def _rate_limit() -> str:
    return current_app.config.get("RATELIMIT_API") or DEFAULT_RATE_LIMIT


limiter.limit(_rate_limit, key_func=_rate_limit_key)(v1)

OPEN_ENDPOINTS = {"api.v1.openapi_document", "api.v1.not_found"}

# Who may call: anyone presenting a working API token. The session plays no part, so the app's
# sign-in rule lets the request through and `authenticate` below decides (401 without a token).
API_TOKEN = AccessRule("holders of a working API token (Authorization: Bearer)")


def token_required(view):
    """Declare that a call needs an API token (checked by `authenticate`, not by the session)."""
    view.access_rule = API_TOKEN
    return view


@v1.before_request
def authenticate():
    """Every call but the document needs a working token; the session cookie is never looked at."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    token = find_active_token(_bearer())
    if token is None:
        detail = ("Send your API token in the Authorization header: Authorization: Bearer <token>." if not _bearer()
                  else "This API token is not valid: it may have been revoked, or mistyped.")
        raise ApiProblem(401, detail, kind="unauthorized")
    g.api_token = token
    note_token_used(token)
    return None


def require_submit():
    if not g.api_token.can_submit:
        raise ApiProblem(403, "This token is read-only: it cannot submit responses. Ask for a read-write token.",
                         kind="forbidden")


def require_responses():
    if not g.api_token.can_read_responses:
        raise ApiProblem(403, "This token may not read individual responses; it can read aggregate results only.",
                         kind="forbidden")


def load_consultation(slug: str):
    consultation = api_queries.get_api_consultation(slug)
    if consultation is None:
        raise ApiProblem(404, f"There is no consultation {slug!r}.", kind="not-found")
    return consultation


v1.register_error_handler(ApiProblem, problems.handle_problem)
v1.register_error_handler(HTTPException, problems.handle_http_exception)
# The app's HTML error pages are registered by status code, and Flask looks for a handler by code before
# it looks by class: these must be by code too, or a 404, 405 or 429 here would be answered in HTML.
for _status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500):
    v1.register_error_handler(_status, problems.handle_http_exception)


def documents(*statuses):
    """Document the problem responses a call may give (each is application/problem+json)."""
    def decorator(view):
        for status in statuses:
            view = v1.alt_response(status, response=_RESPONSE_NAMES[status])(view)
        return view
    return decorator


_RESPONSE_NAMES = {status: HTTPStatus(status).name for status in (400, 401, 403, 404, 409, 422, 429)}
READ_PROBLEMS = (401, 422, 429)


# --- the calls ------------------------------------------------------------------------------------------


@v1.route("/token", methods=["GET"], tags=["Tokens"])
@token_required
@v1.response(200, TokenInfoSchema)
@documents(*READ_PROBLEMS)
def show_token():
    """The token making this call: its name, scope and officer."""
    token = g.api_token
    return {"name": token.name, "scope": token.scope.value, "can_read_responses": token.can_read_responses,
            "officer": token.user.email}


@v1.route("/consultations", methods=["GET"], tags=["Consultations"])
@token_required
@v1.arguments(ConsultationListArgsSchema, location="query")
@v1.response(200, ConsultationPageSchema)
@documents(*READ_PROBLEMS)
def list_consultations(args):
    """Consultations, newest first, a page at a time."""
    return api_queries.list_consultations(args["page"], args["per_page"], args.get("status"))


@v1.route("/consultations/<slug>", methods=["GET"], tags=["Consultations"])
@token_required
@v1.response(200, ConsultationDetailSchema)
@documents(*READ_PROBLEMS, 404)
def show_consultation(slug):
    """One consultation with its questions."""
    return api_queries.consultation_detail(load_consultation(slug))


@v1.route("/consultations/<slug>/questions", methods=["GET"], tags=["Consultations"])
@token_required
@v1.response(200, QuestionListSchema)
@documents(*READ_PROBLEMS, 404)
def list_questions(slug):
    """A consultation's questions in order, with options, rows and the format of each answer."""
    return {"items": api_queries.describe_questions(load_consultation(slug))}


@v1.route("/consultations/<slug>/results", methods=["GET"], tags=["Results"])
@token_required
@v1.arguments(ResultsArgsSchema, location="query")
@v1.response(200, ResultsSchema)
@documents(*READ_PROBLEMS, 404)
def show_results(args, slug):
    """Aggregate results of complete responses; figures resting on fewer than min_base respondents are withheld."""
    return api_queries.public_results(load_consultation(slug), args)


@v1.route("/consultations/<slug>/responses", methods=["GET"], tags=["Responses"])
@token_required
@v1.arguments(ResponseListArgsSchema, location="query")
@v1.response(200, ResponsePageSchema)
@documents(*READ_PROBLEMS, 403, 404)
def list_responses(args, slug):
    """Individual responses with their answers; needs a token allowed to read responses. Each call is audited."""
    require_responses()
    consultation = load_consultation(slug)
    page = api_queries.list_responses(consultation, args["page"], args["per_page"], args["status"])
    record_responses_read(g.api_token, consultation, args["page"], len(page["items"]))
    return page


@csrf.exempt
@v1.route("/consultations/<slug>/responses", methods=["POST"], tags=["Responses"])
@token_required
@v1.arguments(SubmissionSchema)
@v1.response(201, SubmissionResultSchema)
@v1.alt_response(200, schema=SubmissionResultSchema, description="The same submission again: the first result",
                 success=True)
@documents(400, 401, 403, 404, 409, 422, 429)
def submit_response(data, slug):
    """Submit one complete response from a partner's site or kiosk (read-write tokens). Idempotent by submission_id."""
    require_submit()
    consultation = get_consultation_for_answering(slug)
    if consultation is None:
        raise ApiProblem(404, f"There is no consultation {slug!r}.", kind="not-found")
    try:
        result = submit_partner_response(consultation, g.api_token, data)
    except SubmissionError as error:
        raise ApiProblem(error.status, str(error), errors=error.errors,
                         kind="conflict" if error.status == 409 else "validation-error",
                         extra={"submission_id": data["submission_id"]}) from None
    response = result.response
    body = {"reference": response.reference, "submission_id": response.submission_id, "consultation": slug,
            "channel": response.channel.value, "submitted_at": response.submitted_at, "created": result.created}
    return body, 201 if result.created else 200


# --- the OpenAPI document -------------------------------------------------------------------------------


class ApiDocument(Api):
    """flask-smorest's Api used only to write the document: ePanel keeps its own error pages, so it
    registers no app-wide error handler and no documentation blueprint."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_doc_blueprint(self):
        pass

    def _register_responses(self):
        for status in HTTPStatus:
            if 400 <= status < 600:
                response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
                prepare_response(response, self.spec, problems.PROBLEM_JSON)
                self.spec.components.response(status.name, response, lazy=True)
        # Any other error (405, 415, 500 …) is a problem too.
        response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def build_document(app) -> dict:
    document = ApiDocument()
    document.init_app(app, spec_kwargs={
        "title": f"{app.config['SERVICE_NAME']} API", "version": API_VERSION, "openapi_version": "3.0.3",
        "info": {"description": "Read consultations, questions and aggregate results; read responses with "
                                "permission; submit responses from a partner's site. See docs/api-guide.md."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    })
    v1.register_views_in_doc(document, app, document.spec, name="api.v1", parameters=None)
    spec = document.spec.to_dict()
    spec["servers"] = [{"url": "/"}]
    # The document itself needs no token.
    spec["paths"].get("/api/v1/openapi.json", {}).get("get", {})["security"] = []
    return spec


@v1.route("/openapi.json", methods=["GET"], tags=["Document"])
@public
@v1.response(200, description="This OpenAPI 3 document")
def openapi_document():
    """The OpenAPI 3 document describing this API."""
    spec = current_app.extensions.get("epanel_api_document")
    if spec is None:
        spec = current_app.extensions["epanel_api_document"] = build_document(current_app)
    return jsonify(spec)


# --- anything else under /api/v1: 404 or 405 as problem details ----------------------------------------


def _api_routes(app) -> Map:
    """The API's own routes, to tell an unknown address (404) from a wrong method (405)."""
    routes = app.extensions.get("epanel_api_routes")
    if routes is None:
        routes = app.extensions["epanel_api_routes"] = Map([
            Rule(rule.rule, methods=rule.methods, endpoint=rule.endpoint) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("api.v1.") and rule.endpoint != "api.v1.not_found"])
    return routes


@public
def not_found(path):
    adapter = _api_routes(current_app).bind("localhost")
    adapter.match(request.path, method=request.method)  # raises 405 with the allowed methods, or 404
    raise NotFound()


# Not through flask-smorest's add_url_rule: this route stays out of the document.
FlaskBlueprint.add_url_rule(v1, "/<path:path>", view_func=not_found,
                            methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
csrf.exempt(not_found)


bp.register_blueprint(v1)

from epanel.api import token_views  # noqa: E402,F401  (the console pages, on this blueprint)
