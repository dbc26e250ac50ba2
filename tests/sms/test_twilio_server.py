"""The Twilio-compatible test server: its list of messages, its connections, and the webhooks it posts."""

import base64
import http.client
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from sms import TwilioGateway, signature_is_valid
from sms.statuses import DeliveryState
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, MESSAGING_SERVICE_SID
from tests.sms.twilio_server import OUR_NUMBER

MEMBER = "+447700900123"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
AUTHORIZATION = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def list_messages(server, path: str = MESSAGES, **filters) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=5)
    try:
        connection.request("GET", f"{path}?{urlencode(filters)}" if filters else path,
                           headers={"Authorization": AUTHORIZATION})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def sids(page: dict) -> list[str]:
    return [message["sid"] for message in page["messages"]]


def test_list_answers_twilios_page_shape_newest_first(twilio_gateway, twilio_server):
    first = twilio_gateway.send(MEMBER, "One", reference="1").provider_id
    second = twilio_gateway.send(MEMBER, "Two", reference="2").provider_id

    status, page = list_messages(twilio_server)

    assert status == 200
    assert sids(page) == [second, first]
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 50, 0, 1)
    assert (page["next_page_uri"], page["previous_page_uri"]) == (None, None)
    assert page["uri"] == page["first_page_uri"] == f"{MESSAGES}?PageSize=50&Page=0"
    assert page["messages"][0]["date_sent"] == page["messages"][0]["date_created"]


def test_list_filters_by_recipient(twilio_gateway, twilio_server):
    mine = twilio_gateway.send(MEMBER, "Hello", reference="1").provider_id
    twilio_gateway.send("+447700900999", "Hello", reference="2")

    assert sids(list_messages(twilio_server, To=MEMBER)[1]) == [mine]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"DateSent": "2025-03-02"}, ["2 March"]),
        ({"DateSent>": "2025-03-02"}, ["3 March", "2 March"]),
        ({"DateSent<": "2025-03-02"}, ["2 March", "1 March"]),
        ({"DateSent>": "2025-03-02", "DateSent<": "2025-03-02"}, ["2 March"]),
        ({"DateSent>": "2025-03-02T18:00:00Z"}, ["3 March", "2 March"]),  # the library's datetimes count as days
    ],
)
def test_list_filters_by_the_day_sent(twilio_gateway, twilio_server, filters, expected):
    for day in (1, 2, 3):
        sid = twilio_gateway.send(MEMBER, f"{day} March", reference=str(day)).provider_id
        twilio_server.set_created(sid, datetime(2025, 3, day, 23, 59, tzinfo=UTC))

    _, page = list_messages(twilio_server, **filters)

    assert [message["body"] for message in page["messages"]] == expected


def test_list_pages_follow_next_page_uri(twilio_gateway, twilio_server):
    sent = [twilio_gateway.send(MEMBER, f"Message {n}", reference=str(n)).provider_id for n in range(5)]

    pages = [list_messages(twilio_server, To=MEMBER, PageSize=2)[1]]
    while pages[-1]["next_page_uri"]:
        pages.append(list_messages(twilio_server, pages[-1]["next_page_uri"])[1])

    assert [sids(page) for page in pages] == [sent[4:2:-1], sent[2:0:-1], sent[:1]]
    assert [(page["start"], page["end"]) for page in pages] == [(0, 1), (2, 3), (4, 4)]
    assert dict(parse_qsl(urlsplit(pages[0]["next_page_uri"]).query))["To"] == MEMBER


def test_list_refuses_a_page_size_twilio_would_refuse(twilio_server):
    status, error = list_messages(twilio_server, PageSize=1001)

    assert (status, error["code"]) == (400, 20001)


def test_fail_next_list_answers_one_list_with_an_error(twilio_server):
    twilio_server.fail_next_list(503, 20503, "Service Unavailable")

    first, error = list_messages(twilio_server)
    second, _ = list_messages(twilio_server)

    assert (first, error["code"], error["message"]) == (503, 20503, "Service Unavailable")
    assert second == 200


def test_list_without_credentials_is_refused(twilio_server):
    connection = http.client.HTTPConnection(urlsplit(twilio_server.url).netloc, timeout=5)
    connection.request("GET", MESSAGES)

    assert connection.getresponse().status == 401
    connection.close()


def test_connection_stays_open_across_answers_including_errors(twilio_server):
    connection = http.client.HTTPConnection(urlsplit(twilio_server.url).netloc, timeout=5)
    connection.connect()
    opened = connection.sock
    statuses = []
    for path in (MESSAGES, "/nowhere", f"{MESSAGES[:-5]}/SM{'0' * 32}.json", MESSAGES):
        connection.request("GET", path, headers={"Authorization": AUTHORIZATION})
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)

    assert statuses == [200, 404, 404, 200]
    assert connection.sock is opened  # http.client reconnects, with a new socket, after a server closes
    connection.close()


def test_dropped_creation_closes_the_connection(twilio_server):
    connection = http.client.HTTPConnection(urlsplit(twilio_server.url).netloc, timeout=5)
    twilio_server.drop_next()

    connection.request("POST", MESSAGES, body=urlencode({"To": MEMBER, "Body": "Hi", "From": OUR_NUMBER}),
                       headers={"Authorization": AUTHORIZATION, "Content-Type": "application/x-www-form-urlencoded"})

    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    connection.close()


class Webhooks:
    """A stand-in app that records each webhook post and answers with `status` and `body`."""

    def __init__(self):
        self.posts: list[dict] = []
        self.status, self.body, self.headers = 204, b"", {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def _handler(self):
        webhooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode(), keep_blank_values=True))
                webhooks.posts.append({"path": self.path, "form": form, "headers": self.headers})
                self.send_response(webhooks.status)
                for name, value in webhooks.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(webhooks.body)))
                self.end_headers()
                self.wfile.write(webhooks.body)

            def log_message(self, format, *args):
                pass

        return Handler


@pytest.fixture
def webhooks():
    app = Webhooks()
    app._thread.start()
    yield app
    app._httpd.shutdown()
    app._httpd.server_close()
    app._thread.join()


def signed_by_the_server(webhooks, post, token=AUTH_TOKEN) -> bool:
    return signature_is_valid(token, webhooks.url + post["path"], post["form"], post["headers"]["X-Twilio-Signature"])


def test_post_status_sends_a_signed_callback_to_the_messages_status_callback(twilio_gateway, twilio_server, webhooks):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="outbox-42", status_callback=webhooks.url + "/sms/status")

    answered = twilio_server.post_status(sent.provider_id, "delivered")

    [post] = webhooks.posts
    assert answered == 204
    assert post["path"] == "/sms/status?reference=outbox-42"
    assert post["form"] == {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": sent.provider_id,
        "MessageStatus": "delivered",
        "MessagingServiceSid": MESSAGING_SERVICE_SID,
        "SmsSid": sent.provider_id,
        "SmsStatus": "delivered",
        "To": MEMBER,
    }
    assert signed_by_the_server(webhooks, post)
    assert not signed_by_the_server(webhooks, post, token="someone else's")


def test_post_status_carries_the_error_code_and_the_sending_number(twilio_server, webhooks):
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number=OUR_NUMBER, api_url=twilio_server.url)
    sent = gateway.send(MEMBER, "Hello", reference="7", status_callback=webhooks.url + "/sms/status")

    twilio_server.post_status(sent.provider_id, "undelivered", error_code=30003)

    [post] = webhooks.posts
    assert (post["form"]["From"], post["form"]["ErrorCode"]) == (OUR_NUMBER, "30003")
    assert "MessagingServiceSid" not in post["form"]
    assert signed_by_the_server(webhooks, post)


def test_post_status_changes_what_fetching_the_message_reports(twilio_gateway, twilio_server, webhooks):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1", status_callback=webhooks.url + "/sms/status")

    twilio_server.post_status(sent.provider_id, "failed", error_code=30007)

    fetched = twilio_gateway.fetch(sent.provider_id)
    assert (fetched.state, fetched.error_code) == (DeliveryState.FAILED, 30007)


def test_post_status_to_a_given_url_signs_that_url(twilio_gateway, twilio_server, webhooks):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")
    webhooks.status = 403

    answered = twilio_server.post_status(sent.provider_id, "sent", url=webhooks.url + "/elsewhere?reference=9")

    [post] = webhooks.posts
    assert (answered, post["path"]) == (403, "/elsewhere?reference=9")
    assert signed_by_the_server(webhooks, post)


def test_post_status_for_a_message_without_a_status_callback_needs_a_url(twilio_gateway, twilio_server):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")

    with pytest.raises(ValueError, match="without a StatusCallback"):
        twilio_server.post_status(sent.provider_id, "sent")


def test_post_inbound_sends_a_signed_incoming_sms_and_returns_the_apps_answer(twilio_server, webhooks):
    webhooks.status, webhooks.body = 200, b"<Response></Response>"

    answer = twilio_server.post_inbound(webhooks.url + "/sms/inbound", MEMBER, "STOP")

    [post] = webhooks.posts
    assert answer == (200, "<Response></Response>")
    form = post["form"]
    assert (form["From"], form["To"], form["Body"], form["AccountSid"]) == (MEMBER, OUR_NUMBER, "STOP", ACCOUNT_SID)
    assert (form["NumMedia"], form["NumSegments"]) == ("0", "1")
    assert form["MessageSid"].startswith("SM") and len(form["MessageSid"]) == 34
    assert not any(name.startswith("Media") for name in form)
    assert signed_by_the_server(webhooks, post)


def test_post_inbound_with_media_and_extra_fields(twilio_server, webhooks):
    twilio_server.post_inbound(webhooks.url + "/sms/inbound", MEMBER, "", to="+447700900555", num_media=1,
                               extra={"FromCountry": "GB", "NumSegments": "2"})

    [post] = webhooks.posts
    form = post["form"]
    assert (form["To"], form["NumMedia"], form["MediaContentType0"]) == ("+447700900555", "1", "image/jpeg")
    assert form["MediaUrl0"].startswith(twilio_server.url)
    assert (form["FromCountry"], form["NumSegments"]) == ("GB", "2")
    assert signed_by_the_server(webhooks, post)


def test_post_inbound_reports_a_redirect_instead_of_following_it(twilio_server, webhooks):
    webhooks.status, webhooks.headers = 302, {"Location": "/login"}

    status, _ = twilio_server.post_inbound(webhooks.url + "/sms/inbound", MEMBER, "Hello")

    assert status == 302
    assert len(webhooks.posts) == 1
