"""/healthz says the process is up; /readyz says whether it can serve: database, schema, Redis."""

import pytest
import sqlalchemy as sa

from epanel.extensions import db
from epanel.ops.health import code_heads
from tests.conftest import redis_url_for_tests

UNREACHABLE_DATABASES = {
    "sqlite": "sqlite:////nonexistent-directory/epanel.sqlite",
    "postgres": "postgresql+psycopg://epanel@127.0.0.1:1/epanel",  # nothing listens on port 1
}


def test_healthz_answers_without_asking_the_database(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASES["sqlite"])

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_the_database_is_reachable_and_migrated(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["failed"] == []
    assert set(response.json["checks"]) == {"database", "migrations"}  # no Redis configured, none checked
    assert response.json["checks"]["migrations"]["detail"] == f"at {', '.join(sorted(code_heads(_migrations(client))))}"


@pytest.mark.parametrize("kind", sorted(UNREACHABLE_DATABASES))
def test_readyz_fails_with_503_naming_the_database_when_it_is_unreachable(make_app, kind):
    app = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASES[kind])

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["failed"] == ["database", "migrations"]
    assert response.json["checks"]["database"]["ok"] is False
    assert "127.0.0.1" not in response.get_data(as_text=True)  # hosts and error text stay in the log


def test_readyz_fails_when_the_database_is_behind_the_code(app, client):
    head = max(code_heads(app.extensions["migrate"].directory))
    older = f"{int(head) - 1:04d}"
    _stamp(older)
    try:
        response = client.get("/readyz")
    finally:
        _stamp(head)

    assert response.status_code == 503
    assert response.json["failed"] == ["migrations"]
    assert response.json["checks"]["database"]["ok"] is True
    detail = response.json["checks"]["migrations"]["detail"]
    assert detail.startswith(f"database at {older}, code at {head}")
    assert "db upgrade" in detail


def test_readyz_fails_when_the_database_was_never_migrated(app, client):
    with db.engine.begin() as connection:
        stamped = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        connection.execute(sa.text("DELETE FROM alembic_version"))
    try:
        response = client.get("/readyz")
    finally:
        with db.engine.begin() as connection:
            for revision in stamped:
                connection.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})

    assert response.status_code == 503
    assert response.json["checks"]["migrations"]["detail"].startswith("database at no revision")


def test_readyz_checks_redis_when_it_is_configured(make_app):
    app = make_app(REDIS_URL=redis_url_for_tests())

    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json["checks"]["redis"] == {"ok": True, "detail": "reachable"}


def test_readyz_fails_with_503_when_redis_is_configured_but_unreachable(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["failed"] == ["redis"]
    assert response.json["checks"]["database"]["ok"] is True


def test_probes_are_public(make_app):
    client = make_app().test_client()

    for url in ("/healthz", "/readyz"):
        response = client.get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert response.status_code == 200, url


def _stamp(revision: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def _migrations(client) -> str:
    return client.application.extensions["migrate"].directory
