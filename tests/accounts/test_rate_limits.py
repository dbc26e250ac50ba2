"""Rate limits hold across processes when their counters live in Redis."""

import uuid

from tests.conftest import redis_url_for_tests
from tests.pages import sign_in


def test_sign_in_attempts_are_counted_across_web_processes_through_redis(make_app):
    url = redis_url_for_tests()
    settings = {
        "REDIS_URL": url,
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": f"epanel-test-{uuid.uuid4().hex}",
        "RATELIMIT_SIGN_IN": "2 per minute",
    }
    first_process = make_app(**settings).test_client()
    second_process = make_app(**settings).test_client()

    assert sign_in(first_process, "nobody@example.org", "wrong password one").status == 200
    assert sign_in(second_process, "nobody@example.org", "wrong password two").status == 200
    third = sign_in(first_process, "nobody@example.org", "wrong password three")

    assert third.status == 429
    assert third.heading == "Too many attempts"
