"""Officer pages for panels."""

from flask import Blueprint, render_template

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.panels.queries import list_panels_with_counts

bp = Blueprint("panels", __name__)


@bp.route("/officer/panels")
@roles_required(Role.OFFICER, Role.ADMIN)
def list_panels():
    return render_template("panels/list.html", summaries=list_panels_with_counts())
