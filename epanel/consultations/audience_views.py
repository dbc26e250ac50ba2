"""Officers choose who a consultation invites, write the invitation, send it and follow what members did."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.consultations import audience, invitations
from epanel.consultations.audience_forms import AudienceForm, ConfirmForm, InvitationMessageForm
from epanel.consultations.queries import get_consultation_by_slug

bp = Blueprint("consultations_audience", __name__)

# Shown in previews when the audience has no member to borrow a first name from.
EXAMPLE_FIRST_NAME = "Sam"


def _consultation_or_404(slug):
    return get_consultation_by_slug(slug) or abort(404)


def _audience_page(consultation, form, rules=None):
    saved = audience.audience_rules(consultation) if audience.has_saved_audience(consultation) else None
    return render_template(
        "consultations/audience/audience.html", consultation=consultation, form=form, rules=rules, saved=saved,
        counts=audience.count_audience(consultation, rules) if rules else None,
        save_data=AudienceForm.data_from(rules) if rules else None,
        attribute_names=audience.list_attribute_names(),
    )


@bp.route("/officer/consultations/<slug>/audience")
@roles_required(Role.OFFICER, Role.ADMIN)
def show_audience(slug):
    consultation = _consultation_or_404(slug)
    counting = "count" in request.args
    saved = audience.audience_rules(consultation)
    form = AudienceForm(request.args if counting else None, data=None if counting else AudienceForm.data_from(saved),
                        meta={"csrf": False}).set_choices(audience.audience_choices())
    if counting and not form.validate():
        return _audience_page(consultation, form)
    return _audience_page(consultation, form, (form.rules() if counting else saved).with_seed())


@bp.route("/officer/consultations/<slug>/audience", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def save_audience(slug):
    consultation = _consultation_or_404(slug)
    form = AudienceForm().set_choices(audience.audience_choices())
    if form.validate_on_submit():
        try:
            audience.save_audience(consultation, form.rules(), current_user)
        except audience.AudienceError as error:
            form.statuses.errors.append(str(error))
        else:
            flash("Audience saved", "success")
            return redirect(url_for(".show_audience", slug=consultation.slug))
    return _audience_page(consultation, form)


@bp.route("/officer/consultations/<slug>/audience/sample", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def new_sample(slug):
    consultation = _consultation_or_404(slug)
    if ConfirmForm().validate_on_submit():
        try:
            seed = audience.draw_new_sample(consultation, current_user)
        except audience.AudienceError as error:
            flash(str(error), "error")
        else:
            flash(f"New sample drawn with seed {seed}", "success")
    return redirect(url_for(".show_audience", slug=consultation.slug))


@bp.route("/officer/consultations/<slug>/invitation-message", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def edit_invitation_message(slug):
    consultation = _consultation_or_404(slug)
    subject, body = invitations.message_templates(consultation)
    form = InvitationMessageForm(data={"subject": subject, "body": body})
    if form.validate_on_submit() and form.save.data:
        try:
            invitations.save_invitation_message(consultation, form.subject.data, form.body.data, current_user)
        except invitations.InvitationError as error:
            form.body.errors.append(str(error))
        else:
            flash("Invitation message saved", "success")
            return redirect(url_for(".show_invitations", slug=consultation.slug))
    member = audience.first_member_to_email(consultation)
    first_name = member.first_name if member else EXAMPLE_FIRST_NAME
    preview = None if form.errors else invitations.preview_invitation(
        consultation, form.subject.data, form.body.data, first_name)
    return render_template(
        "consultations/audience/invitation_message.html", consultation=consultation, form=form, preview=preview,
        preview_first_name=first_name, preview_is_member=member is not None, unsaved=request.method == "POST",
        placeholders=invitations.PLACEHOLDERS,
        closes_unknown=consultation.closes_at is None and invitations.uses_placeholder(form.body.data, "closes"),
    )


@bp.route("/officer/consultations/<slug>/invitations")
@roles_required(Role.OFFICER, Role.ADMIN)
def show_invitations(slug):
    consultation = _consultation_or_404(slug)
    search = request.args.get("search", "").strip()[:100]
    try:
        invitations.check_can_send(consultation)
        cannot_send = None
    except invitations.InvitationError as error:
        cannot_send = str(error)
    return render_template(
        "consultations/audience/invitations.html", consultation=consultation, cannot_send=cannot_send,
        counts=audience.count_audience(consultation) if audience.has_saved_audience(consultation) else None,
        stats=invitations.invitation_stats(consultation), search=search,
        recent=invitations.list_invitations(consultation, search=search),
        when=invitations.format_when, channel_labels=invitations.CHANNEL_LABELS,
    )


@bp.route("/officer/consultations/<slug>/invitations", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def send_invitations(slug):
    consultation = _consultation_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        flash("The page had expired, so nothing was sent. Check the numbers and send again.", "error")
    else:
        try:
            report = invitations.send_invitations(consultation, current_user)
        except invitations.InvitationError as error:
            flash(str(error), "error")
        else:
            flash(report.summary, "success")
    return redirect(url_for(".show_invitations", slug=consultation.slug))


@bp.route("/officer/consultations/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def revoke_invitation(slug, invitation_id):
    consultation = _consultation_or_404(slug)
    invitation = invitations.get_invitation(consultation, invitation_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        name = invitation.member.full_name if invitation.member else "a former member"
        if invitations.revoke_invitation(invitation, current_user):
            flash(f"Invitation to {name} revoked: their link no longer works", "success")
        else:
            flash(f"The invitation to {name} was already revoked", "error")
    return redirect(url_for(".show_invitations", slug=consultation.slug, search=request.args.get("search") or None))
