"""Members' own data (download, delete), and for staff: the data-protection summary and the audit log."""

import json
from datetime import date

from flask import Blueprint, Response, abort, redirect, render_template, request, session, stream_with_context, url_for
from flask_login import current_user, logout_user

from epanel.accounts.access import public, roles_required, signed_in
from epanel.accounts.models import Role
from epanel.common.time import utcnow
from epanel.panels.forms import ContinueForm
from epanel.panels.queries import find_member_for_user
from epanel.privacy import audit_log, operations, retention

bp = Blueprint("privacy", __name__)


def _my_member():
    return find_member_for_user(current_user) or abort(404)


@bp.route("/my/data")
@signed_in
def download_my_data():
    _my_member()
    return render_template("privacy/my_data.html", form=ContinueForm())


@bp.route("/my/data.json", methods=["POST"])
@signed_in
def my_data_file():
    member = _my_member()
    form = ContinueForm()
    if not form.validate_on_submit():
        abort(400)
    data = operations.export_member_data(member, current_user)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=my-panel-data-{date.today()}.json"},
    )


@bp.route("/my/delete", methods=["GET", "POST"])
@signed_in
def delete_my_account():
    member = _my_member()
    form = ContinueForm()
    if form.validate_on_submit():
        operations.erase_member(member, current_user)
        logout_user()
        session.clear()
        return redirect(url_for("privacy.account_deleted"))
    return render_template("privacy/delete.html", form=form, member=member)


@bp.route("/my/deleted")
@public
def account_deleted():
    return render_template("privacy/deleted.html")


@bp.route("/officer/data-protection")
@roles_required(Role.OFFICER, Role.ADMIN)
def data_protection():
    """What ePanel holds, why, for how long and who sees it: the basis of the council's DPIA. The retention
    periods and what is due for purging now are read from the running configuration and database."""
    return render_template("privacy/data_protection.html", schedule=retention.retention_schedule(),
                           due=retention.purge_personal_data(dry_run=True))


@bp.route("/admin/audit")
@roles_required(Role.ADMIN)
def show_audit_log():
    """Search the audit log (read only: nothing here changes or deletes an event)."""
    search = audit_log.AuditFilter.from_args(request.args)
    page = audit_log.find_events(search, before_id=request.args.get("before", type=int))
    return render_template("privacy/audit_log.html", search=search, page=page, actions=audit_log.action_names(),
                           before=request.args.get("before", type=int))


@bp.route("/admin/audit.csv")
@roles_required(Role.ADMIN)
def export_audit_log():
    search = audit_log.AuditFilter.from_args(request.args)
    lines = audit_log.export_events(search, current_user)
    filename = f"audit-log-{utcnow():%Y-%m-%d}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

