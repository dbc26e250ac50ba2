"""The officer inbox of incoming texts, and the link that finishes a sign-up begun by text."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import Role
from epanel.messaging import inbound
from epanel.messaging.conversations import find_text_sign_up
from epanel.messaging.inbox_forms import MAX_REPLY_LENGTH, HandledForm, ReplyForm
from epanel.messaging.models import InboundKind
from epanel.messaging.outbox import is_opted_out
from epanel.panels.views import SIGN_UP_KEY

bp = Blueprint("messaging_inbox", __name__)

OFFICERS = (Role.OFFICER, Role.ADMIN)


def _inbound_or_404(inbound_id: int):
    return inbound.get_inbound(inbound_id) or abort(404)


@bp.route("/officer/texts")
@roles_required(*OFFICERS)
def list_texts():
    handled = request.args.get("show") == "handled"
    kind = request.args.get("kind") or None
    if kind is not None and kind not in InboundKind.__members__.values():
        abort(404)
    page = inbound.find_inbox(handled=handled, kind=InboundKind(kind) if kind else None,
                              page=request.args.get("page", 1, type=int))
    return render_template("messaging/inbox/list.html", page=page, handled=handled, kind=kind,
                           counts=inbound.count_inbox_by_kind(handled=handled), kinds=list(InboundKind))


@bp.route("/officer/texts/<int:inbound_id>")
@roles_required(*OFFICERS)
def show_text(inbound_id):
    message = _inbound_or_404(inbound_id)
    inbound.record_inbound_view(message, current_user)
    return _show(message, ReplyForm())


def _show(message, form, status=200):
    return render_template(
        "messaging/inbox/show.html", message=message, form=form, handled_form=HandledForm(),
        opted_out=is_opted_out(message.from_number), history=inbound.texts_with_number(message.from_number),
        max_length=MAX_REPLY_LENGTH,
    ), status


@bp.route("/officer/texts/<int:inbound_id>/reply", methods=["POST"])
@roles_required(*OFFICERS)
def reply(inbound_id):
    message = _inbound_or_404(inbound_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            inbound.reply_to_text(message, form.body.data, current_user)
        except inbound.InboxError as error:
            form.body.errors.append(str(error))
        else:
            flash("Your reply is on its way", "success")
            return redirect(url_for("messaging_inbox.list_texts"))
    return _show(message, form, 400)


@bp.route("/officer/texts/<int:inbound_id>/handled", methods=["POST"])
@roles_required(*OFFICERS)
def mark_handled(inbound_id):
    message = _inbound_or_404(inbound_id)
    if HandledForm().validate_on_submit():
        inbound.mark_handled(message, current_user)
        flash("Marked as dealt with", "success")
    return redirect(url_for("messaging_inbox.list_texts"))


@bp.route("/join/text/<token>")
@public
def finish_text_sign_up(token):
    """The link texted at the end of joining by text: the answers given by text fill in the web sign-up."""
    answers = find_text_sign_up(token)
    if answers is None:
        return render_template("panels/join/link_not_usable.html"), 400
    session[SIGN_UP_KEY] = answers.to_session()
    if not answers.date_of_birth:
        return redirect(url_for("panels.join_date_of_birth"))
    return redirect(url_for("panels.join_contact"))
