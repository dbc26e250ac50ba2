"""A small Twilio-compatible Messages API on 127.0.0.1, for driving the real `twilio` library.

It answers the three calls our gateway makes (create a message, fetch one, list
them) with Twilio's shapes: the Message resource as JSON, a list page as
`{"messages": [...], "next_page_uri", ...}`, and errors as
`{"code", "message", "more_info", "status"}`. Tests read `requests` to see what
arrived and script what comes next: a creation can answer an error
(fail_next), lose its connection (drop_next) or hang (stall_next); a list can
answer an error (fail_next_list). fail_for() scripts an outage: every creation
answers an error until a time passes.

It also plays Twilio's side of the webhooks: post_status() and post_inbound()
post forms signed with the server's auth token to an app under test.

Connections are kept alive (HTTP/1.1), so the library's requests Session reuses
one connection, and the dispatch benchmark measures our code, not this server.
"""

import base64
import json
import re
import secrets
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from sms.segments import count_segments
from sms.signatures import sign

API = "/2010-04-01/Accounts"
API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# The number post_inbound() says a member texted unless told otherwise.
OUR_NUMBER = "+447700900001"
LIST_FILTERS = ("To", "From", "DateSent", "DateSent>", "DateSent<")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with its query string
    form: dict[str, str]  # the posted form; empty for a GET
    headers: Message  # looked up without regard to case, like any HTTP headers

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (a list's filters)."""
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))


class TwilioServer:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict] = {}  # by SID, oldest first
        self._status_callbacks: dict[str, str | None] = {}
        self._scripted: deque = deque()
        self._scripted_lists: deque = deque()
        self._release_stalled = threading.Event()
        self._outage: tuple[float, int, int, str] | None = None  # (until, status, code, message): see fail_for()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll keeps shutdown(), and so each test's teardown, quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._release_stalled.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join()

    def fail_next(self, status: int, code: int, message: str = "Scripted failure") -> None:
        """Answer the next message creation with this Twilio error."""
        self._scripted.append(("error", status, code, message))

    def fail_for(self, seconds: float, status: int = 500, code: int = 20500,
                 message: str = "Internal Server Error") -> None:
        """An outage: answer every message creation with this Twilio error for `seconds` from now."""
        self._outage = (time.monotonic() + seconds, status, code, message)

    @property
    def in_outage(self) -> bool:
        """Whether fail_for()'s outage is still going on."""
        return self._outage is not None and time.monotonic() < self._outage[0]

    def drop_next(self) -> None:
        """Close the connection on the next message creation without answering."""
        self._scripted.append(("drop",))

    def stall_next(self) -> None:
        """Hold the next message creation unanswered until the server stops."""
        self._scripted.append(("stall",))

    def fail_next_list(self, status: int = 500, code: int = 20500, message: str = "Internal Server Error") -> None:
        """Answer the next list of messages with this Twilio error."""
        self._scripted_lists.append((status, code, message))

    def set_status(
        self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        """What fetching or listing message `sid` reports from now on."""
        self.messages[sid].update(status=status, error_code=error_code, error_message=error_message)

    def set_created(self, sid: str, moment: datetime) -> None:
        """Make message `sid` look created and sent at `moment` (timezone-aware), to test the time filters."""
        stamp = format_datetime(moment.astimezone(UTC), usegmt=True)
        self.messages[sid].update(date_created=stamp, date_sent=stamp, date_updated=stamp)

    def created(self) -> list[RecordedRequest]:
        """The message creation requests received, in order."""
        return [request for request in self.requests if request.method == "POST"]

    def post_status(self, sid: str, status: str, *, error_code: int | None = None, url: str | None = None) -> int:
        """Post Twilio's signed status callback for message `sid`; the HTTP status the app answered with.

        It goes to the StatusCallback the message was created with, or `url`.
        Fetching and listing the message report `status` from then on, as at Twilio.
        """
        message = self.messages[sid]
        url = url or self._status_callbacks.get(sid)
        if not url:
            raise ValueError(f"message {sid} was created without a StatusCallback; pass url=")
        self.set_status(sid, status, error_code)
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message["to"],
        }
        if message["from"]:
            form["From"] = message["from"]
        if message["messaging_service_sid"]:
            form["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return self._post(url, form)[0]

    def post_inbound(
        self,
        url: str,
        from_: str,
        body: str,
        *,
        to: str = OUR_NUMBER,
        num_media: int = 0,
        extra: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """Post Twilio's signed webhook for an SMS from `from_` to `to`; the app's HTTP status and response body.

        `extra` adds or replaces form fields after the usual ones are set.
        """
        sid = "SM" + secrets.token_hex(16)
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": sid,
            "NumMedia": str(num_media),
            "NumSegments": str(max(count_segments(body).segments, 1)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }
        for index in range(num_media):
            form[f"MediaUrl{index}"] = f"{self.url}{API}/{self.account_sid}/Messages/{sid}/Media/ME{secrets.token_hex(16)}"
            form[f"MediaContentType{index}"] = "image/jpeg"
        form.update(extra or {})
        return self._post(url, form)

    def _post(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        """POST `form` to `url` as Twilio does, signed over exactly this URL and form."""
        request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
            "X-Twilio-Signature": sign(self.auth_token, url, form),
        })
        try:
            with _WEBHOOK_OPENER.open(request, timeout=10) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode("utf-8", "replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A webhook that redirects (to a login page, say) has failed: show the 3xx, don't follow it.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies: an http_proxy in the environment must not divert posts meant for a local app.
_WEBHOOK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


class _HTTPServer(ThreadingHTTPServer):
    """Keeps its open connections, so stopping can end kept-alive ones instead of leaving their threads waiting."""

    def __init__(self, *args):
        super().__init__(*args)
        self._connections: set[socket.socket] = set()

    def process_request_thread(self, request, client_address):
        self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.discard(request)

    def handle_error(self, request, client_address):
        # A client that went away mid-answer (a killed worker) is expected in the crash tests.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        for connection in list(self._connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the other end


def _handler_for(server: TwilioServer):
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive needs a Content-Length on every answer: _json() sets it.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this the body can wait
        # for the client's delayed ACK (up to 40 ms a request).
        disable_nagle_algorithm = True
        timeout = 60  # seconds an idle kept-alive connection stays open

        def do_POST(self):
            form = self._record()
            account = self._account(r"/Messages\.json")
            if account is None:
                return
            outage = server._outage
            if outage is not None and time.monotonic() < outage[0]:
                return self._error(*outage[1:])
            try:
                script = server._scripted.popleft()
            except IndexError:
                script = None
            if script == ("drop",):
                self.close_connection = True
                return
            if script == ("stall",):
                server._release_stalled.wait(timeout=10)
                self.close_connection = True
                return
            if script:
                _, status, code, message = script
                return self._error(status, code, message)
            self._create(account, form)

        def do_GET(self):
            self._record()
            account = self._account(r"/Messages(?:/(?P<sid>SM\w+))?\.json")
            if account is None:
                return
            sid = self._match["sid"]
            if sid is None:
                return self._list(account)
            if sid not in server.messages:
                return self._error(404, 20404, f"The requested resource {self.path} was not found")
            self._json(200, server.messages[sid])

        def _record(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)) if length else {}
            server.requests.append(RecordedRequest(self.command, self.path, form, self.headers))
            return form

        def _account(self, resource: str) -> str | None:
            """The account SID in the path, after checking the route and the credentials."""
            self._match = re.fullmatch(API + r"/(?P<account>AC\w+)" + resource, urlsplit(self.path).path)
            if self._match is None:
                self._error(404, 20404, f"The requested resource {self.path} was not found")
                return None
            expected = base64.b64encode(f"{server.account_sid}:{server.auth_token}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._error(401, 20003, "Authenticate")
                return None
            if self._match["account"] != server.account_sid:
                self._error(404, 20404, f"The requested resource {self.path} was not found")
                return None
            return self._match["account"]

        def _create(self, account: str, form: dict[str, str]) -> None:
            to, body = form.get("To", ""), form.get("Body", "")
            service = form.get("MessagingServiceSid")
            if not E164.match(to):
                return self._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
            if not body:
                return self._error(400, 21602, "Message body is required.")
            if not (service or form.get("From")):
                return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
            sid = "SM" + secrets.token_hex(16)
            now = formatdate(usegmt=True)
            message = {
                "account_sid": account,
                "api_version": API_VERSION,
                "body": body,
                "date_created": now,
                # Twilio fills this in once the message leaves its queue; here
                # at once, so the list's DateSent filters have a date to test.
                "date_sent": now,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": service,
                "num_media": "0",
                "num_segments": str(count_segments(body).segments),
                "price": None,
                "price_unit": "GBP",
                "sid": sid,
                # A Messaging Service answers "accepted" until it picks a sender.
                "status": "accepted" if service else "queued",
                "subresource_uris": {"media": f"{API}/{account}/Messages/{sid}/Media.json"},
                "to": to,
                "uri": f"{API}/{account}/Messages/{sid}.json",
            }
            server._status_callbacks[sid] = form.get("StatusCallback")
            server.messages[sid] = message
            self._json(201, message)

        def _list(self, account: str) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            try:
                status, code, message = server._scripted_lists.popleft()
            except IndexError:
                pass  # nothing scripted: answer
            else:
                return self._error(status, code, message)
            try:
                on, after, before = (_day(query.get(name)) for name in ("DateSent", "DateSent>", "DateSent<"))
                page, page_size = int(query.get("Page", 0)), int(query.get("PageSize", DEFAULT_PAGE_SIZE))
            except ValueError:
                return self._error(400, 20001, "Invalid date or paging value")
            if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
                return self._error(400, 20001, f"PageSize must be between 1 and {MAX_PAGE_SIZE}")

            def listed(message: dict) -> bool:
                if query.get("To") not in (None, message["to"]) or query.get("From") not in (None, message["from"]):
                    return False
                if on is after is before is None:
                    return True
                if not message["date_sent"]:
                    return False  # not sent yet, so on no day
                sent = parsedate_to_datetime(message["date_sent"]).date()
                return (on in (None, sent)) and (after is None or sent >= after) and (before is None or sent <= before)

            # Newest first, as Twilio lists them. list() copies in one step, safe against concurrent creations.
            matches = [message for message in reversed(list(server.messages.values())) if listed(message)]
            start = page * page_size
            chunk = matches[start:start + page_size]
            filters = [(name, query[name]) for name in LIST_FILTERS if name in query]

            def page_uri(number: int, token: str | None = None) -> str:
                paging = [("PageSize", page_size), ("Page", number)] + ([("PageToken", token)] if token else [])
                return f"{API}/{account}/Messages.json?{urlencode(filters + paging)}"

            more = start + page_size < len(matches)
            self._json(200, {
                "messages": chunk,
                "end": start + max(len(chunk) - 1, 0),
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(page + 1, "PA" + chunk[-1]["sid"]) if more else None,
                "page": page,
                "page_size": page_size,
                "previous_page_uri": page_uri(page - 1) if page else None,
                "start": start,
                "uri": page_uri(page),
            })

        def _error(self, status: int, code: int, message: str) -> None:
            self._json(status, {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            })

        def _json(self, status: int, document: dict) -> None:
            content = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format, *args):
            pass  # keep test output quiet

    return Handler


def _day(value: str | None) -> date | None:
    """The day in a DateSent filter: Twilio documents YYYY-MM-DD; the library sends datetimes as YYYY-MM-DDTHH:MM:SSZ."""
    return None if value is None else date.fromisoformat(value[:10])
