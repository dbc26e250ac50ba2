"""Sending e-mail: a console backend for development and an SMTP backend.

Nothing calls a mailer directly: messages go through the outbox (epanel.messaging.outbox),
whose worker opens one connection per batch. The console backend prints each message and
keeps the latest ones so the demo can show them at /dev/mail. Choose with EPANEL_MAIL_BACKEND.
"""

import logging
import smtplib
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from epanel.common.time import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    sent_at: datetime = field(default_factory=utcnow)


class ConsoleMailer:
    """Prints messages and keeps the most recent for the development mail page."""

    def __init__(self, keep: int = 50):
        self.sent: deque[Mail] = deque(maxlen=keep)

    @contextmanager
    def connection(self):
        yield self

    def send(self, message: EmailMessage) -> None:
        mail = Mail(to=message["To"], subject=message["Subject"], body=message.get_content())
        self.sent.appendleft(mail)
        print(f"\n--- e-mail to {mail.to}: {mail.subject} ---\n{mail.body}\n--- end ---", flush=True)

    def reset(self) -> None:
        pass


class SmtpMailer:
    """Sends through an SMTP server with the standard library."""

    def __init__(self, host, port, *, username=None, password=None, starttls=False, timeout=10):
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    @contextmanager
    def connection(self):
        """One SMTP session for a batch, opened on the first message and again after a failure."""
        connection = _SmtpConnection(self)
        try:
            yield connection
        finally:
            connection.reset()

    def open(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls()
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp


class _SmtpConnection:
    def __init__(self, mailer: SmtpMailer):
        self._mailer = mailer
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._mailer.open()
        self._smtp.send_message(message)

    def reset(self) -> None:
        """Drop the session (after an error, or at the end of the batch)."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


MAILERS = {
    "console": lambda config: ConsoleMailer(),
    "smtp": lambda config: SmtpMailer(
        config["SMTP_HOST"],
        config["SMTP_PORT"],
        username=config["SMTP_USERNAME"],
        password=config["SMTP_PASSWORD"],
        starttls=config["SMTP_STARTTLS"],
        timeout=config["SMTP_TIMEOUT"],
    ),
}


def init_mail(app) -> None:
    backend = app.config["MAIL_BACKEND"]
    try:
        app.extensions["epanel_mailer"] = MAILERS[backend](app.config)
    except KeyError:
        raise RuntimeError(
            f"EPANEL_MAIL_BACKEND={backend!r} is not one of {', '.join(sorted(MAILERS))}"
        ) from None


def mailer():
    return current_app.extensions["epanel_mailer"]


def send_templated_mail(to: str, template: str, *, member_id: int | None = None, **context) -> None:
    """Render templates/mail/<template>.txt (first line is the subject) into the outbox, and commit.

    The commit takes whatever the caller has pending with it: the e-mail and the change
    that caused it are saved together, and it goes out once they are.
    """
    from epanel.extensions import db
    from epanel.messaging.outbox import queue_templated_email

    queue_templated_email(to, template, purpose=template, member_id=member_id, **context)
    db.session.commit()
    log.info("mail %s queued for a user address", template)
