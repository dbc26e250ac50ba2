"""Community group contact points: digests, tracked links, outcomes of what their group answered."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from epanel.accounts.access import signed_in
from epanel.analysis.suppression import MIN_PUBLIC_BASE
from epanel.panels.queries import find_member_for_user
from epanel.planning import community_queries as queries
from epanel.planning.councillor_forms import DigestForm
from epanel.planning.digests import set_digest_frequency
from epanel.planning.groups import referral_tag, tracked_link
from epanel.planning.models import DigestFrequency

bp = Blueprint("planning_groups", __name__)


def _contact_or_404():
    """The signed-in member and the groups they act for; 404 for anyone who is no group's contact point."""
    member = find_member_for_user(current_user)
    groups = queries.groups_of(member)
    if not groups:
        abort(404)
    return member, groups


def _home(member, groups, form, status=200):
    return render_template("planning/group_home.html", member=member, groups=groups, form=form), status


@bp.route("/groups/contact")
@signed_in
def home():
    member, groups = _contact_or_404()
    return _home(member, groups, DigestForm(frequency=queries.frequency_for(member=member).value))


@bp.route("/groups/contact/digest", methods=["POST"])
@signed_in
def save_digest():
    member, groups = _contact_or_404()
    form = DigestForm()
    if not form.validate_on_submit():
        return _home(member, groups, form, 400)
    set_digest_frequency(DigestFrequency(form.frequency.data), member=member)
    flash("Your digest settings are saved", "success")
    return redirect(url_for(".home"))


@bp.route("/groups/contact/<int:group_id>")
@signed_in
def show_group(group_id):
    _, groups = _contact_or_404()
    group = next((group for group in groups if group.id == group_id), None) or abort(404)
    links = [(consultation, tracked_link(consultation, group)) for consultation in queries.open_public_consultations()]
    return render_template("planning/group_page.html", group=group, tag=referral_tag(group), links=links,
                           outcomes=queries.outcomes_for_group(group), reach=queries.reach_of(group),
                           min_base=MIN_PUBLIC_BASE)
