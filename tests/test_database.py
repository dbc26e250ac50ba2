"""Both databases: connection settings and migrations that match the models."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from epanel import create_app
from epanel.extensions import db
from tests.conftest import make_fresh_database, settings_for_tests
from tests.factories import create_user


def test_connections_use_the_settings_each_database_needs(app, database_backend):
    with db.engine.connect() as connection:
        if database_backend == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert db.engine.dialect.driver == "psycopg"
            assert connection.exec_driver_sql("SHOW server_version").scalar()


def test_a_fresh_database_upgrades_and_matches_the_models(tmp_path_factory, database_backend, smtp_server):
    url, drop = make_fresh_database(tmp_path_factory, database_backend)
    try:
        app = create_app(settings_for_tests(url, smtp_server))
        runner = app.test_cli_runner()

        upgraded = runner.invoke(args=["db", "upgrade"])
        checked = runner.invoke(args=["db", "check"])

        assert upgraded.exit_code == 0, upgraded.output
        assert checked.exit_code == 0, checked.output
        with app.app_context():
            tables = set(sa.inspect(db.engine).get_table_names())
            db.engine.dispose()
        assert {"users", "role_grants", "email_tokens", "panels", "members"} <= tables
    finally:
        drop()


def test_migrations_form_one_numbered_line(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    scripts = ScriptDirectory.from_config(config)

    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert revision.revision.isdigit() and len(revision.revision) == 4, revision.revision


def test_a_role_for_a_user_who_does_not_exist_is_refused(app):
    user = create_user()
    insert = sa.text(
        "INSERT INTO role_grants (user_id, role, granted_at) VALUES (:user_id, 'admin', CURRENT_TIMESTAMP)"
    )
    with pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(insert, {"user_id": user.id + 1000})


def _head(app) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()


def test_upgrade_is_repeatable(app):
    upgrade()
    assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == _head(app)


def test_a_database_with_members_upgrades_without_losing_them(tmp_path_factory, database_backend, smtp_server):
    url, drop = make_fresh_database(tmp_path_factory, database_backend)
    try:
        app = create_app(settings_for_tests(url, smtp_server))
        with app.app_context():
            upgrade(revision="0001")
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO members (first_name, last_name, email, status, source, created_at) "
                    "VALUES ('Early', 'Member', 'early@example.org', 'active', 'paper', CURRENT_TIMESTAMP)"
                ))
            upgrade()
            row = db.session.execute(sa.text(
                "SELECT first_name, contact_by_email, custom_attributes FROM members"
            )).one()
            db.session.remove()
            db.engine.dispose()
        assert row.first_name == "Early"
        assert row.contact_by_email in (False, 0)
    finally:
        drop()


@pytest.mark.parametrize("given, expected", [
    ("postgresql://epanel@db/epanel", "postgresql+psycopg://epanel@db/epanel?connect_timeout=5"),
    ("postgres://epanel@db/epanel?sslmode=require", "postgresql+psycopg://epanel@db/epanel?sslmode=require&connect_timeout=5"),
    ("postgresql://epanel@db/epanel?connect_timeout=20", "postgresql+psycopg://epanel@db/epanel?connect_timeout=20"),
    ("sqlite:////srv/epanel.sqlite", "sqlite:////srv/epanel.sqlite"),
])
def test_a_postgresql_address_gets_the_driver_and_a_connect_timeout_unless_it_sets_one(monkeypatch, given, expected):
    from epanel.config import _database_url

    monkeypatch.setenv("EPANEL_DATABASE_URL", given)

    assert _database_url("sqlite:///unused") == expected
