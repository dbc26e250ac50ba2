"""Test helpers for the JSON API: officers' tokens, a survey of several kinds, and calls with a token."""

from epanel.api import tokens
from epanel.api.models import TokenScope
from tests.factories import create_consultation, create_user


def make_token(scope=TokenScope.READ, *, can_read_responses=False, user=None, name="Parish website"):
    """An officer's token; returns (row, secret)."""
    user = user or create_user(roles=("officer",))
    return tokens.create_token(user, name, scope, can_read_responses=can_read_responses)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def survey(**access):
    """An open consultation with single choice (Q1, required, with Other), multiple choice (Q2), rating (Q3),
    ranking (Q4), grid (Q5) and short text (Q6)."""
    consultation = create_consultation(kinds=("single", "multiple", "rating", "ranking", "grid", "short_text"), **access)
    consultation.questions[0].required = True
    from epanel.extensions import db

    db.session.commit()
    return consultation


def full_answers() -> list[dict]:
    return [
        {"question": "Q1", "value": "1"},
        {"question": "Q2", "value": ["1", "3"]},
        {"question": "Q3", "value": 7},
        {"question": "Q4", "value": {"1": 2, "2": 1, "3": 3}},
        {"question": "Q5", "value": {"1": "5", "2": "4"}},
        {"question": "Q6", "value": "More benches"},
    ]


def submit(client, slug, secret, body):
    return client.post(f"/api/v1/consultations/{slug}/responses", json=body, headers=bearer(secret))
