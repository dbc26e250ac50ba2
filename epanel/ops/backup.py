"""Backing up and restoring the database: SQLite's online backup, or pg_dump and pg_restore.

A backup is one file. SQLite's is itself a database (open it with `sqlite3` to look inside);
PostgreSQL's is pg_dump's custom format, which pg_restore reads. Either is written to a
temporary name and renamed only once complete, so a file with a backup's name is whole.
"""

import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from epanel.common.time import utcnow

log = logging.getLogger(__name__)

SUFFIXES = {"sqlite": ".sqlite", "postgresql": ".pgdump"}


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int


def backend_of(database_url: str) -> str:
    backend = sa.make_url(database_url).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"cannot back up a {backend} database: only SQLite and PostgreSQL")
    return backend


def default_backup_path(backup_dir: str | Path, database_url: str) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return Path(backup_dir) / f"epanel-{stamp}{SUFFIXES[backend_of(database_url)]}"


def back_up_database(database_url: str, destination: Path) -> Backup:
    """Copy the whole database, consistently, into `destination` while the app keeps running."""
    backend = backend_of(database_url)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if backend == "sqlite":
            _sqlite_backup(_sqlite_path(database_url), partial)
        else:
            _run([_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={_libpq_url(database_url)}"], database_url)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(destination)
    log.info("database backed up to %s (%d bytes)", destination, destination.stat().st_size)
    return Backup(destination, destination.stat().st_size)


def restore_database(database_url: str, source: Path) -> None:
    """Replace the contents of the database at `database_url` with the backup in `source`.

    Stop the web processes and workers first: they would otherwise go on writing to (or
    holding open) the database being replaced.
    """
    backend = backend_of(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}")
    if backend == "sqlite":
        _sqlite_restore(source, _sqlite_path(database_url))
    else:
        # --clean --if-exists drops what the backup holds before recreating it, and one
        # transaction means a failed restore leaves the database as it was.
        _run([_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={_libpq_url(database_url)}", str(source)],
             database_url)
    log.info("database restored from %s", source)


def prune_backups(backup_dir: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups this command made in `backup_dir`; returns what went."""
    backups = sorted((path for suffix in SUFFIXES.values() for path in Path(backup_dir).glob(f"epanel-*{suffix}")),
                     key=lambda path: path.name, reverse=True)
    removed = backups[keep:]
    for path in removed:
        path.unlink()
        log.info("old backup %s removed", path)
    return removed


# --- SQLite ------------------------------------------------------------------


def _sqlite_path(database_url: str) -> Path:
    database = sa.make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_backup(source: Path, destination: Path) -> None:
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    # The online backup API copies a consistent snapshot while others read and write (WAL).
    with _connect(source) as from_db, _connect(destination) as to_db:
        from_db.backup(to_db)
        to_db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    _check_integrity(destination)


def _sqlite_restore(source: Path, destination: Path) -> None:
    _check_integrity(source)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with _connect(source) as from_db, _connect(destination) as to_db:
        to_db.execute("PRAGMA busy_timeout = 10000")
        from_db.backup(to_db)


class _connect:
    """sqlite3.connect as a context manager that closes (sqlite3's own only commits)."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _check_integrity(path: Path) -> None:
    try:
        with _connect(path) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a usable SQLite database: {error}") from None
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")


# --- PostgreSQL --------------------------------------------------------------


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client; "
                          f"its major version must be at least the server's)")
    return found


def _libpq_url(database_url: str) -> str:
    # libpq knows "postgresql://", not SQLAlchemy's "+psycopg"; the password goes in the
    # environment instead, so it never shows in `ps`.
    url = sa.make_url(database_url)
    bare = sa.URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                         query=url.query)
    return bare.render_as_string(hide_password=False)


def _run(command: list[str], database_url: str) -> None:
    environment = dict(os.environ)
    password = sa.make_url(database_url).password
    if password:
        environment["PGPASSWORD"] = password
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.returncode}")
