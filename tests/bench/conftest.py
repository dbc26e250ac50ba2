"""Benchmark fixtures: a brand-new database of either kind, dropped afterwards.

`fresh_database("sqlite")` is a file in the test's temporary folder; `fresh_database("postgres")` is a new
database on the server named by EPANEL_TEST_DATABASE_URL (or the local one), dropped when the test ends.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_url(url: str) -> sa.engine.URL:
    url = sa.make_url(url)
    return url.set(drivername="postgresql+psycopg") if url.drivername in ("postgres", "postgresql") else url


@pytest.fixture
def fresh_database(tmp_path):
    drops = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
        base = _postgres_url(os.environ.get("EPANEL_TEST_DATABASE_URL") or LOCAL_POSTGRES)
        name = f"epanel_bench_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as error:
            admin.dispose()
            if os.environ.get("EPANEL_REQUIRE_SERVICES") == "1":
                pytest.fail(f"PostgreSQL is not reachable: {error.orig}", pytrace=False)
            pytest.skip(f"PostgreSQL is not reachable: {error.orig}")

        def drop():
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        drops.append(drop)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    for drop in drops:
        drop()
