"""Configuration classes, chosen by EPANEL_ENV; every setting comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env(name, default=None):
    value = os.environ.get(name, "").strip()
    return value if value else default


def _env_bool(name, default=False):
    value = _env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = _env(name)
    return int(value) if value is not None else default


def _env_float(name, default):
    value = _env(name)
    return float(value) if value is not None else default


def _database_url(default):
    url = _env("EPANEL_DATABASE_URL", default)
    # psycopg 3 is our PostgreSQL driver; accept the bare scheme people paste.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("postgresql") and "connect_timeout=" not in url:
        # A database host that does not answer fails a page or a readiness probe in seconds, not
        # after the operating system's TCP timeout of a minute or more.
        url += ("&" if "?" in url else "?") + "connect_timeout=5"
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY = _env("EPANEL_SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'epanel.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_URL = _env("EPANEL_PUBLIC_URL", "http://127.0.0.1:5000")
    REDIS_URL = _env("EPANEL_REDIS_URL")

    COUNCIL_NAME = _env("EPANEL_COUNCIL_NAME", "Avonmere District Council")
    SERVICE_NAME = _env("EPANEL_SERVICE_NAME", "Have your say")
    COUNCIL_CONTACT_EMAIL = _env("EPANEL_CONTACT_EMAIL", "consultation@avonmere.example")
    PHASE = _env("EPANEL_PHASE", "beta")

    SMS_BACKEND = _env("EPANEL_SMS_BACKEND", "console")
    TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
    TWILIO_MESSAGING_SERVICE_SID = _env("TWILIO_MESSAGING_SERVICE_SID")
    TWILIO_FROM_NUMBER = _env("TWILIO_FROM_NUMBER")
    TWILIO_API_URL = _env("EPANEL_TWILIO_API_URL")

    # The outbox: "thread" (a worker thread in the web process), "rq" (RQ workers on Redis;
    # the default when EPANEL_REDIS_URL is set), "inline" (send at commit: tests) or "manual".
    OUTBOX_MODE = _env("EPANEL_OUTBOX_MODE")
    SMS_RATE_PER_SECOND = _env_float("EPANEL_SMS_RATE_PER_SECOND", 10.0)  # 0: no cap
    OUTBOX_BATCH_SIZE = _env_int("EPANEL_OUTBOX_BATCH_SIZE", 50)
    OUTBOX_SEND_CONCURRENCY = _env_int("EPANEL_OUTBOX_SEND_CONCURRENCY", 8)  # texts in flight per worker
    OUTBOX_MAX_ATTEMPTS = _env_int("EPANEL_OUTBOX_MAX_ATTEMPTS", 6)
    OUTBOX_RETRY_SECONDS = _env_float("EPANEL_OUTBOX_RETRY_SECONDS", 30.0)  # doubles each attempt
    OUTBOX_GIVE_UP_AFTER = timedelta(hours=_env_float("EPANEL_OUTBOX_GIVE_UP_HOURS", 24.0))
    # A message this long in "sending" was left there by a worker that died.
    OUTBOX_STALE_AFTER = timedelta(seconds=_env_float("EPANEL_OUTBOX_STALE_SECONDS", 120.0))
    OUTBOX_POLL_SECONDS = _env_float("EPANEL_OUTBOX_POLL_SECONDS", 5.0)
    # The RQ queue's name: installs (or test runs) sharing one Redis need different names.
    OUTBOX_QUEUE = _env("EPANEL_OUTBOX_QUEUE", "epanel")
    SMS_SEND_TIMEOUT = _env_float("EPANEL_SMS_SEND_TIMEOUT", 10.0)  # seconds to wait for Twilio's answer
    SMS_PRICE_PER_SEGMENT = _env_float("EPANEL_SMS_PRICE_PER_SEGMENT", 0.04)  # pounds
    # No texts in these local hours; the Youth Panel's are stricter.
    QUIET_HOURS = _env("EPANEL_QUIET_HOURS", "21:00-08:00")
    YOUTH_QUIET_HOURS = _env("EPANEL_YOUTH_QUIET_HOURS", "20:00-09:00")
    YOUTH_PANEL_SLUG = _env("EPANEL_YOUTH_PANEL", "youth")
    # Texting one of these words starts signing up by text to that panel: "WORD:panel-slug,...".
    SMS_JOIN_KEYWORDS = _env("EPANEL_SMS_JOIN_KEYWORDS", "JOIN:citizens,YOUTH:youth")

    MAIL_BACKEND = _env("EPANEL_MAIL_BACKEND", "console")
    MAIL_FROM = _env("EPANEL_MAIL_FROM", "ePanel <no-reply@avonmere.example>")
    SMTP_HOST = _env("EPANEL_SMTP_HOST", "localhost")
    SMTP_PORT = _env_int("EPANEL_SMTP_PORT", 25)
    SMTP_USERNAME = _env("EPANEL_SMTP_USERNAME")
    SMTP_PASSWORD = _env("EPANEL_SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("EPANEL_SMTP_STARTTLS", False)
    SMTP_TIMEOUT = _env_int("EPANEL_SMTP_TIMEOUT", 10)

    # Age bands for analysis and "who is missing"; "75+" means 75 and over.
    AGE_BANDS = _env("EPANEL_AGE_BANDS", "11-15,16-17,18-24,25-34,35-44,45-54,55-64,65-74,75+")
    # Bump when the privacy notice text changes: consent records name the version agreed to.
    PRIVACY_NOTICE_VERSION = _env("EPANEL_PRIVACY_NOTICE_VERSION", "2026-11")
    SIGN_UP_CODE_TTL = timedelta(minutes=10)
    SIGN_UP_CODE_MAX_ATTEMPTS = 5
    SIGN_UP_LINK_TTL = timedelta(hours=48)

    # Contact-frequency rule: leave out members invited more than this many times in this many days.
    INVITATION_LIMIT = _env_int("EPANEL_INVITATION_LIMIT", 3)
    INVITATION_WINDOW_DAYS = _env_int("EPANEL_INVITATION_WINDOW_DAYS", 90)

    PASSWORD_RESET_TTL = timedelta(minutes=_env_int("EPANEL_RESET_TTL_MINUTES", 60))
    SIGN_IN_LINK_TTL = timedelta(minutes=_env_int("EPANEL_SIGN_IN_LINK_TTL_MINUTES", 15))

    # The "__Host-" prefix makes browsers accept the cookie only if it is Secure, has Path=/ and no
    # Domain, so neither a sibling subdomain nor a plain-HTTP page can set or overwrite it. It needs
    # HTTPS, so development and tests (plain http://127.0.0.1) use a plain name.
    # SameSite=Lax: the session is never sent in another site's iframe; embeds do not need it
    # (epanel/api/embeds.py).
    SESSION_COOKIE_NAME = "__Host-epanel_session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-epanel_remember"
    REMEMBER_COOKIE_PATH = "/"
    REMEMBER_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # tie the token to the session, not a clock
    SEND_HSTS = True

    RATELIMIT_ENABLED = True
    RATELIMIT_SIGN_IN = _env("EPANEL_RATELIMIT_SIGN_IN", "10 per minute;50 per hour")
    RATELIMIT_API = _env("EPANEL_RATELIMIT_API")  # per token; empty: 120 a minute and 3,000 an hour
    RATELIMIT_EMAIL_LINKS = _env("EPANEL_RATELIMIT_EMAIL_LINKS", "5 per minute;20 per hour")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not take sign-in, answering or the API down with it: limits carry on in this
    # process's memory until Redis is back, and a storage error never becomes a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True

    DEMO_TOOLS = False  # /dev/mail and friends: development only

    # Running in production (docs/deploy.md).
    LOG_FORMAT = _env("EPANEL_LOG_FORMAT", "text")  # "text" or "json" (one JSON object per line)
    # How many proxies in front of gunicorn to believe X-Forwarded-For/-Proto/-Host from
    # (nginx on the same host: 1). 0, the default, believes none of them.
    PROXY_HOPS = _env_int("EPANEL_PROXY_HOPS", 0)
    # /metrics answers requests bearing "Authorization: Bearer <this>", and ones made
    # straight from this machine; nobody else.
    METRICS_TOKEN = _env("EPANEL_METRICS_TOKEN")
    BACKUP_DIR = _env("EPANEL_BACKUP_DIR", str(INSTANCE_DIR / "backups"))

    # Sessions (issue 9): ended after this long unused, and after this long whatever happens.
    # Members get longer idle time: they read consultations and come back to them, and see
    # only their own data. The cookie itself lasts until the browser closes.
    STAFF_IDLE_TIMEOUT = timedelta(minutes=_env_int("EPANEL_STAFF_IDLE_MINUTES", 30))
    MEMBER_IDLE_TIMEOUT = timedelta(minutes=_env_int("EPANEL_MEMBER_IDLE_MINUTES", 120))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("EPANEL_SESSION_HOURS", 12))
    # Codes typed after a right password: per address and per account (Redis when set).
    RATELIMIT_TWO_FACTOR = _env("EPANEL_RATELIMIT_TWO_FACTOR", "5 per minute;20 per hour")

    # SMS pumping defences (issue 9). Sign-up codes go only to UK mobiles: at most
    # SIGN_UP_CODES_PER_NUMBER_HOUR an hour and SIGN_UP_CODES_PER_NUMBER_DAY a day to one number,
    # and SIGN_UP_CODES_PER_ADDRESS a day asked for from one client address. Overall, texts
    # strangers can trigger (sign-up codes and notices) stop for the rest of the day once
    # SMS_DAILY_LIMIT texts or SMS_DAILY_SPEND pounds (segments x SMS_PRICE_PER_SEGMENT) have
    # been queued that day, and administrators are e-mailed once. 0 switches a ceiling off.
    SIGN_UP_CODES_PER_NUMBER_HOUR = _env_int("EPANEL_SIGN_UP_CODES_PER_NUMBER_HOUR", 3)
    SIGN_UP_CODES_PER_NUMBER_DAY = _env_int("EPANEL_SIGN_UP_CODES_PER_NUMBER_DAY", 5)
    SIGN_UP_CODES_PER_ADDRESS = _env_int("EPANEL_SIGN_UP_CODES_PER_ADDRESS", 10)
    SMS_DAILY_LIMIT = _env_int("EPANEL_SMS_DAILY_LIMIT", 500)
    SMS_DAILY_SPEND = _env_float("EPANEL_SMS_DAILY_SPEND", 25.0)

    # Retention (issue 9, docs/retention.md): `flask epanel tick` and `flask epanel purge` remove
    # personal data this many days after it stops being needed; 0 keeps that kind for ever.
    # Anonymous answers, consent history of current members, SMS opt-outs and audit events stay.
    RETENTION_LEFT_MEMBER_DAYS = _env_int("EPANEL_RETENTION_LEFT_MEMBER_DAYS", 90)  # after leaving
    RETENTION_UNCONFIRMED_SIGN_UP_DAYS = _env_int("EPANEL_RETENTION_UNCONFIRMED_SIGN_UP_DAYS", 30)  # after signing up
    RETENTION_TOKEN_DAYS = _env_int("EPANEL_RETENTION_TOKEN_DAYS", 7)  # after a link or code expired or was used
    RETENTION_INBOUND_TEXT_DAYS = _env_int("EPANEL_RETENTION_INBOUND_TEXT_DAYS", 90)  # senders' numbers
    RETENTION_OUTBOX_DAYS = _env_int("EPANEL_RETENTION_OUTBOX_DAYS", 90)  # message bodies and addresses
    # Public respondents' e-mail addresses (for copies and confirmation), once the consultation has closed.
    RETENTION_RESPONSE_EMAIL_DAYS = _env_int("EPANEL_RETENTION_RESPONSE_EMAIL_DAYS", 90)
    # Members with no activity (no answer, no change to their details) for this long are e-mailed, and
    # removed INACTIVE_MEMBER_NOTICE_DAYS later unless they act in between.
    RETENTION_INACTIVE_MEMBER_DAYS = _env_int("EPANEL_RETENTION_INACTIVE_MEMBER_DAYS", 3 * 365)
    INACTIVE_MEMBER_NOTICE_DAYS = _env_int("EPANEL_INACTIVE_MEMBER_NOTICE_DAYS", 30)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = _env("EPANEL_SECRET_KEY", "development-only-not-secret")
    SESSION_COOKIE_NAME = "epanel_session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "epanel_remember"
    REMEMBER_COOKIE_SECURE = False
    SEND_HSTS = False
    DEMO_TOOLS = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # the test fixtures always set their own
    PUBLIC_URL = "http://localhost"
    SESSION_COOKIE_NAME = "epanel_session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "epanel_remember"
    REMEMBER_COOKIE_SECURE = False
    SEND_HSTS = False
    # Tests never reach a real provider: mail goes to a local SMTP server the
    # fixtures start, SMS to the fake gateway.
    MAIL_BACKEND = "console"
    SMS_BACKEND = "fake"
    OUTBOX_MODE = "inline"  # deterministic: each message goes as its transaction commits
    OUTBOX_SEND_CONCURRENCY = 1  # and in order
    SMS_RATE_PER_SECOND = 0.0
    REDIS_URL = None
    RATELIMIT_STORAGE_URI = "memory://"
    LOG_FORMAT = "text"
    PROXY_HOPS = 0
    METRICS_TOKEN = None


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for_environment():
    """The config class named by EPANEL_ENV (development when unset)."""
    name = _env("EPANEL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"EPANEL_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
