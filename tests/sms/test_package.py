import subprocess
import sys

import pytest

import sms
from sms import ConsoleGateway, FakeGateway, SmsGateway, TwilioGateway, make_gateway


@pytest.mark.parametrize(("backend", "kind"), [("console", ConsoleGateway), ("fake", FakeGateway)])
def test_make_gateway_builds_the_named_backend(backend, kind):
    gateway = make_gateway(backend)

    assert type(gateway) is kind
    assert isinstance(gateway, SmsGateway)


def test_make_gateway_passes_settings_to_the_twilio_backend():
    gateway = make_gateway(
        "twilio", account_sid="AC" + "0" * 32, auth_token="token", from_number="+447700900001", timeout=3,
    )

    assert isinstance(gateway, TwilioGateway)
    assert isinstance(gateway, SmsGateway)


def test_make_gateway_names_the_valid_backends_for_an_unknown_one():
    expected = "unknown SMS backend 'carrier-pigeon'; choose one of: console, fake, twilio"

    with pytest.raises(ValueError, match=expected):
        make_gateway("carrier-pigeon")


def test_every_exported_name_exists():
    assert [name for name in sms.__all__ if not hasattr(sms, name)] == []


def test_sms_package_imports_neither_flask_nor_epanel():
    # A fresh interpreter: this one has Flask loaded already by the app fixtures.
    check = "import sms, sys; print(sorted(m for m in ('flask', 'epanel') if m in sys.modules))"

    completed = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)

    assert completed.stdout.strip() == "[]"
