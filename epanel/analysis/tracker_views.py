"""Tracker questions across waves, for officers."""

from flask import Blueprint, abort, render_template

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.analysis import trackers

bp = Blueprint("analysis_trackers", __name__, url_prefix="/officer/trackers")

OFFICERS = (Role.OFFICER, Role.ADMIN)


@bp.route("")
@roles_required(*OFFICERS)
def list_trackers():
    return render_template("analysis/trackers.html", trackers=trackers.list_trackers())


@bp.route("/<code>")
@roles_required(*OFFICERS)
def show_tracker(code):
    tracker = trackers.get_tracker(code) or abort(404)
    return render_template("analysis/tracker.html", waves=trackers.tracker_waves(tracker))
