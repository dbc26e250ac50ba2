"""Readiness checks: is the database there, is its schema the code's, is Redis there when configured.

Each check says what is wrong in words an operator can act on, and changes nothing. The
answers are public (load balancers ask without credentials), so they name the failing part
but leave hosts and error text to the log.
"""

import functools
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from epanel.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail}


def readiness_checks(app: Flask) -> list[Check]:
    """Every check that decides whether this process should be sent traffic."""
    checks = list(check_database_and_migrations(app))
    if app.config.get("REDIS_URL"):
        checks.append(check_redis(app.config["REDIS_URL"]))
    return checks


def check_database_and_migrations(app: Flask) -> tuple[Check, Check]:
    """Connect once: can we run a query, and is the database at the code's migration head?"""
    expected = code_heads(app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            current = database_revisions(connection)
    except sa.exc.SQLAlchemyError as error:
        log.warning("readiness: database unreachable: %s", _first_line(error))
        reason = f"cannot query the database ({error.__class__.__name__}; the log has details)"
        return Check("database", False, reason), Check("migrations", False, "unknown: the database is unreachable")
    database = Check("database", True, f"reachable ({db.engine.dialect.name})")
    if current == expected:
        return database, Check("migrations", True, f"at {_revisions(current)}")
    return database, Check("migrations", False, f"database at {_revisions(current)}, code at {_revisions(expected)}: "
                                                f"run `flask --app wsgi db upgrade`")


def check_redis(redis_url: str) -> Check:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    except RedisError as error:
        log.warning("readiness: Redis unreachable: %s", _first_line(error))
        return Check("redis", False, f"cannot reach Redis ({error.__class__.__name__}; the log has details)")
    return Check("redis", True, "reachable")


def database_revisions(connection: sa.Connection) -> set[str]:
    """The revision(s) Alembic has stamped the database with (none for an empty database).

    Read straight from alembic_version: Alembic's MigrationContext would log two lines at
    INFO on every probe.
    """
    if not sa.inspect(connection).has_table("alembic_version"):
        return set()
    return set(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


@functools.cache
def code_heads(migrations_directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_directory))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _revisions(revisions) -> str:
    return ", ".join(sorted(revisions)) or "no revision (empty database)"


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0][:200] if text else error.__class__.__name__
