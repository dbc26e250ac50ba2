"""Panels: officers' panel and member pages, the public sign-up, and members' own profile."""

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_user
from wtforms.fields.choices import SelectChoice

from epanel.accounts import operations as account_operations
from epanel.accounts.access import public, roles_required, signed_in
from epanel.accounts.models import Role
from epanel.accounts.queries import get_user
from epanel.extensions import limiter
from epanel.panels import operations, queries, signup
from epanel.panels.forms import (
    AboutYouForm,
    BulkActionForm,
    ChoosePanelsForm,
    CodeForm,
    ContactDetailsForm,
    ContactPreferencesForm,
    ContinueForm,
    DateOfBirthForm,
    MemberFiltersForm,
    MemberForm,
    MyDetailsForm,
    NameForm,
    PanelForm,
    PaperMemberForm,
    ParentForm,
    PostcodeForm,
    PrivacyForm,
    WardForm,
    WardLookupForm,
)
from epanel.panels.models import Member, MemberStatus
from epanel.panels.outreach import RECRUITMENT_SESSION_KEY
from epanel.panels.profile import age_on, format_mobile
from epanel.privacy.models import ConsentChannel

bp = Blueprint("panels", __name__)

OFFICERS = (Role.OFFICER, Role.ADMIN)


def _panel_or_404(slug):
    return queries.get_panel_by_slug(slug) or abort(404)


def _member_or_404(member_id):
    return queries.get_member(member_id) or abort(404)


def _panel_choices():
    return [SelectChoice(panel.slug, panel.name) for panel in queries.list_panels()]


def _ward_choices(blank):
    return [SelectChoice("", blank)] + [SelectChoice(ward, ward) for ward in queries.list_wards()]


# --- officers: panels --------------------------------------------------------------


@bp.route("/officer/panels")
@roles_required(*OFFICERS)
def list_panels():
    return render_template("panels/list.html", summaries=queries.list_panels_with_counts())


@bp.route("/officer/panels/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_panel():
    form = PanelForm(data={"signup_open": True})
    if form.validate_on_submit():
        try:
            operations.create_panel(
                form.slug.data, form.name.data, description=form.description.data or "",
                min_age=form.min_age.data, max_age=form.max_age.data, area=form.area.data or "",
                is_youth_panel=form.is_youth_panel.data, signup_open=form.signup_open.data,
            )
        except operations.PanelError as error:
            form.slug.errors.append(str(error))
        else:
            flash(f"{form.name.data} created", "success")
            return redirect(url_for("panels.list_panels"))
    return render_template("panels/panel_form.html", form=form, panel=None)


@bp.route("/officer/panels/<slug>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_panel(slug):
    panel = _panel_or_404(slug)
    form = PanelForm(obj=panel)
    form.slug.data = panel.slug  # fixed once created: links and imports use it
    if form.validate_on_submit():
        try:
            operations.update_panel(
                panel, name=form.name.data, description=form.description.data or "",
                min_age=form.min_age.data, max_age=form.max_age.data, area=form.area.data or "",
                is_youth_panel=form.is_youth_panel.data, signup_open=form.signup_open.data,
            )
        except operations.PanelError as error:
            form.min_age.errors.append(str(error))
        else:
            flash(f"{panel.name} saved", "success")
            return redirect(url_for("panels.list_panels"))
    return render_template("panels/panel_form.html", form=form, panel=panel)


# --- officers: members -------------------------------------------------------------


def _filters_form():
    form = MemberFiltersForm(request.args)
    form.panel.choices = [SelectChoice("", "Any")] + _panel_choices()
    form.age_band.choices = [SelectChoice("", "Any")] + [SelectChoice(b.label, b.label) for b in queries.age_bands()]
    form.ward.choices = _ward_choices("Any")
    return form


def _filters_from(form) -> queries.MemberFilters:
    return queries.MemberFilters(**{
        name: (getattr(form, name).data or "") for name in queries.MemberFilters.__dataclass_fields__
    })


@bp.route("/officer/members")
@roles_required(*OFFICERS)
def list_members():
    form = _filters_form()
    filters = _filters_from(form)
    after = request.args.get("after", type=int)
    page = queries.find_members(filters, after_id=after)
    operations.record_member_list_view(current_user, filters, len(page.members))
    bulk = BulkActionForm()
    bulk.panel.choices = [SelectChoice("", "Choose a panel")] + _panel_choices()
    return render_template("panels/members.html", form=form, page=page, bulk=bulk,
                           filters=filters, after=after, today=date.today())


@bp.route("/officer/members/bulk", methods=["POST"])
@roles_required(*OFFICERS)
def bulk_members():
    bulk = BulkActionForm()
    bulk.panel.choices = [SelectChoice("", "Choose a panel")] + _panel_choices()
    member_ids = request.form.getlist("member_ids", type=int)
    back = request.form.get("back") or url_for("panels.list_members")
    if not back.startswith("/officer/members"):
        back = url_for("panels.list_members")
    if not member_ids:
        flash("Select at least one member first", "error")
        return redirect(back)
    if not bulk.validate_on_submit():
        flash(bulk.action.errors[0] if bulk.action.errors else "Choose what to do", "error")
        return redirect(back)
    panel = queries.get_panel_by_slug(bulk.panel.data) if bulk.panel.data else None
    try:
        changed = operations.bulk_change_members(queries.get_members(member_ids), bulk.action.data,
                                                 current_user, panel=panel)
    except operations.PanelError as error:
        flash(str(error), "error")
    else:
        flash(f"{changed} of {len(member_ids)} selected members changed", "success")
    return redirect(back)


@bp.route("/officer/members/export.csv")
@roles_required(*OFFICERS)
def export_members():
    lines = operations.export_members(_filters_from(_filters_form()), current_user)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=members-{date.today()}.csv"})


@bp.route("/officer/members/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_paper_member():
    form = PaperMemberForm()
    form.panels.choices = _panel_choices()
    form.ward.choices = _ward_choices("Not known")
    if form.validate_on_submit():
        member = Member()
        _copy_member_form(form, member)
        panels = [queries.get_panel_by_slug(slug) for slug in form.panels.data]
        try:
            operations.add_paper_member(member, panels, current_user)
        except operations.PanelError as error:
            form.email.errors.append(str(error))
        else:
            flash(f"{member.full_name} added", "success")
            return redirect(url_for("panels.show_member", member_id=member.id))
    return render_template("panels/member_form.html", form=form, member=None)


def _member_changes(form) -> dict:
    channels = set(form.channels.data or [])
    return {
        "first_name": form.first_name.data,
        "last_name": form.last_name.data,
        "email": form.email.data or None,
        "mobile": form.mobile.data or None,
        "address": form.address.data or None,
        "postcode": form.postcode.data or None,
        "ward": form.ward.data or None,
        "date_of_birth": form.date_of_birth.data,
        "gender": form.gender.data or None,
        "ethnic_group": form.ethnic_group.data or None,
        "disability": form.disability.data or None,
        "caring": form.caring.data or None,
        "contact_by_email": "email" in channels,
        "contact_by_sms": "sms" in channels,
        "contact_by_post": "post" in channels,
    }


def _copy_member_form(form, member) -> None:
    for name, value in _member_changes(form).items():
        setattr(member, name, value)


@bp.route("/officer/members/<int:member_id>")
@roles_required(*OFFICERS)
def show_member(member_id):
    member = _member_or_404(member_id)
    operations.record_member_view(member, current_user)
    return render_template("panels/member.html", member=member, consents=queries.consent_history(member),
                           age_band=queries.age_band_of(member))


@bp.route("/officer/members/<int:member_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_member(member_id):
    member = _member_or_404(member_id)
    form = MemberForm(obj=member, data={"channels": _channels_of(member)} if request.method == "GET" else None)
    form.ward.choices = _ward_choices("Not known")
    if form.validate_on_submit():
        try:
            operations.update_member_profile(member, _member_changes(form), current_user,
                                             channel=ConsentChannel.OFFICER)
        except operations.PanelError as error:
            form.email.errors.append(str(error))
        else:
            flash("Member details saved", "success")
            return redirect(url_for("panels.show_member", member_id=member.id))
    return render_template("panels/member_form.html", form=form, member=member)


def _channels_of(member) -> list[str]:
    return [name for name in ("email", "sms", "post") if getattr(member, f"contact_by_{name}")]


@bp.route("/officer/wards", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def ward_lookup():
    form = WardLookupForm()
    problems = []
    if form.validate_on_submit():
        try:
            rows, problems = operations.read_ward_lookup(form.lookup.data.read(operations.MAX_LOOKUP_BYTES + 1))
            if not rows:
                raise operations.PanelError("The file has no usable rows, so the lookup was not changed")
            operations.replace_ward_lookup(rows, current_user)
        except operations.PanelError as error:
            form.lookup.errors.append(str(error))
        else:
            flash(f"Lookup replaced: {len(rows):,} postcodes"
                  + (f", {len(problems)} rows skipped (listed below)" if problems else ""), "success")
            if not problems:
                return redirect(url_for("panels.ward_lookup"))
    return render_template("panels/wards.html", form=form, problems=problems,
                           postcodes=queries.count_postcode_areas(), wards=queries.list_wards())


# --- public sign-up: one question per page -----------------------------------------

SIGN_UP_KEY = "sign_up"
SIGN_UP_SENT_KEY = "sign_up_sent"


def _answers() -> signup.SignUpAnswers:
    return signup.SignUpAnswers.from_session(session.get(SIGN_UP_KEY))


def _save(answers: signup.SignUpAnswers) -> None:
    session[SIGN_UP_KEY] = answers.to_session()


def _next(default_endpoint):
    """After a change from the check-answers page, go back there; otherwise on to the next question."""
    if request.args.get("change"):
        return redirect(url_for("panels.join_check"))
    return redirect(url_for(default_endpoint))


def _step_page(template, form, **context):
    return render_template(f"panels/join/{template}.html", form=form, answers=_answers(), **context)


@bp.route("/join")
@public
def join_start():
    return render_template("panels/join/start.html", panels=signup.panels_open_to(None) or queries.list_panels())


@bp.route("/join/date-of-birth", methods=["GET", "POST"])
@public
def join_date_of_birth():
    answers = _answers()
    form = DateOfBirthForm(data={"date_of_birth": answers.birth_date})
    if form.validate_on_submit():
        age = age_on(form.date_of_birth.data, date.today())
        if signup.is_too_young_to_join_online(age):
            session.pop(SIGN_UP_KEY, None)
            return redirect(url_for("panels.join_too_young"))
        if not signup.panels_open_to(age):
            return redirect(url_for("panels.join_no_panels"))
        answers.date_of_birth = form.date_of_birth.data.isoformat()
        answers.panel_slugs = [s for s in answers.panel_slugs if s in {p.slug for p in signup.panels_open_to(age)}]
        _save(answers)
        return redirect(url_for("panels.join_panels"))
    return _step_page("date_of_birth", form)


@bp.route("/join/too-young")
@public
def join_too_young():
    return render_template("panels/join/too_young.html")


@bp.route("/join/no-panels")
@public
def join_no_panels():
    return render_template("panels/join/no_panels.html")


@bp.route("/join/panels", methods=["GET", "POST"])
@public
def join_panels():
    answers = _answers()
    if not answers.date_of_birth:
        return redirect(url_for("panels.join_date_of_birth"))
    open_panels = signup.panels_open_to(answers.age())
    form = ChoosePanelsForm(data={"panels": answers.panel_slugs})
    form.panels.choices = [SelectChoice(p.slug, p.name) for p in open_panels]
    if form.validate_on_submit():
        answers.panel_slugs = form.panels.data
        _save(answers)
        return _next("panels.join_name")
    return _step_page("panels", form, panels=open_panels)


@bp.route("/join/name", methods=["GET", "POST"])
@public
def join_name():
    answers = _answers()
    form = NameForm(data={"first_name": answers.first_name, "last_name": answers.last_name})
    if form.validate_on_submit():
        answers.first_name, answers.last_name = form.first_name.data, form.last_name.data
        _save(answers)
        return _next("panels.join_contact")
    return _step_page("name", form)


@bp.route("/join/contact", methods=["GET", "POST"])
@public
def join_contact():
    answers = _answers()
    form = ContactDetailsForm(data={"email": answers.email, "mobile": format_mobile(answers.mobile)})
    if form.validate_on_submit():
        answers.email, answers.mobile = form.email.data or "", form.mobile.data or ""
        answers.channels = [c for c in answers.channels
                            if not (c == "email" and not answers.email or c == "sms" and not answers.mobile)]
        _save(answers)
        return _next("panels.join_postcode")
    return _step_page("contact", form)


@bp.route("/join/postcode", methods=["GET", "POST"])
@public
def join_postcode():
    answers = _answers()
    form = PostcodeForm(data={"postcode": answers.postcode})
    if form.validate_on_submit():
        answers.postcode = form.postcode.data
        area = queries.ward_for_postcode(answers.postcode)
        answers.ward, answers.parish = (area.ward, area.parish or "") if area else ("", "")
        _save(answers)
        if area is None and queries.list_wards():
            return redirect(url_for("panels.join_ward", **request.args))
        return _next("panels.join_about_you")
    return _step_page("postcode", form)


@bp.route("/join/ward", methods=["GET", "POST"])
@public
def join_ward():
    answers = _answers()
    form = WardForm(data={"ward": answers.ward or None})
    form.ward.choices = [SelectChoice("", "Choose your ward")] + [
        SelectChoice(w, w) for w in queries.list_wards()] + [SelectChoice("unknown", "I do not know")]
    if form.validate_on_submit():
        answers.ward = "" if form.ward.data == "unknown" else form.ward.data
        _save(answers)
        return _next("panels.join_about_you")
    return _step_page("ward", form)


@bp.route("/join/about-you", methods=["GET", "POST"])
@public
def join_about_you():
    answers = _answers()
    form = AboutYouForm(data={name: getattr(answers, name) or None
                              for name in ("gender", "ethnic_group", "disability", "caring")})
    if form.validate_on_submit():
        for name in ("gender", "ethnic_group", "disability", "caring"):
            setattr(answers, name, getattr(form, name).data or "")
        _save(answers)
        return _next("panels.join_contact_preferences")
    return _step_page("about_you", form)


@bp.route("/join/contact-preferences", methods=["GET", "POST"])
@public
def join_contact_preferences():
    answers = _answers()
    form = ContactPreferencesForm(data={"channels": answers.channels, "address": answers.address},
                                  has_email=bool(answers.email), has_mobile=bool(answers.mobile))
    if form.validate_on_submit():
        answers.channels, answers.address = form.channels.data, form.address.data or ""
        _save(answers)
        if signup.needs_parent(answers.age()):
            return redirect(url_for("panels.join_parent", **request.args))
        return _next("panels.join_privacy")
    return _step_page("contact_preferences", form)


@bp.route("/join/parent", methods=["GET", "POST"])
@public
def join_parent():
    answers = _answers()
    if not signup.needs_parent(answers.age()):
        return redirect(url_for("panels.join_privacy"))
    form = ParentForm(data={"parent_name": answers.parent_name, "parent_email": answers.parent_email})
    if form.validate_on_submit():
        answers.parent_name, answers.parent_email = form.parent_name.data, form.parent_email.data
        _save(answers)
        return _next("panels.join_privacy")
    return _step_page("parent", form)


@bp.route("/join/privacy", methods=["GET", "POST"])
@public
def join_privacy():
    answers = _answers()
    form = PrivacyForm()
    version = signup.notice_version_for(answers.age())
    if form.validate_on_submit():
        answers.agreed_notice = version
        _save(answers)
        return redirect(url_for("panels.join_check"))
    return _step_page("privacy", form, young=signup.is_young_person(answers.age()), notice_version=version)


@bp.route("/join/check", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", exempt_when=lambda: request.method != "POST")
def join_check():
    answers = _answers()
    step = signup.missing_steps(answers)
    if step is not None:
        return redirect(url_for(f"panels.join_{step}"))
    form = ContinueForm()
    if form.validate_on_submit():
        try:
            sent = signup.submit_sign_up(answers, recruitment_link_id=session.get(RECRUITMENT_SESSION_KEY))
        except signup.SignUpError as error:
            flash(str(error), "error")
            return redirect(url_for("panels.join_panels"))
        session.pop(SIGN_UP_KEY, None)
        session[SIGN_UP_SENT_KEY] = {"channel": sent.channel, "destination": sent.destination,
                                     "member_id": sent.member_id}
        return redirect(url_for("panels.join_sent"))
    panels = [queries.get_panel_by_slug(slug) for slug in answers.panel_slugs]
    return _step_page("check", form, panels=[p for p in panels if p], needs_parent=signup.needs_parent(answers.age()))


@bp.route("/join/sent", methods=["GET", "POST"])
@public
@limiter.limit("10 per 10 minutes", exempt_when=lambda: request.method != "POST")
def join_sent():
    sent = session.get(SIGN_UP_SENT_KEY)
    if not sent:
        return redirect(url_for("panels.join_start"))
    form = CodeForm()
    if sent["channel"] == "sms" and form.validate_on_submit():
        try:
            if sent["member_id"] is None:  # nothing was created: no code can be right
                raise signup.SignUpError("The code is not right. Check the text message and try again.")
            member = signup.confirm_by_code(sent["member_id"], form.code.data)
        except signup.SignUpError as error:
            form.code.errors.append(str(error))
        else:
            return _welcome(member)
    return render_template("panels/join/sent.html", sent=sent, form=form)


@bp.route("/join/resend-code", methods=["POST"])
@public
@limiter.limit("3 per 10 minutes")
def join_resend_code():
    sent = session.get(SIGN_UP_SENT_KEY) or abort(400)
    form = ContinueForm()
    if form.validate_on_submit() and sent["member_id"] is not None:
        try:
            signup.resend_code(sent["member_id"])
        except signup.SignUpError as error:
            flash(str(error), "error")
            return redirect(url_for("panels.join_sent"))
    flash("We have sent a new code", "success")
    return redirect(url_for("panels.join_sent"))


@bp.route("/join/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_sign_up_link(token):
    if signup.find_confirmation_link(token) is None:
        return render_template("panels/join/link_not_usable.html"), 400
    form = ContinueForm()
    if form.validate_on_submit():
        try:
            member = signup.confirm_by_link(token)
        except signup.SignUpError:
            return render_template("panels/join/link_not_usable.html"), 400
        return _welcome(member)
    return render_template("panels/join/confirm.html", form=form)


def _welcome(member):
    session.pop(SIGN_UP_SENT_KEY, None)
    user = get_user(member.user_id)
    if user is not None and not user.is_staff:
        session.clear()
        login_user(user)
    session["welcome_name"] = member.first_name
    return redirect(url_for("panels.join_done"))


@bp.route("/join/done")
@public
def join_done():
    return render_template("panels/join/done.html", first_name=session.get("welcome_name"))


@bp.route("/parent/withdraw/<token>", methods=["GET", "POST"])
@public
def parent_withdrawal(token):
    found = signup.find_parent_withdrawal(token)
    if found is None:
        return render_template("panels/join/link_not_usable.html"), 400
    form = ContinueForm()
    if form.validate_on_submit():
        member = signup.withdraw_by_parent(token)
        return render_template("panels/parent_withdrawn.html", first_name=member.first_name)
    return render_template("panels/parent_withdraw.html", form=form, first_name=found.member.first_name)


# --- members: their own profile ----------------------------------------------------


def _my_member():
    return queries.find_member_for_user(current_user) or abort(404)


@bp.route("/my/profile")
@signed_in
def my_profile():
    member = queries.find_member_for_user(current_user)
    if member is None:
        return render_template("panels/my/no_profile.html")
    return render_template("panels/my/profile.html", member=member, age_band=queries.age_band_of(member),
                           pause_form=ContinueForm())


@bp.route("/my/details", methods=["GET", "POST"])
@signed_in
def my_details():
    member = _my_member()
    form = MyDetailsForm(obj=member)
    if request.method == "GET":
        form.mobile.data = format_mobile(member.mobile)
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data or None for name in (
            "first_name", "last_name", "mobile", "address", "postcode", "gender", "ethnic_group", "disability", "caring")}
        if changes["postcode"] != member.postcode:
            area = queries.ward_for_postcode(changes["postcode"])
            changes["ward"], changes["parish"] = (area.ward, area.parish) if area else (member.ward, member.parish)
        if not changes["mobile"]:
            changes["contact_by_sms"] = False
        try:
            if changes["mobile"] and changes["mobile"] != member.mobile:
                account_operations.confirm_identity(current_user, form.password.data)
            operations.update_member_profile(member, changes, current_user, channel=ConsentChannel.WEB)
        except account_operations.AccountError as error:
            (form.password if current_user.password_hash else form.mobile).errors.append(str(error))
        except operations.PanelError as error:
            form.mobile.errors.append(str(error))
        else:
            flash("Your details have been saved", "success")
            return redirect(url_for("panels.my_profile"))
    return render_template("panels/my/details.html", form=form, asks_password=bool(current_user.password_hash))


@bp.route("/my/preferences", methods=["GET", "POST"])
@signed_in
def my_preferences():
    member = _my_member()
    form = ContactPreferencesForm(data={"channels": _channels_of(member), "address": member.address},
                                  has_email=bool(member.email), has_mobile=bool(member.mobile))
    form.channels.validators = []  # choosing none is how a member stops all contact
    if form.validate_on_submit():
        channels = set(form.channels.data or [])
        operations.update_member_profile(member, {
            "contact_by_email": "email" in channels, "contact_by_sms": "sms" in channels,
            "contact_by_post": "post" in channels, "address": form.address.data or member.address,
        }, current_user, channel=ConsentChannel.WEB)
        flash("Your contact preferences have been saved", "success")
        return redirect(url_for("panels.my_profile"))
    return render_template("panels/my/preferences.html", form=form)


@bp.route("/my/stay", methods=["POST"])
@signed_in
def my_stay():
    member = _my_member()
    if ContinueForm().validate_on_submit() and member.inactivity_warned_at is not None:
        operations.stay_on_the_panel(member, current_user)
        flash("Thank you: you are staying on the panel", "success")
    return redirect(url_for("panels.my_profile"))


@bp.route("/my/pause", methods=["POST"])
@signed_in
def my_pause():
    member = _my_member()
    form = ContinueForm()
    if form.validate_on_submit():
        paused = member.status == MemberStatus.ACTIVE
        operations.set_member_status(member, MemberStatus.PAUSED if paused else MemberStatus.ACTIVE, current_user)
        flash("We have paused your membership: we will not invite you until you resume it" if paused
              else "Welcome back: your membership is active again", "success")
    return redirect(url_for("panels.my_profile"))


@bp.route("/my/leave", methods=["GET", "POST"])
@signed_in
def my_leave():
    member = _my_member()
    form = ContinueForm()
    if form.validate_on_submit():
        slug = request.form.get("panel", "")
        if slug == "all":
            operations.set_member_status(member, MemberStatus.LEFT, current_user)
            flash("You have left all panels. We will not contact you again.", "success")
        else:
            panel = queries.get_panel_by_slug(slug)
            if panel is None or panel not in member.panels:
                abort(400)
            operations.leave_panel(member, panel, current_user)
            flash(f"You have left {panel.name}", "success")
        return redirect(url_for("panels.my_profile"))
    return render_template("panels/my/leave.html", member=member, form=form)
