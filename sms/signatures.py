"""Twilio's X-Twilio-Signature: checking webhooks, and signing them in tests."""

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def signature_is_valid(auth_token: str | None, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    """True only when `signature` is Twilio's signature of `url` and `params`.

    `url` must be the address Twilio requested, query string included (a status
    callback carries our reference there, and Twilio signs it). A missing token
    or signature gives False, never an exception, so a webhook can answer 403.
    """
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send when posting `params` to `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)
