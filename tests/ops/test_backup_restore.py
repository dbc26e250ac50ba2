"""The restore drill: populate a database, back it up, restore it into a fresh one, compare every row.

Runs on the suite's database backend: SQLite's online backup, or pg_dump and pg_restore.
"""

import sqlite3

import pytest
import sqlalchemy as sa

from epanel.extensions import db
from epanel.ops import backup
from tests.conftest import make_fresh_database


@pytest.fixture
def populated(app):
    from epanel.demo import load_demo

    load_demo(member_count=40)
    return app


@pytest.fixture
def fresh_database(tmp_path_factory, database_backend):
    url, drop = make_fresh_database(tmp_path_factory, database_backend)
    yield url
    drop()


def every_row(url: str) -> dict[str, list[tuple]]:
    """Each table's rows in primary-key order, read straight from the database at `url`."""
    engine = sa.create_engine(url)
    tables = list(db.metadata.sorted_tables) + [sa.Table("alembic_version", sa.MetaData(),
                                                         sa.Column("version_num", sa.String, primary_key=True))]
    try:
        with engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(
                sa.select(table).order_by(*table.primary_key.columns))] for table in tables}
    finally:
        engine.dispose()


def test_a_backup_restored_into_a_fresh_database_holds_every_row(populated, runner, tmp_path, fresh_database,
                                                                 database_url, make_app):
    suffix = ".sqlite" if database_url.startswith("sqlite") else ".pgdump"
    backup_file = tmp_path / f"drill{suffix}"

    made = runner.invoke(args=["epanel", "backup", "--output", str(backup_file)])
    assert made.exit_code == 0, made.output
    assert f"Backed up to {backup_file}" in made.output
    # Written after the backup: a restore must bring back the moment of the backup, not now.
    original = every_row(database_url)
    from tests.factories import create_user

    create_user("after.the.backup@example.org", roles=["officer"])

    restored = runner.invoke(args=["epanel", "restore", str(backup_file), "--into", fresh_database, "--yes"])
    assert restored.exit_code == 0, restored.output

    copy = every_row(fresh_database)
    assert {name: len(rows) for name, rows in copy.items()} == {name: len(rows) for name, rows in original.items()}
    assert copy == original
    assert len(copy["members"]) == 40 and len(copy["answers"]) > 100  # the drill had something to lose
    # The restored database is one ePanel can serve from straight away.
    assert make_app(SQLALCHEMY_DATABASE_URI=fresh_database).test_client().get("/readyz").status_code == 200


def test_restoring_over_a_database_replaces_what_was_there(populated, runner, tmp_path, database_url, fresh_database):
    backup_file = tmp_path / "first.backup"
    assert runner.invoke(args=["epanel", "backup", "--output", str(backup_file)]).exit_code == 0
    for _ in range(2):  # twice: the second restore lands on a database already holding everything
        result = runner.invoke(args=["epanel", "restore", str(backup_file), "--into", fresh_database, "--yes"])
        assert result.exit_code == 0, result.output

    assert every_row(fresh_database) == every_row(database_url)


def test_backups_get_dated_names_in_the_backup_directory_and_old_ones_are_pruned(make_app, tmp_path):
    app = make_app(BACKUP_DIR=str(tmp_path))
    runner = app.test_cli_runner()
    old = [tmp_path / f"epanel-2020010{day}T000000Z.sqlite" for day in (1, 2, 3)]
    for path in old:
        path.write_bytes(b"")

    result = runner.invoke(args=["epanel", "backup", "--keep", "2"])

    assert result.exit_code == 0, result.output
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert len(kept) == 2
    assert kept[0] == old[2].name  # the newest old one, and the one just made
    assert kept[1].startswith("epanel-2") and kept[1] > old[2].name


def test_restore_asks_before_replacing_anything(populated, runner, tmp_path, fresh_database):
    backup_file = tmp_path / "drill.backup"
    assert runner.invoke(args=["epanel", "backup", "--output", str(backup_file)]).exit_code == 0

    result = runner.invoke(args=["epanel", "restore", str(backup_file), "--into", fresh_database], input="n\n")

    assert result.exit_code == 1
    assert "Replace everything in" in result.output
    assert "Aborted" in result.output


def test_a_damaged_sqlite_backup_is_refused_before_anything_is_touched(tmp_path):
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"this is not a database" * 100)
    target = tmp_path / "target.sqlite"
    with sqlite3.connect(target) as connection:
        connection.execute("CREATE TABLE kept (x)")

    with pytest.raises(backup.BackupError, match="not a usable SQLite database"):
        backup.restore_database(f"sqlite:///{target}", damaged)

    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("kept",)]


def test_a_sqlite_backup_is_one_self_contained_file(make_app, tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    destination = tmp_path / "one-file.sqlite"

    backup.back_up_database(database_url, destination)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["one-file.sqlite"]  # no -wal or -shm beside it
    with sqlite3.connect(destination) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_the_postgres_password_travels_in_the_environment_not_the_command_line():
    url = backup._libpq_url("postgresql+psycopg://epanel:hunter2@db.internal:5432/epanel?sslmode=require")

    assert url == "postgresql://epanel@db.internal:5432/epanel?sslmode=require"
