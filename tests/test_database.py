"""Both databases: connection settings and migrations that match the models."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from epanel import create_app
from epanel.extensions import db
from tests.conftest import make_fresh_database, settings_for_tests
from tests.factories import create_user


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app, database_backend):
    if database_backend != "sqlite":
        pytest.skip("SQLite settings only apply on the SQLite run")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_postgresql_is_reached_with_psycopg_3(app, database_backend):
    if database_backend != "postgres":
        pytest.skip("only on the PostgreSQL run")
    assert db.engine.dialect.driver == "psycopg"


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


def test_upgrade_is_repeatable(app):
    upgrade()
    assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
