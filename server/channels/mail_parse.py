"""An inbound e-mail read with the standard library's ``email`` package (``policy.default``): who
sent it, what it says as safe plain text (HTML-only mail turned into text), its attachments, the
Message-IDs it answers, and whether it is an automatic message (an auto-reply or a bounce), which
never becomes a ticket."""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

import msgspec

_ID = re.compile(r"<([^<>\s]+)>")
_VALID_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")
_AUTO_PRECEDENCE = frozenset({"bulk", "auto_reply", "junk", "list"})
_DAEMONS = ("mailer-daemon@", "postmaster@")


class MailAttachment(msgspec.Struct, frozen=True):
    filename: str
    media_type: str
    content: bytes


class InboundMail(msgspec.Struct, frozen=True):
    message_id: str
    """Without the angle brackets; a hash of the raw message when it carries none."""
    sender_email: str
    """Empty when the message has no readable sender."""
    sender_name: str
    subject: str
    text: str
    received_at: str
    """ISO 8601 from the ``Date`` header (empty when absent or unreadable)."""
    answers: tuple[str, ...]
    """The Message-IDs of ``In-Reply-To`` and ``References``, nearest first."""
    automatic: str
    """Why it is an automatic message (auto-reply or bounce), or empty."""
    attachments: tuple[MailAttachment, ...] = msgspec.field(default=())


class _TextOfHtml(HTMLParser):
    """HTML → plain text: tags dropped, script and style dropped with their content, blocks on lines."""

    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body, as plain text (no markup survives)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ids(value: str | None) -> list[str]:
    return _ID.findall(value or "")


def automatic_reason(msg: EmailMessage) -> str:
    """Why ``msg`` is an automatic message (RFC 3834 auto-reply, list or bulk mail, a delivery report or
    a daemon's bounce), or empty for a message a person wrote."""
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if msg.get(header) is not None:
            return header
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if msg.get_content_type() == "multipart/report":
        return "multipart/report"
    sender = str(msg.get("From", "")).lower()
    if any(d in sender for d in _DAEMONS):
        return "mailer daemon"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "null return path"
    return ""


def _sender(msg: EmailMessage) -> tuple[str, str]:
    header = msg.get("Reply-To") or msg.get("From")
    addresses: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    for address in addresses:
        email = address.addr_spec.strip()
        if _VALID_ADDRESS.match(email) and len(email) <= 254:
            name = address.display_name.strip()
            from_addresses = getattr(msg.get("From"), "addresses", ())
            if not name and from_addresses:
                name = from_addresses[0].display_name.strip()
            return email, name
    return "", ""


def _body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        return str(part.get_content()).strip()
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(str(part.get_content()))
    return ""


def _attachments(msg: EmailMessage) -> tuple[MailAttachment, ...]:
    found = []
    for part in msg.iter_attachments():
        if not isinstance(part, EmailMessage) or part.is_multipart():
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        name = part.get_filename() or "attachment"
        found.append(MailAttachment(filename=name[:200], media_type=part.get_content_type(), content=content))
    return tuple(found)


def _date(msg: EmailMessage) -> str:
    try:
        when = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return ""
    return when.isoformat() if when.tzinfo is not None else ""


def parse_mail(raw: bytes) -> InboundMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    ids = _ids(str(msg.get("Message-ID", "")))
    message_id = ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()
    answers = _ids(str(msg.get("In-Reply-To", ""))) + list(reversed(_ids(str(msg.get("References", "")))))
    email, name = _sender(msg)
    automatic = automatic_reason(msg)
    return InboundMail(
        message_id=message_id[:500],
        sender_email=email,
        sender_name=name,
        subject=str(msg.get("Subject", "")).strip(),
        text="" if automatic else _body_text(msg),
        received_at=_date(msg),
        answers=tuple(dict.fromkeys(answers)),
        automatic=automatic,
        attachments=() if automatic else _attachments(msg),
    )
