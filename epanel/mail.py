"""Sending e-mail: a console backend for development and an SMTP backend.

The console backend prints each message and keeps the latest ones so the demo
can show them at /dev/mail. Choose with EPANEL_MAIL_BACKEND.
"""

import logging
import smtplib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template

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

    def send(self, mail: Mail, sender: str) -> None:
        self.sent.appendleft(mail)
        print(f"\n--- e-mail to {mail.to}: {mail.subject} ---\n{mail.body}\n--- end ---", flush=True)


class SmtpMailer:
    """Sends through an SMTP server with the standard library."""

    def __init__(self, host, port, *, username=None, password=None, starttls=False, timeout=10):
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, mail: Mail, sender: str) -> None:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


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


def send_templated_mail(to: str, template: str, **context) -> None:
    """Render templates/mail/<template>.txt (first line is the subject) and send it."""
    text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    mail = Mail(to=to, subject=subject.strip(), body=body.lstrip("\n"))
    mailer().send(mail, current_app.config["MAIL_FROM"])
    log.info("mail %s sent to user address", template)
