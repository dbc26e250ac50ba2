"""The JSON API v1: tokens and their scopes, revocation, rate limits, reads and suppressed results."""

from epanel.analysis.suppression import MIN_PUBLIC_BASE
from epanel.api.models import ApiToken, TokenScope
from epanel.api.tokens import revoke_token
from epanel.common.links import hash_secret
from epanel.extensions import db
from epanel.privacy.models import AuditEvent
from epanel.respond.models import Response
from tests.api.helpers import bearer, full_answers, make_token, submit, survey
from tests.factories import PASSWORD, create_user
from tests.pages import sign_in


def problem(response) -> dict:
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    return body


def test_a_call_without_a_token_is_refused_with_problem_details(client):
    response = client.get("/api/v1/consultations")
    assert response.status_code == 401
    assert "Authorization: Bearer" in problem(response)["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_stored_only_as_its_hash(app):
    token, secret = make_token()
    stored = db.session.execute(db.select(ApiToken.__table__)).mappings().one()
    assert secret not in {str(value) for value in stored.values()}
    assert stored["token_hash"] == hash_secret(secret)
    assert stored["hint"] == secret[:11]


def test_a_read_only_token_reads_consultations_and_questions(client):
    consultation = survey()
    _, secret = make_token()
    listing = client.get("/api/v1/consultations", headers=bearer(secret))
    assert listing.status_code == 200
    assert [item["slug"] for item in listing.get_json()["items"]] == [consultation.slug]
    detail = client.get(f"/api/v1/consultations/{consultation.slug}", headers=bearer(secret)).get_json()
    assert [q["code"] for q in detail["questions"]] == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]
    assert detail["questions"][1]["answer_format"] == "list of option codes"
    assert detail["questions"][3]["answer_format"] == "object: {option code: rank from 1}"
    missing = client.get("/api/v1/consultations/no-such-thing", headers=bearer(secret))
    assert missing.status_code == 404 and "no-such-thing" in problem(missing)["detail"]


def test_a_read_only_token_cannot_submit_or_read_responses(client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ)
    refused = submit(client, consultation.slug, secret, {"submission_id": "kiosk-0001", "answers": full_answers()})
    assert refused.status_code == 403 and "read-only" in problem(refused)["detail"]
    reading = client.get(f"/api/v1/consultations/{consultation.slug}/responses", headers=bearer(secret))
    assert reading.status_code == 403 and "individual responses" in problem(reading)["detail"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0


def test_even_a_read_write_token_needs_permission_to_read_responses(client):
    consultation = survey()
    _, writer = make_token(TokenScope.READ_WRITE)
    assert submit(client, consultation.slug, writer, {"submission_id": "kiosk-0001", "answers": full_answers()}).status_code == 201
    refused = client.get(f"/api/v1/consultations/{consultation.slug}/responses", headers=bearer(writer))
    assert refused.status_code == 403


def test_a_token_allowed_to_read_responses_gets_them_and_the_read_is_audited(client):
    consultation = survey()
    _, writer = make_token(TokenScope.READ_WRITE)
    submit(client, consultation.slug, writer, {"submission_id": "kiosk-0001", "answers": full_answers()})
    _, reader = make_token(TokenScope.READ, can_read_responses=True)
    page = client.get(f"/api/v1/consultations/{consultation.slug}/responses", headers=bearer(reader))
    assert page.status_code == 200
    [item] = page.get_json()["items"]
    assert item["channel"] == "partner" and item["submission_id"] == "kiosk-0001"
    answers = {answer["question"]: answer["value"] for answer in item["answers"]}
    assert answers["Q2"] == ["1", "3"] and answers["Q4"] == {"1": 2, "2": 1, "3": 3} and answers["Q6"] == "More benches"
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "api.responses_read"))


def test_a_revoked_token_is_refused_at_once(client):
    survey()
    token, secret = make_token()
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 200
    revoke_token(token, token.user)
    refused = client.get("/api/v1/consultations", headers=bearer(secret))
    assert refused.status_code == 401 and "revoked" in problem(refused)["detail"]


def test_a_token_stops_working_when_its_officer_is_disabled(client):
    token, secret = make_token()
    token.user.is_disabled = True
    db.session.commit()
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 401


def test_a_signed_in_officer_session_alone_cannot_use_the_api(client):
    consultation = survey()
    officer = create_user(roles=("officer",))
    sign_in(client, officer.email, PASSWORD)
    assert client.get("/api/v1/consultations").status_code == 401
    refused = client.post(f"/api/v1/consultations/{consultation.slug}/responses",
                          json={"submission_id": "kiosk-0001", "answers": full_answers()})
    assert refused.status_code == 401
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0


def test_too_many_calls_get_429_as_problem_details(app, client):
    app.config["RATELIMIT_API"] = "3 per minute"
    _, secret = make_token()
    statuses = [client.get("/api/v1/consultations", headers=bearer(secret)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/consultations", headers=bearer(secret))
    body = problem(limited)
    assert "3 per 1 minute" in body["detail"] and limited.headers["Retry-After"]
    # Another token has its own allowance.
    _, other = make_token()
    assert client.get("/api/v1/consultations", headers=bearer(other)).status_code == 200


def test_unknown_addresses_and_methods_are_problem_details(client):
    _, secret = make_token()
    assert problem(client.get("/api/v1/nothing-here", headers=bearer(secret)))["status"] == 404
    wrong = client.delete("/api/v1/consultations", headers=bearer(secret))
    assert problem(wrong)["status"] == 405 and "GET" in wrong.headers["Allow"]


def test_bad_query_arguments_name_the_field(client):
    _, secret = make_token()
    response = client.get("/api/v1/consultations?per_page=5000", headers=bearer(secret))
    body = problem(response)
    assert response.status_code == 422 and body["errors"][0]["field"] == "per_page"
    assert "per_page" in body["detail"]


# --- results and suppression ----------------------------------------------------------------------------


def _submit_many(client, consultation, secret, count, *, start=0, age_band="25-34"):
    for number in range(start, start + count):
        response = submit(client, consultation.slug, secret, {
            "submission_id": f"kiosk-{number:04d}", "answers": full_answers(), "respondent": {"age_band": age_band}})
        assert response.status_code == 201, response.get_json()


def _every_figure(results) -> list:
    figures = [results["responses"]]
    for question in results["questions"]:
        figures.append(question["base"])
        figures.extend(value for share in question["shares"] for value in (share["count"], share["percent"]))
        for row in question["rows"]:
            figures.append(row["base"])
            figures.extend(value for share in row["shares"] for value in (share["count"], share["percent"]))
        if question["numbers"]:
            figures.extend(question["numbers"].values())
    return figures


def test_results_below_the_minimum_base_show_no_figures_at_all(client):
    consultation = survey()
    _, writer = make_token(TokenScope.READ_WRITE)
    _submit_many(client, consultation, writer, MIN_PUBLIC_BASE - 1)
    results = client.get(f"/api/v1/consultations/{consultation.slug}/results", headers=bearer(writer)).get_json()
    assert results["suppressed"] and results["min_base"] == MIN_PUBLIC_BASE
    assert all(question["suppressed"] for question in results["questions"])
    assert set(_every_figure(results)) == {None}


def test_results_at_the_minimum_base_are_shown_and_a_small_filtered_group_is_not(client):
    consultation = survey()
    _, writer = make_token(TokenScope.READ_WRITE)
    _submit_many(client, consultation, writer, MIN_PUBLIC_BASE)
    _submit_many(client, consultation, writer, 3, start=100, age_band="35-44")
    url = f"/api/v1/consultations/{consultation.slug}/results"
    results = client.get(url, headers=bearer(writer)).get_json()
    assert results["responses"] == MIN_PUBLIC_BASE + 3 and not results["suppressed"]
    q1 = results["questions"][0]
    assert q1["base"] == 13 and q1["shares"][0] == {"code": "1", "label": "Every day", "count": 13, "percent": 100.0,
                                                    "suppressed": False}
    grid = results["questions"][4]
    assert grid["rows"][0]["base"] == 13 and not grid["rows"][0]["suppressed"]
    assert results["questions"][2]["numbers"]["mean"] == 7
    small = client.get(url + "?age_band=35-44", headers=bearer(writer)).get_json()
    assert small["filters"] == {"age_band": "35-44"}
    assert small["suppressed"] and set(_every_figure(small)) == {None}
    big = client.get(url + "?age_band=25-34", headers=bearer(writer)).get_json()
    assert big["responses"] == MIN_PUBLIC_BASE and big["questions"][0]["base"] == MIN_PUBLIC_BASE


def test_every_api_call_but_the_document_needs_a_token(app, client):
    from epanel.accounts.access import rule_for_endpoint
    from epanel.api.views import API_TOKEN

    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]
    open_calls = {"/api/v1/openapi.json", "/api/v1/<path:path>"}
    assert {rule.rule for rule in rules if rule_for_endpoint(app, rule.endpoint) is not API_TOKEN} == open_calls
    for rule in rules:
        if rule.rule not in open_calls:
            url = rule.rule.replace("<slug>", "parks")
            method = "POST" if "POST" in rule.methods else "GET"
            response = client.open(url, method=method, json={} if method == "POST" else None)
            assert response.status_code == 401, url
            assert response.content_type == "application/problem+json", url


def test_a_failure_on_our_side_is_a_problem_document_too(app, make_app, monkeypatch):
    from epanel.api import queries as api_queries

    _, secret = make_token()  # `app` empties the tables afterwards
    served = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api_queries, "list_consultations", broken)
    response = served.test_client().get("/api/v1/consultations", headers=bearer(secret))
    assert response.status_code == 500
    assert problem(response)["detail"] == "Something went wrong on our side. Try again later."
    assert "a bug" not in response.get_data(as_text=True)
