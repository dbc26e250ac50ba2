"""Fixtures: app, client, runner, mailbox; one database per run (SQLite or PostgreSQL)."""

import os

os.environ["EPANEL_ENV"] = "test"  # before epanel is imported

import email
import socket
import threading
import uuid
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade

from epanel import create_app
from epanel.extensions import db
from tests.browser.fixtures import browser, live_server, new_page, page, serve  # noqa: F401  (one Chromium for every package)

REQUIRE_SERVICES = os.environ.get("EPANEL_REQUIRE_SERVICES") == "1"


def pytest_addoption(parser):
    parser.addoption(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres uses a fresh database made from EPANEL_TEST_DATABASE_URL",
    )


def missing_service(reason: str):
    """Skip when a service is absent on a laptop; fail in CI, where it must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def redis_url_for_tests() -> str:
    """The Redis the tests may use (EPANEL_TEST_REDIS_URL), checked to be answering."""
    import redis

    url = os.environ.get("EPANEL_TEST_REDIS_URL")
    if not url:
        missing_service("EPANEL_TEST_REDIS_URL is not set")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        missing_service(f"Redis is not reachable at {url}: {error}")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- databases -------------------------------------------------------------


def _admin_url(base_url: str, database: str) -> sa.engine.URL:
    url = sa.make_url(base_url)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=database)


def make_fresh_database(tmp_path_factory, backend: str) -> tuple[str, callable]:
    """Return (url, drop) for a brand-new empty database of this backend."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "epanel-test.sqlite"
        return f"sqlite:///{path}", lambda: None
    base_url = os.environ.get("EPANEL_TEST_DATABASE_URL")
    if not base_url:
        pytest.fail("--database=postgres needs EPANEL_TEST_DATABASE_URL", pytrace=False)
    name = f"epanel_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_admin_url(base_url, sa.make_url(base_url).database or "postgres"),
                             isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        missing_service(f"PostgreSQL is not reachable: {error.orig}")

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return _admin_url(base_url, name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_backend(request):
    return request.config.getoption("--database")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, database_backend):
    url, drop = make_fresh_database(tmp_path_factory, database_backend)
    yield url
    drop()


# --- mail ------------------------------------------------------------------


class MailCollector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()  # addresses answered "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server():
    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    """Messages that reached the local SMTP server during this test."""
    smtp_server.handler.messages.clear()
    smtp_server.handler.refuse.clear()
    return smtp_server.handler.messages


# --- the app ---------------------------------------------------------------


def settings_for_tests(database_url, smtp_server, **overrides) -> dict:
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": smtp_server.hostname,
        "SMTP_PORT": smtp_server.port,
    }
    settings.update(overrides)
    return settings


@pytest.fixture(scope="session")
def _schema(database_url, smtp_server):
    """Build the schema once per run through the real migrations."""
    app = create_app(settings_for_tests(database_url, smtp_server))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _empty_all_tables():
    tables = [table for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as production does, even while the
    test holds one open for factories; otherwise `g` and the db session would leak
    from one request into the next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def no_sending_thread_outlives_its_test():
    """Texts from one test must never be sent by a thread or sweeper left over from another."""
    yield
    left = [thread.name for thread in threading.enumerate() if thread.name in ("epanel-outbox", "epanel-sweeper")]
    assert not left, f"threads still sending after the test ended: {left}"


@pytest.fixture
def make_app(_schema, database_url, smtp_server):
    """Build apps with setting overrides; their connections are closed afterwards."""
    made = []

    def make(**overrides):
        app = create_app(settings_for_tests(database_url, smtp_server, **overrides))
        app.test_client_class = FreshContextClient
        made.append(app)
        return app

    yield make
    for app in made:
        # An outbox thread that outlived its test would go on sending from the shared test
        # database with that test's settings: fail loudly rather than let it.
        if not app.extensions["epanel_outbox_dispatcher"].shutdown(timeout=60):
            pytest.fail("an outbox worker thread was still sending 60 s after its test ended")
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        # A worker thread's tick could be writing; emptying under it deadlocks on PostgreSQL.
        app.extensions["epanel_outbox_dispatcher"].shutdown()
        db.session.remove()
        _empty_all_tables()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
