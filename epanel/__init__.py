"""ePanel: e-consultation and youth e-panel platform for UK councils."""

import logging
from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from epanel.config import INSTANCE_DIR, config_for_environment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the app: config from EPANEL_ENV plus optional overrides, extensions, blueprints, CLI."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder="static")
    app.config.from_object(config_for_environment())
    if config:
        app.config.from_mapping(config)
    _check_config(app)
    _configure_logging(app)
    _configure_templates(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    _register_tick_steps(app)

    from epanel.errors import register_error_handlers

    register_error_handlers(app)

    from epanel.cli import epanel_cli

    app.cli.add_command(epanel_cli)
    return app


def _check_config(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "EPANEL_SECRET_KEY must be set outside development "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def _configure_logging(app: Flask) -> None:
    from epanel.ops import init_ops
    from epanel.ops.logging import configure_logging

    if not app.debug and not app.testing:
        configure_logging(app.config["LOG_FORMAT"])  # text, or JSON lines (EPANEL_LOG_FORMAT=json)
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        # The twilio library logs every request's headers at INFO: eight lines a text.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # Request ids, request log lines, metrics and the trusted proxy: first of all request hooks.
    init_ops(app)


def _configure_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    from epanel.common.markdown import render_markdown

    app.add_template_filter(render_markdown, "markdown")

    from epanel.security import csp_nonce

    @app.context_processor
    def council_context():
        return {
            "council_name": app.config["COUNCIL_NAME"],
            "service_name": app.config["SERVICE_NAME"],
            "phase": app.config["PHASE"],
            "contact_email": app.config["COUNCIL_CONTACT_EMAIL"],
            "cspNonce": csp_nonce(),
            "demo_tools": app.config["DEMO_TOOLS"],
        }


def _init_extensions(app: Flask) -> None:
    # Import every model module so metadata (and Alembic) sees all tables.
    from epanel.accounts import models as _accounts_models  # noqa: F401
    from epanel.analysis import models as _analysis_models  # noqa: F401
    from epanel.api import models as _api_models  # noqa: F401
    from epanel.classroom import models as _classroom_models  # noqa: F401
    from epanel.consultations import models as _consultations_models  # noqa: F401
    from epanel.database import configure_sqlite
    from epanel.extensions import csrf, db, limiter, login_manager, migrate
    from epanel.mail import init_mail
    from epanel.messaging import models as _messaging_models  # noqa: F401
    from epanel.messaging.dispatch import init_dispatch
    from epanel.messaging.gateways import init_sms_gateway
    from epanel.panels import models as _panels_models  # noqa: F401
    from epanel.planning import models as _planning_models  # noqa: F401
    from epanel.privacy import models as _privacy_models  # noqa: F401
    from epanel.respond import models as _respond_models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://"
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to see that page"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    init_mail(app)
    init_sms_gateway(app)
    init_dispatch(app)

    from epanel.accounts.views import load_user

    login_manager.user_loader(load_user)

    with app.app_context():
        configure_sqlite(db.engine)


def _register_blueprints(app: Flask) -> None:
    from epanel.accounts.views import bp as accounts_bp
    from epanel.analysis.tracker_views import bp as analysis_trackers_bp
    from epanel.analysis.views import bp as analysis_bp
    from epanel.api.embed_views import bp as api_embeds_bp
    from epanel.api.views import bp as api_bp
    from epanel.classroom.pupil_views import bp as classroom_pupils_bp
    from epanel.classroom.school_views import bp as classroom_schools_bp
    from epanel.classroom.views import bp as classroom_bp
    from epanel.consultations.audience_views import bp as consultations_audience_bp
    from epanel.consultations.views import bp as consultations_bp
    from epanel.messaging.campaign_views import bp as messaging_campaigns_bp
    from epanel.messaging.inbox_views import bp as messaging_inbox_bp
    from epanel.messaging.outbox_views import bp as messaging_outbox_bp
    from epanel.messaging.webhooks import bp as sms_webhooks_bp
    from epanel.ops.views import bp as ops_bp
    from epanel.panels.import_views import bp as panels_import_bp
    from epanel.panels.outreach_views import bp as panels_outreach_bp
    from epanel.panels.views import bp as panels_bp
    from epanel.planning.councillor_views import bp as planning_councillors_bp
    from epanel.planning.group_views import bp as planning_groups_bp
    from epanel.planning.views import bp as planning_bp
    from epanel.privacy.views import bp as privacy_bp
    from epanel.respond.views import bp as respond_bp
    from epanel.respond.views import register_template_globals
    from epanel.site.views import bp as site_bp

    for blueprint in (site_bp, accounts_bp, panels_bp, panels_import_bp, panels_outreach_bp,
                      consultations_bp, consultations_audience_bp, respond_bp, privacy_bp, sms_webhooks_bp,
                      messaging_outbox_bp, messaging_inbox_bp, messaging_campaigns_bp, ops_bp, analysis_bp,
                      classroom_bp, classroom_pupils_bp, classroom_schools_bp, planning_bp, planning_councillors_bp,
                      planning_groups_bp, api_bp, api_embeds_bp, analysis_trackers_bp):
        app.register_blueprint(blueprint)
    register_template_globals(app)


def _register_tick_steps(app: Flask) -> None:
    """Work of the domains above messaging that every tick (cron or the worker thread) runs."""
    from epanel.messaging.worker import add_tick_step
    from epanel.planning import digests
    from epanel.privacy import retention

    # Looked up at call time, so a test can replace them. Digests go before the tick's sweep sends them.
    add_tick_step(app, "digests queued", lambda: digests.queue_due_digests())
    add_tick_step(app, "personal data purged", lambda: sum(retention.purge_personal_data().values()))


def _register_request_hooks(app: Flask) -> None:
    from epanel.accounts.access import enforce_access_rules
    from epanel.security import add_security_headers

    app.before_request(enforce_access_rules)

    @app.after_request
    def _security_headers(response):
        return add_security_headers(response, send_hsts=app.config["SEND_HSTS"])
