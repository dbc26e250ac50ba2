"""A small Twilio-compatible Messages API on 127.0.0.1, for driving the real `twilio` library.

It answers the two calls our gateway makes (create a message, fetch one) with
Twilio's shapes: the Message resource as JSON, and errors as
`{"code", "message", "more_info", "status"}`. Tests read `requests` to see what
arrived and script what comes next: an error, a dropped connection, a stall.
"""

import base64
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from sms.segments import count_segments

API = "/2010-04-01/Accounts"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


class TwilioServer:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict] = {}
        self._scripted: deque = deque()
        self._release_stalled = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
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
        self._httpd.server_close()
        self._thread.join()

    def fail_next(self, status: int, code: int, message: str = "Scripted failure") -> None:
        """Answer the next message creation with this Twilio error."""
        self._scripted.append(("error", status, code, message))

    def drop_next(self) -> None:
        """Close the connection on the next message creation without answering."""
        self._scripted.append(("drop",))

    def stall_next(self) -> None:
        """Hold the next message creation unanswered until the server stops."""
        self._scripted.append(("stall",))

    def set_status(
        self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        """What fetching message `sid` reports from now on."""
        self.messages[sid].update(status=status, error_code=error_code, error_message=error_message)

    def created(self) -> list[RecordedRequest]:
        """The message creation requests received, in order."""
        return [request for request in self.requests if request.method == "POST"]


def _handler_for(server: TwilioServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            form = self._record()
            account = self._account(r"/Messages\.json")
            if account is None:
                return
            try:
                script = server._scripted.popleft()
            except IndexError:
                script = None
            if script == ("drop",):
                self.close_connection = True
                return
            if script == ("stall",):
                server._release_stalled.wait(timeout=10)
                return
            if script:
                _, status, code, message = script
                return self._error(status, code, message)
            self._create(account, form)

        def do_GET(self):
            self._record()
            account = self._account(r"/Messages/(?P<sid>SM\w+)\.json")
            if account is None:
                return
            sid = self._match["sid"]
            if sid not in server.messages:
                return self._error(404, 20404, f"The requested resource {self.path} was not found")
            self._json(200, server.messages[sid])

        def _record(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            server.requests.append(RecordedRequest(self.command, self.path, form, dict(self.headers)))
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
            server.messages[sid] = {
                "account_sid": account,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": now,
                "date_sent": None,
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
            self._json(201, server.messages[sid])

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
