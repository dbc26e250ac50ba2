"""Home, footer pages (privacy, accessibility, cookies, contact), staff home, /dev/mail."""

from flask import Blueprint, render_template
from flask_login import current_user

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import STAFF_ROLES, Role
from epanel.mail import mailer
from epanel.panels.queries import list_panels_with_counts

bp = Blueprint("site", __name__)


@bp.route("/")
@public
def home():
    return render_template("site/home.html", panels=list_panels_with_counts(signup_open_only=True))


@bp.route("/privacy")
@public
def privacy():
    return render_template("site/privacy.html")


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("site/accessibility.html")


@bp.route("/cookies")
@public
def cookies():
    return render_template("site/cookies.html")


@bp.route("/contact")
@public
def contact():
    return render_template("site/contact.html")


@bp.route("/staff")
@roles_required(*STAFF_ROLES)
def staff_home():
    return render_template("site/staff_home.html", user=current_user)


@bp.route("/dev/mail")
@roles_required(Role.ADMIN, development_only=True)
def dev_mail():
    sent = list(getattr(mailer(), "sent", []))
    return render_template("site/dev_mail.html", sent=sent)
