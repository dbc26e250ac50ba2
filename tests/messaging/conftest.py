"""Shared fixtures for messaging: a local Twilio-compatible server and an app that texts through it."""


import pytest

from epanel.extensions import db
from tests.conftest import _empty_all_tables
from tests.sms.twilio_server import TwilioServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+447700900001"


@pytest.fixture
def twilio_server():
    server = TwilioServer(ACCOUNT_SID, AUTH_TOKEN)
    server.start()
    yield server
    server.stop()


def twilio_settings(server: TwilioServer, **overrides) -> dict:
    """App settings that send texts with the real twilio library to `server`."""
    return {
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_MESSAGING_SERVICE_SID": None,
        "TWILIO_API_URL": server.url,
        "OUTBOX_SEND_CONCURRENCY": 4,
        **overrides,
    }


@pytest.fixture
def twilio_app(make_app, twilio_server):
    """An app texting through the local Twilio server; the outbox is driven by hand ("manual")."""
    app = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="manual"))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()



# --- incoming texts through the real, signed webhook ------------------------------------------

INBOUND_URL = "http://localhost/sms/inbound"  # the test config's PUBLIC_URL + the webhook's path
OUR_NUMBER = "+447700900999"


@pytest.fixture
def texting_app(make_app):
    """An app whose webhooks check signatures made with AUTH_TOKEN (the default test app has no token)."""
    app = make_app(TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()


def post_inbound(client, form: dict, *, token: str | None = AUTH_TOKEN):
    """POST a Twilio incoming-message form to /sms/inbound, signed with `token` (None: unsigned)."""
    import sms

    headers = {"X-Twilio-Signature": sms.sign(token, INBOUND_URL, form)} if token else {}
    return client.post("/sms/inbound", data=form, headers=headers)


def text_in(client, body: str, *, sender: str = "+447700900123", sid: str | None = None, media: int = 0) -> str | None:
    """Text `body` from `sender` through the signed webhook; returns the TwiML reply's text (None: no reply)."""
    import uuid
    from xml.etree import ElementTree

    form = {"MessageSid": sid or f"SM{uuid.uuid4().hex}", "AccountSid": ACCOUNT_SID, "From": sender,
            "To": OUR_NUMBER, "Body": body, "NumMedia": str(media)}
    response = post_inbound(client, form)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/xml"
    reply = ElementTree.fromstring(response.get_data()).find("Message")
    return None if reply is None else reply.text
