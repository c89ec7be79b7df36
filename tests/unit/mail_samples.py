"""Mail for the intake's tests: a plain builder, and hostile messages as raw bytes."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP


def mail(*, sender: str = "Giulia Wright <giulia@acme.test>", subject: str = "VPN drops",
         body: str = "The VPN drops every hour.", message_id: str = "<m1@acme.test>",
         in_reply_to: str | None = None, references: str | None = None,
         headers: dict[str, str] | None = None, html: str | None = None,
         attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    """One mail as bytes (CRLF lines, as a mail server stores it)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@desk.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)


def html_only(html: str, *, message_id: str = "<h1@acme.test>") -> bytes:
    msg = EmailMessage()
    msg["From"] = "giulia@acme.test"
    msg["Subject"] = "HTML only"
    msg["Message-ID"] = message_id
    msg.set_content(html, subtype="html")
    return msg.as_bytes(policy=SMTP)
