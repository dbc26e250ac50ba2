from sms.signatures import sign, signature_is_valid

TOKEN = "12345"
URL = "https://council.example/sms/status?reference=42"
PARAMS = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}


def test_request_signed_with_our_token_is_valid():
    assert signature_is_valid(TOKEN, URL, PARAMS, sign(TOKEN, URL, PARAMS))


def test_signature_from_another_token_is_invalid():
    assert not signature_is_valid(TOKEN, URL, PARAMS, sign("someone else's", URL, PARAMS))


def test_tampered_parameters_are_invalid():
    signature = sign(TOKEN, URL, PARAMS)

    assert not signature_is_valid(TOKEN, URL, {**PARAMS, "MessageStatus": "failed"}, signature)


def test_query_string_is_part_of_what_is_signed():
    signature = sign(TOKEN, URL, PARAMS)

    assert not signature_is_valid(TOKEN, URL.replace("42", "43"), PARAMS, signature)


def test_missing_or_empty_signature_is_invalid_without_raising():
    assert not signature_is_valid(TOKEN, URL, PARAMS, None)
    assert not signature_is_valid(TOKEN, URL, PARAMS, "")


def test_missing_token_is_invalid_without_raising():
    assert not signature_is_valid(None, URL, PARAMS, sign(TOKEN, URL, PARAMS))
    assert not signature_is_valid("", URL, PARAMS, sign(TOKEN, URL, PARAMS))


def test_signature_matches_twilios_published_example():
    # The worked example in Twilio's webhook security documentation.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}

    assert sign(TOKEN, url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
