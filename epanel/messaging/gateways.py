"""Building the app's SMS gateway from configuration."""

from sms import make_gateway

# Which settings each backend takes, from the app config.
GATEWAY_SETTINGS = {
    "console": lambda config: {},
    "fake": lambda config: {},
    "twilio": lambda config: {
        "account_sid": config["TWILIO_ACCOUNT_SID"],
        "auth_token": config["TWILIO_AUTH_TOKEN"],
        "messaging_service_sid": config["TWILIO_MESSAGING_SERVICE_SID"],
        "from_number": None if config["TWILIO_MESSAGING_SERVICE_SID"] else config["TWILIO_FROM_NUMBER"],
        "api_url": config["TWILIO_API_URL"],
        "timeout": config["SMS_SEND_TIMEOUT"],
    },
}


def init_sms_gateway(app) -> None:
    backend = app.config["SMS_BACKEND"]
    if backend not in GATEWAY_SETTINGS:
        raise RuntimeError(
            f"EPANEL_SMS_BACKEND={backend!r} is not one of {', '.join(sorted(GATEWAY_SETTINGS))}"
        )
    app.extensions["epanel_sms_gateway"] = make_gateway(backend, **GATEWAY_SETTINGS[backend](app.config))
