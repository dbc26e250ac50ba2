"""A local Twilio-compatible server, and a TwilioGateway pointed at it."""

import pytest

from sms import TwilioGateway
from tests.sms.twilio_server import TwilioServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
MESSAGING_SERVICE_SID = "MG" + "fedcba9876543210" * 2


@pytest.fixture
def twilio_server():
    server = TwilioServer(ACCOUNT_SID, AUTH_TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def twilio_gateway(twilio_server):
    return TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        messaging_service_sid=MESSAGING_SERVICE_SID,
        api_url=twilio_server.url,
        timeout=2,
    )
