"""Per-recipient template context and the MIME message built from a rendered template.

Headers every message carries: From, To, Subject, Date, a deterministic
Message-ID (the same campaign and customer always give the same id, so a
bounce finds its send-log row and a duplicate is recognisable), and the
unsubscribe headers of RFC 2369 and RFC 8058::

    List-Unsubscribe: <https://crm.example.com/email/unsubscribe/TOKEN>,
     <mailto:unsubscribe@example.com?subject=unsubscribe>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from patron.models import utcnow

if TYPE_CHECKING:
    from patron.app import App
    from patron_email.config import EmailConfig
    from patron_email.templating import Rendered

#: SMTP line ends; folding only past RFC 5322's hard limit of 998 characters: the default of 78
#: would fold List-Unsubscribe's long URL into RFC 2047 encoded words, which break the link.
#: 7-bit transfer encodings (quoted-printable) for non-ASCII bodies: no reliance on 8BITMIME.
POLICY = SMTP.clone(max_line_length=998, cte_type="7bit")
UNSUBSCRIBE_PURPOSE = "email.unsubscribe"
UNSUBSCRIBE_PATH = "/email/unsubscribe"
PREVIEW_LINK = "https://example.invalid/email/unsubscribe/PREVIEW-ONLY"


def message_id(campaign: str, customer_id: int, domain: str) -> str:
    """The deterministic Message-ID of ``campaign``'s message to ``customer_id``."""
    digest = hashlib.sha256(campaign.encode("utf-8")).hexdigest()[:20]
    return f"<{digest}.{customer_id}@{domain}>"


def unsubscribe_url(app: App, customer_id: int, campaign: str, purpose: str) -> str:
    """A signed link that unsubscribes ``customer_id`` from ``purpose`` (no personal data in it)."""
    from patron.links import make_link

    return make_link(app, UNSUBSCRIBE_PURPOSE, {"c": customer_id, "p": purpose, "k": campaign}, path=UNSUBSCRIBE_PATH)


def customer_context(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``customer`` variable of a template: plain values only (the sandbox sees nothing else)."""
    name = row.get("name") or ""
    return {
        "id": row["id"],
        "external_id": row.get("external_id") or "",
        "name": name,
        "first_name": name.split()[0] if name.split() else "",
        "email": row.get("email") or "",
        "attributes": dict(row.get("attributes") or {}),
    }


def build(
    config: EmailConfig,
    rendered: Rendered,
    *,
    to: str,
    to_name: str,
    msg_id: str,
    campaign: str,
    unsubscribe: str | None,
) -> bytes:
    """The message as bytes for SMTP DATA (CRLF line ends, headers encoded as needed)."""
    from email.headerregistry import Address

    message = EmailMessage(policy=POLICY)
    message["From"] = config.from_address
    # A name is data, not headers: line breaks in it become spaces.
    name = " ".join(to_name.split())
    message["To"] = Address(display_name=name, addr_spec=to) if name else to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = msg_id
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    if unsubscribe:
        targets = [f"<{unsubscribe}>"]
        if config.unsubscribe_mailto:
            targets.append(f"<mailto:{config.unsubscribe_mailto}?subject=unsubscribe>")
        message["List-Unsubscribe"] = ", ".join(targets)
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Patron-Campaign"] = campaign
    message.set_content(rendered.text)
    if rendered.html is not None:
        message.add_alternative(rendered.html, subtype="html")
    return message.as_bytes()
