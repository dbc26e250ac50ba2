"""Twilio's webhooks: delivery reports at /sms/status and incoming texts at /sms/inbound.

Both check X-Twilio-Signature against EPANEL_PUBLIC_URL + the path (+ the query string when
there is one): behind a proxy, the address Twilio posted to is the public one, not ours. A
missing or wrong signature is a 403 and changes nothing.
"""

import logging
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request

import sms
from epanel.accounts.access import public
from epanel.extensions import csrf, limiter
from epanel.messaging import inbound
from epanel.messaging.outbox import apply_status_report

log = logging.getLogger(__name__)

bp = Blueprint("sms_webhooks", __name__)
# Every call comes from Twilio's few addresses and is refused unless signed, so a limit keyed on
# the caller's address would only throttle Twilio itself in a campaign's burst of replies.
limiter.exempt(bp)


def signed_url() -> str:
    """The address Twilio signed: our public address, this path, and the query string if any."""
    url = current_app.config["PUBLIC_URL"].rstrip("/") + request.path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


def twilio_signed(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if not sms.signature_is_valid(current_app.config["TWILIO_AUTH_TOKEN"], signed_url(),
                                      request.form.to_dict(), request.headers.get("X-Twilio-Signature")):
            log.warning("refused an unsigned or wrongly signed request to %s", request.path)
            abort(403)
        return view(*args, **kwargs)
    return checked


@bp.route("/sms/status", methods=["POST"])
@public
@csrf.exempt
@twilio_signed
def status_callback():
    try:
        report = sms.parse_status_report(request.form)
    except sms.PayloadError as error:
        log.warning("status callback not understood: %s", error)
        return Response(status=204)  # Twilio would only retry a form we can never read
    apply_status_report(request.args.get(sms.REFERENCE_PARAMETER), report)
    return Response(status=204)


@bp.route("/sms/inbound", methods=["POST"])
@public
@csrf.exempt
@twilio_signed
def inbound_message():
    try:
        message = sms.parse_inbound(request.form)
    except sms.PayloadError as error:
        log.warning("incoming text not understood: %s", error)
        return _twiml(None)
    return _twiml(inbound.receive(message))


def _twiml(reply: str | None) -> Response:
    return Response(sms.twiml_reply(reply), mimetype="application/xml")
