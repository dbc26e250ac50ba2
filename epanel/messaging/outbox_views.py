"""The officer outbox (what was sent, what failed, what needs a decision) and the development phone."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.consultations.invitations import format_when
from epanel.messaging import outbox, outbox_operations, queries
from epanel.messaging.models import MessageChannel, MessageState
from epanel.messaging.outbox_forms import (
    ConfirmForm,
    OutboxFilterForm,
    PhoneChooseForm,
    PhoneReplyForm,
    purpose_label,
)

bp = Blueprint("messaging_outbox", __name__)

OUTBOX_ROLES = (Role.OFFICER, Role.ADMIN)


def _message_or_404(message_id):
    return queries.get_message(message_id) or abort(404)


def _filters_from(args) -> queries.OutboxFilters:
    return queries.OutboxFilters(
        state=args.get("state", "").strip(), channel=args.get("channel", "").strip(),
        purpose=args.get("purpose", "").strip()[:30], recipient=args.get("recipient", "").strip()[:254],
    )


@bp.route("/officer/outbox")
@roles_required(*OUTBOX_ROLES)
def show_outbox():
    filters = _filters_from(request.args)
    form = OutboxFilterForm(request.args, meta={"csrf": False}).set_purposes(queries.list_purposes())
    after = request.args.get("after", type=int)
    return render_template(
        "messaging/outbox/outbox.html", form=form, filters=filters, after=after,
        counts=queries.count_messages(), page=queries.find_messages(filters, after_id=after),
        attention=queries.find_messages_needing_attention(),
        states=list(MessageState), channels=list(MessageChannel), when=format_when,
        mask=queries.mask_recipient, describe_error=queries.describe_error, purpose_label=purpose_label,
    )


def _back_to_outbox():
    return redirect(url_for(".show_outbox") + "#needs-attention")


@bp.route("/officer/outbox/<int:message_id>/resend", methods=["POST"])
@roles_required(*OUTBOX_ROLES)
def resend_message(message_id):
    message = _message_or_404(message_id)
    if ConfirmForm().validate_on_submit():
        try:
            copy = outbox_operations.resend_message(message, current_user)
        except outbox_operations.OutboxActionError as error:
            flash(str(error), "error")
        else:
            flash(f"Message {message_id} queued again as message {copy.id}", "success")
    return _back_to_outbox()


@bp.route("/officer/outbox/<int:message_id>/mark-sent", methods=["POST"])
@roles_required(*OUTBOX_ROLES)
def mark_message_sent(message_id):
    message = _message_or_404(message_id)
    if ConfirmForm().validate_on_submit():
        try:
            outbox_operations.mark_message_sent(message, current_user)
        except outbox_operations.OutboxActionError as error:
            flash(str(error), "error")
        else:
            flash(f"Message {message_id} marked as sent", "success")
    return _back_to_outbox()


# --- development only --------------------------------------------------------------------------


def _phone_page(choose: PhoneChooseForm, reply: PhoneReplyForm | None, number: str | None, status: int = 200):
    gateway = current_app.extensions["epanel_sms_gateway"]
    accepted = list(reversed(getattr(gateway, "sent", None) or [])) if number is None else []
    return render_template(
        "messaging/phone/phone.html", choose=choose, reply=reply, number=number,
        form=reply if reply is not None and reply.errors else choose,
        member=queries.find_member_by_mobile(number) if number else None,
        thread=queries.get_phone_thread(number, extra=outbox_operations.kept_thread_items(number)) if number else [],
        opted_out=outbox.is_opted_out(number) if number else False,
        keeps_texts=hasattr(gateway, "sent"), accepted=accepted, when=format_when,
    ), status


def _choose_form():
    return PhoneChooseForm(request.args, meta={"csrf": False}).set_members(queries.list_members_with_mobiles())


@bp.route("/dev/phone")
@roles_required(*OUTBOX_ROLES, development_only=True)
def phone_simulator():
    choose = _choose_form()
    chosen = choose.chosen_number()
    if not chosen:
        return _phone_page(choose, None, None)
    try:
        number = outbox.sms_number(chosen)
    except outbox.UnsendableNumber as error:
        choose.number.errors = [str(error)]
        return _phone_page(choose, None, None)
    if any(choice.value == number for choice in choose.member.choices):  # a member's number: show it chosen
        choose.member.data, choose.number.data = number, ""
    return _phone_page(choose, PhoneReplyForm(number=number), number)


@bp.route("/dev/phone", methods=["POST"])
@roles_required(*OUTBOX_ROLES, development_only=True)
def phone_send():
    reply = PhoneReplyForm()
    try:
        number = outbox.sms_number(reply.number.data or "")
    except outbox.UnsendableNumber:
        abort(400)  # the hidden field was tampered with: the page always fills it
    if not reply.validate_on_submit():
        return _phone_page(_choose_form(), reply, number)
    outbox_operations.receive_simulated_text(number, reply.body.data)
    return redirect(url_for(".phone_simulator", number=number) + "#latest")
