"""Embeds for partner sites: which origins may frame them, the cookie-free answering tokens, and the
public results card.

Partner sites (parish councils, schools, youth services) put a consultation or its results on
their own pages in an iframe. Browsers enforce who may frame a page through the embed page's
Content-Security-Policy `frame-ancestors`, which lists exactly the origins allowed here: the
consultation's own and the site-wide list.

Answering inside a third-party iframe cannot rely on our session cookie: it is SameSite=Lax
(and browsers increasingly block third-party cookies whatever it says), so it is not sent in a
frame on another site. The embed answering flow therefore uses no cookie at all. The respondent's
place is a signed token in the URL (it names the consultation and a random submission id, like a
private link), and each form carries a signed token bound to that submission id in place of the
session-bound CSRF token. With no cookie there is no ambient credential for another site to ride
on, and a post without a token we signed for that very response is refused.
"""

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_results
from epanel.analysis.suppression import PublicShare, public_shares
from epanel.api.models import EmbedOrigin
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

MAX_ORIGINS = 50  # per consultation, and on the site-wide list
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ORIGIN_EXAMPLE = "https://www.example-parish.org.uk"


class EmbedError(ValueError):
    """An embed setting that cannot be saved; the message is for the officer."""


# --- allowed origins -------------------------------------------------------------------------


def normalise_origin(text: str) -> str:
    """The origin as browsers write it (https://host or https://host:port, lower case), or EmbedError
    saying what is wrong with it."""
    text = (text or "").strip()
    if not text:
        raise EmbedError("Enter the website's address, like " + ORIGIN_EXAMPLE)
    if len(text) > 260:
        raise EmbedError("The website's address must be 260 characters or fewer")
    if "*" in text:
        raise EmbedError("Enter one website's address: wildcards like * are not allowed")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise EmbedError("Enter the website's address in the correct format, like " + ORIGIN_EXAMPLE) from None
    if parts.scheme.lower() != "https":
        raise EmbedError("The website's address must start with https:// (only secure websites can show "
                         "consultations), like " + ORIGIN_EXAMPLE)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise EmbedError("Enter the website's address without a user name or password, like " + ORIGIN_EXAMPLE)
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise EmbedError("Enter only the website's address, without a page: for example " + ORIGIN_EXAMPLE
                         + " rather than " + ORIGIN_EXAMPLE + "/news")
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower() if host else ""
    except UnicodeError:
        host = ""
    labels = host.split(".") if host else []
    if not labels or not all(_LABEL.match(label) for label in labels) or len(host) > 253:
        raise EmbedError("Enter the website's address in the correct format, like " + ORIGIN_EXAMPLE)
    if port == 0:
        raise EmbedError("The port number must be between 1 and 65535")
    return f"https://{host}" + (f":{port}" if port not in (None, 443) else "")


def list_embed_origins(consultation: Consultation | None) -> list[EmbedOrigin]:
    """The origins listed for this consultation, or the site-wide list for None."""
    where = (EmbedOrigin.consultation_id == consultation.id if consultation is not None
             else EmbedOrigin.consultation_id.is_(None))
    return list(db.session.scalars(db.select(EmbedOrigin).where(where).order_by(EmbedOrigin.origin)))


def get_embed_origin(origin_id: int) -> EmbedOrigin | None:
    return db.session.get(EmbedOrigin, origin_id)


def allowed_origins(consultation: Consultation) -> list[str]:
    """Every origin that may frame this consultation's embeds: its own and the site-wide list."""
    rows = db.session.scalars(db.select(EmbedOrigin.origin).where(
        db.or_(EmbedOrigin.consultation_id == consultation.id, EmbedOrigin.consultation_id.is_(None))))
    return sorted(set(rows))


def add_embed_origin(consultation: Consultation | None, text: str, by) -> EmbedOrigin:
    """Allow an origin to frame this consultation's embeds (every consultation's, for None)."""
    origin = normalise_origin(text)
    listed = list_embed_origins(consultation)
    if any(row.origin == origin for row in listed):
        raise EmbedError(f"{origin} is already on the list")
    if len(listed) >= MAX_ORIGINS:
        raise EmbedError(f"The list can hold at most {MAX_ORIGINS} websites: remove one first")
    row = EmbedOrigin(consultation_id=consultation.id if consultation else None, origin=origin,
                      added_by_id=getattr(by, "id", None))
    db.session.add(row)
    record_audit_event(by, "embed_origin.added", *_audit_object(consultation), origin=origin)
    db.session.commit()
    log.info("embed origin %s allowed for %s by %s", origin, consultation.slug if consultation else "every consultation",
             getattr(by, "email", by))
    return row


def remove_embed_origin(row: EmbedOrigin, by) -> None:
    """Stop an origin framing embeds; pages it already shows stop working at their next load."""
    consultation = row.consultation
    record_audit_event(by, "embed_origin.removed", *_audit_object(consultation), origin=row.origin)
    db.session.delete(row)
    db.session.commit()
    log.info("embed origin %s removed from %s by %s", row.origin,
             consultation.slug if consultation else "every consultation", getattr(by, "email", by))


def _audit_object(consultation: Consultation | None) -> tuple[str, object]:
    return ("consultation", consultation.id) if consultation is not None else ("site", "embed_origins")


# --- answering without cookies ---------------------------------------------------------------


def can_answer_in_embed(consultation: Consultation) -> bool:
    """Anyone may answer it, without signing in: the only kind of consultation an embed can take answers for."""
    return consultation.for_public and not consultation.public_needs_sign_in


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"epanel-embed-{purpose}")


def response_token(consultation: Consultation, submission_id: str) -> str:
    """The token in an embed answering URL: which consultation, and which (random) submission."""
    return _serializer("response").dumps([consultation.id, submission_id])


def read_response_token(token: str) -> tuple[int, str] | None:
    """(consultation id, submission id) from a token this site signed, or None."""
    if not token or len(token) > 300:
        return None
    try:
        consultation_id, submission_id = _serializer("response").loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(consultation_id, int) or not isinstance(submission_id, str):
        return None
    return consultation_id, submission_id


def form_token(submission_id: str) -> str:
    """Stands in for the CSRF token on embed forms: proof the post comes from a form we served for this response."""
    return _serializer("form").dumps(submission_id)


def form_token_is_good(token: str | None, submission_id: str) -> bool:
    try:
        return bool(token) and _serializer("form").loads(token) == submission_id
    except BadSignature:
        return False


# --- the results card ------------------------------------------------------------------------


@dataclass(frozen=True)
class CardRow:
    """One question, or one row of a grid, on the public results card."""

    title: str
    base: int
    shares: list[PublicShare]

    @property
    def suppressed(self) -> bool:
        return any(share.suppressed for share in self.shares)


def results_card(consultation: Consultation) -> list[CardRow] | None:
    """Published results for the public, with every figure on fewer than MIN_PUBLIC_BASE respondents
    withheld; None until results are published. Written answers are never shown."""
    if consultation.status != ConsultationStatus.PUBLISHED:
        return None
    rows = []
    for result in get_results(consultation, ResponseFilter()).questions:
        title = f"{result.number}. {result.question.text}"
        if result.lines:
            rows.append(CardRow(title, int(round(result.answered)), public_shares(result.lines, result.answered)))
        for _code, label, base, lines in result.grid:
            rows.append(CardRow(f"{title}: {label}", int(round(base)), public_shares(lines, base)))
    return rows

