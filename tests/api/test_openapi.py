"""The OpenAPI document is valid, and the API keeps to it: a bounded property-based run of schemathesis
against the app in-process (WSGI), with a token that may do everything."""

import time

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from epanel.api.models import TokenScope
from tests.api.helpers import bearer, full_answers, make_token, submit, survey

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance)
EXAMPLES_PER_OPERATION = 25


def test_the_openapi_document_is_served_without_a_token_and_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/consultations", "/api/v1/consultations/{slug}/results",
            "/api/v1/consultations/{slug}/responses"} <= set(document["paths"])
    assert {"get", "post"} <= set(document["paths"]["/api/v1/consultations/{slug}/responses"])
    problem = document["paths"]["/api/v1/consultations/{slug}/responses"]["post"]["responses"]["409"]
    assert problem == {"$ref": "#/components/responses/CONFLICT"}
    assert "application/problem+json" in document["components"]["responses"]["CONFLICT"]["content"]


def test_the_api_keeps_to_its_document_for_generated_requests(app, client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ_WRITE, can_read_responses=True)
    for number in range(3):
        assert submit(client, consultation.slug, secret, {"submission_id": f"seed-{number:04d}",
                                                          "answers": full_answers()}).status_code == 201
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        generated = operation.as_strategy()

        def on_our_consultation(case):
            if "slug" in (case.path_parameters or {}):
                case.path_parameters = {**case.path_parameters, "slug": consultation.slug}
            return case

        @given(case=st.one_of(generated, generated.map(on_our_consultation)))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def keeps_to_the_document(case):
            response = case.call(headers=bearer(secret))
            case.validate_response(response, checks=CHECKS)

        keeps_to_the_document()
        operations += 1
    assert operations >= 7  # every call but the document itself, whose body has no schema to check
    assert time.monotonic() - started < 60
