"""Officers send texts and e-mails for a consultation as campaigns; members open short links from texts."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import Role
from epanel.consultations import audience
from epanel.consultations.audience_forms import ConfirmForm
from epanel.consultations.forms import utc_to_london
from epanel.consultations.invitations import PLACEHOLDERS, format_when
from epanel.consultations.queries import get_consultation_by_slug
from epanel.messaging import campaigns
from epanel.messaging.campaign_forms import CampaignForm, ScheduleForm
from epanel.messaging.models import CampaignKind, CampaignState

bp = Blueprint("messaging_campaigns", __name__)

KIND_URLS = {"invitation": CampaignKind.INVITATION, "reminder": CampaignKind.REMINDER,
             "alert": CampaignKind.ALERT, "results": CampaignKind.RESULTS}


def _consultation_or_404(slug):
    return get_consultation_by_slug(slug) or abort(404)


def _campaign_or_404(consultation, campaign_id):
    return campaigns.get_campaign(consultation, campaign_id) or abort(404)


@bp.route("/i/<token>")
@public
def short_link(token):
    """The short private link in a text: on to the answering pages, which check the token."""
    if len(token) > 100:
        abort(404)
    return redirect(url_for("respond.invitation_link", token=token), code=302)


@bp.route("/officer/consultations/<slug>/campaigns")
@roles_required(Role.OFFICER, Role.ADMIN)
def list_campaigns(slug):
    consultation = _consultation_or_404(slug)
    return render_template(
        "messaging/campaigns/list.html", consultation=consultation, rows=campaigns.list_campaigns(consultation),
        kinds=KIND_URLS, when=format_when, descriptions=campaigns.AUDIENCE_DESCRIPTIONS,
    )


def _edit_page(consultation, form, kind, campaign=None, segment=""):
    return render_template(
        "messaging/campaigns/edit.html", consultation=consultation, form=form, kind=kind, campaign=campaign,
        placeholders=PLACEHOLDERS, needs_link=campaigns.needs_link(kind),
        description=campaigns.AUDIENCE_DESCRIPTIONS[kind],
        segment=segment or audience.describe_segment(campaign.segment if campaign else None),
    )


@bp.route("/officer/consultations/<slug>/campaigns/new/<kind>", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def new_campaign(slug, kind):
    consultation = _consultation_or_404(slug)
    kind = KIND_URLS.get(kind) or abort(404)
    # ?ward=North (or age_band, gender): a reminder to one group, from the representativeness page.
    segment = audience.clean_segment(request.args) if kind is CampaignKind.REMINDER else {}
    form = CampaignForm(kind=kind, data={"channel": "sms", **campaigns.default_texts(consultation, kind)})
    if form.validate_on_submit():
        try:
            campaign = campaigns.create_campaign(consultation, kind, actor=current_user, segment=segment,
                                                 **form.settings())
        except campaigns.CampaignError as error:
            form.sms_body.errors.append(str(error))
        else:
            return redirect(url_for(".show_campaign", slug=slug, campaign_id=campaign.id))
    return _edit_page(consultation, form, kind, segment=audience.describe_segment(segment))


@bp.route("/officer/consultations/<slug>/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def edit_campaign(slug, campaign_id):
    consultation = _consultation_or_404(slug)
    campaign = _campaign_or_404(consultation, campaign_id)
    if campaign.state is not CampaignState.DRAFT:
        flash("Only a draft campaign can be changed", "error")
        return redirect(url_for(".show_campaign", slug=slug, campaign_id=campaign.id))
    defaults = campaigns.default_texts(consultation, campaign.kind)
    form = CampaignForm(kind=campaign.kind, data={
        "channel": campaign.channel.value, "sms_body": campaign.sms_body or defaults["sms_body"],
        "email_subject": campaign.email_subject or defaults["email_subject"],
        "email_body": campaign.email_body or defaults["email_body"],
        "remind_after_days": campaign.remind_after_days, "reminder_limit": campaign.reminder_limit,
    })
    if form.validate_on_submit():
        try:
            campaigns.update_campaign(campaign, current_user, **form.settings())
        except campaigns.CampaignError as error:
            form.sms_body.errors.append(str(error))
        else:
            return redirect(url_for(".show_campaign", slug=slug, campaign_id=campaign.id))
    return _edit_page(consultation, form, campaign.kind, campaign)


def _campaign_page(consultation, campaign, schedule_form=None):
    cannot_send = preview = counts = None
    if campaign.state is CampaignState.DRAFT:
        try:
            campaigns.check_can_send(campaign)
        except campaigns.CampaignError as error:
            cannot_send = str(error)
        preview = campaigns.preview_campaign(campaign)
    if campaign.state is not CampaignState.DRAFT:
        counts = campaigns.campaign_counts(campaign)
    if schedule_form is None:
        day, clock = utc_to_london(campaign.scheduled_for)
        schedule_form = ScheduleForm(data={"send_on": day, "send_time": clock})
    return render_template(
        "messaging/campaigns/show.html", consultation=consultation, campaign=campaign, preview=preview,
        counts=counts, cannot_send=cannot_send, form=schedule_form, when=format_when,
        automatic=campaigns.is_automatic(campaign), left_out=campaigns.left_out_list(campaign),
        state_labels=campaigns.STATE_LABELS, states=campaigns.COUNTED_STATES,
        description=campaigns.AUDIENCE_DESCRIPTIONS[campaign.kind], segment=audience.describe_segment(campaign.segment),
        can_cancel=campaign.state in (CampaignState.SCHEDULED, CampaignState.SENDING)
        or (campaign.state is CampaignState.SENT and counts is not None and counts.held),
    )


@bp.route("/officer/consultations/<slug>/campaigns/<int:campaign_id>")
@roles_required(Role.OFFICER, Role.ADMIN)
def show_campaign(slug, campaign_id):
    consultation = _consultation_or_404(slug)
    return _campaign_page(consultation, _campaign_or_404(consultation, campaign_id))


@bp.route("/officer/consultations/<slug>/campaigns/<int:campaign_id>/send", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def send_campaign(slug, campaign_id):
    consultation = _consultation_or_404(slug)
    campaign = _campaign_or_404(consultation, campaign_id)
    if not ConfirmForm().validate_on_submit():
        flash("The page had expired, so nothing was sent. Check the numbers and send again.", "error")
    else:
        try:
            report = campaigns.send_campaign(campaign, current_user)
        except campaigns.CampaignError as error:
            flash(str(error), "error")
        else:
            flash(report.summary, "success")
    return redirect(url_for(".show_campaign", slug=slug, campaign_id=campaign_id))


@bp.route("/officer/consultations/<slug>/campaigns/<int:campaign_id>/schedule", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def schedule_campaign(slug, campaign_id):
    consultation = _consultation_or_404(slug)
    campaign = _campaign_or_404(consultation, campaign_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            campaigns.schedule_campaign(campaign, form.when(), current_user)
        except campaigns.CampaignError as error:
            form.send_on.errors.append(str(error))
        else:
            flash(f"Scheduled to send at {format_when(form.when())}", "success")
            return redirect(url_for(".show_campaign", slug=slug, campaign_id=campaign_id))
    return _campaign_page(consultation, campaign, form)


@bp.route("/officer/consultations/<slug>/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def cancel_campaign(slug, campaign_id):
    consultation = _consultation_or_404(slug)
    campaign = _campaign_or_404(consultation, campaign_id)
    if ConfirmForm().validate_on_submit():
        try:
            stopped = campaigns.cancel_campaign(campaign, current_user)
        except campaigns.CampaignError as error:
            flash(str(error), "error")
        else:
            flash(f"Campaign cancelled. {stopped:,} waiting {'message' if stopped == 1 else 'messages'} "
                  f"will not be sent.", "success")
    return redirect(url_for(".show_campaign", slug=slug, campaign_id=campaign_id))
