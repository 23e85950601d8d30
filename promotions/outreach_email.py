"""Outreach e-mail: the message (text + HTML, RFC 8058 one-click unsubscribe) and its delivery.

The offer's words are the variant's template rendered by ``promotions.templates`` (sandboxed,
slot values cleaned) when the message was queued. Here they are wrapped in a small layout,
itself rendered by a sandboxed Jinja2 environment with autoescaping on, so nothing in the
offer text becomes markup in the HTML part.

``SmtpMailer.send`` sorts what the relay says into the outbox's outcomes: a permanent
refusal of the address or message (5xx) is a bounce and never retried; a temporary one
(4xx) is retried by a later run; a relay that cannot be reached stops the run. One
connection carries a run's messages (``SmtpMailer.close`` ends it when the run is done).
"""

from __future__ import annotations

import email.policy
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from enum import StrEnum

import aiosmtplib
from jinja2.sandbox import SandboxedEnvironment

SMTP_TIMEOUT_SECONDS = 30.0
# Header lines may run to 998 characters (RFC 5322). At the usual 78 Python's generator turns
# the long unsubscribe link into an encoded word that mail clients do not read as a URL.
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)

_LAYOUT = SandboxedEnvironment(autoescape=True)
_HTML = _LAYOUT.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
{% for line in lines %}<p>{{ line }}</p>
{% endfor %}<p>Reply in the chat on our site whenever you like, and we'll take it from there.</p>
{% if shop_url %}<p><a href="{{ shop_url }}">Visit the shop</a></p>
{% endif %}<hr>
<p style="font-size: 0.85em; color: #666;">You're getting this because you said yes to offers
by e-mail. <a href="{{ unsubscribe_url }}">Unsubscribe</a> with one click.</p>
{% if open_url %}<img src="{{ open_url }}" width="1" height="1" alt="" style="display: block;">
{% endif %}</body></html>
"""
)
_TEXT = _LAYOUT.from_string(
    """{{ text }}

Reply in the chat on our site whenever you like, and we'll take it from there.
{% if shop_url %}Visit the shop: {{ shop_url }}
{% endif %}
--
You're getting this because you said yes to offers by e-mail.
Unsubscribe with one click: {{ unsubscribe_url }}
"""
)


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    unsubscribe_url: str,
    idempotency_key: str,
    shop_url: str = "",
    open_url: str = "",
) -> EmailMessage:
    """The e-mail for one outbox row, with text and HTML parts and one-click unsubscribe.

    ``shop_url`` (a tracked link to the shop) and ``open_url`` (the open pixel, HTML only)
    are left out when empty.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # The same outbox row always makes the same Message-ID, so a receiving system that
    # sees it twice (should a relay ever retry on its own) can tell.
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outreach-{digest}@{domain}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_TEXT.render(text=text, unsubscribe_url=unsubscribe_url, shop_url=shop_url))
    lines = [line for line in text.splitlines() if line.strip()]
    message.add_alternative(
        _HTML.render(
            subject=subject,
            lines=lines,
            unsubscribe_url=unsubscribe_url,
            shop_url=shop_url,
            open_url=open_url,
        ),
        subtype="html",
    )
    return message


class Delivery(StrEnum):
    """How an attempt to hand a message to the relay ended."""

    SENT = "sent"
    BOUNCED = "bounced"  # 5xx: the address or message is refused for good
    TEMPORARY = "temporary"  # 4xx: try again in a later run
    UNREACHABLE = "unreachable"  # no relay answered: stop this run, try later


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome, and the relay's words for the record (never shown to customers)."""

    outcome: Delivery
    detail: str = ""


class SmtpMailer:
    """Hands messages to an SMTP relay with aiosmtplib, over one connection while it lasts.

    The connection is opened by the first ``send`` and reused by the next ones (a run of a
    thousand e-mails is one TCP and TLS handshake and one log-in, not a thousand);
    ``close`` ends it. Before a message goes on a reused connection a ``NOOP`` checks that
    the relay still listens; one that closed it in between (an idle timeout, a limit of
    messages per connection) is reconnected to, and the message has not been offered yet,
    so it cannot arrive twice. A refused recipient leaves the connection usable
    (aiosmtplib resets the envelope), so the next customer's message goes through it.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username or None
        self.password = password or None
        self.timeout = timeout
        self.connections = 0  # opened so far (the tests read it)
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> DeliveryResult:
        """Send ``message``; never raises for what the relay or the network does."""
        try:
            client = await self._usable_client()
            await client.sendmail(
                parseaddr(message["From"])[1],
                [parseaddr(message["To"])[1]],
                message.as_bytes(policy=WIRE_POLICY),
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            permanent = bool(codes) and all(code >= 500 for code in codes)
            return DeliveryResult(Delivery.BOUNCED if permanent else Delivery.TEMPORARY, detail)
        except aiosmtplib.SMTPResponseException as exc:
            # A refused sender or failed log-in is our set-up, not the customer's address:
            # retried (a bounded number of times) rather than blamed on the recipient.
            refused_us = isinstance(
                exc, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPAuthenticationError
            )
            if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                await self.close()
            outcome = Delivery.BOUNCED if exc.code >= 500 and not refused_us else Delivery.TEMPORARY
            return DeliveryResult(outcome, f"{exc.code} {exc.message}")
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            # Dropped mid-message too: whether it arrived is unknown, so the outbox decides
            # (a later run retries it, as it would any relay that stopped answering).
            await self.close()
            return DeliveryResult(Delivery.UNREACHABLE, f"{type(exc).__name__}: {exc}")
        return DeliveryResult(Delivery.SENT)

    async def close(self) -> None:
        """End the connection, politely when the relay still listens; sending opens another."""
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            client.close()

    async def _usable_client(self) -> aiosmtplib.SMTP:
        """The open connection if the relay still answers on it, else a new one."""
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.noop()
                return self._client
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                await self.close()  # it went away while idle: start again
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )
        await client.connect()
        self.connections += 1
        self._client = client
        return client
