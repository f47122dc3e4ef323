"""Bounces and complaints: read DSN (RFC 3464) and ARF (RFC 5965) reports from an mbox or a Maildir.

Classification, per recipient of a report:

- **hard**: a DSN with ``Action: failed`` and a ``5.x.x`` status (the address does not work);
- **soft**: ``Action: delayed``, or a ``4.x.x`` status (mailbox full, greylisted, …);
- **complaint**: an ARF feedback report (the recipient pressed "this is spam").

``Action: delivered`` / ``relayed`` / ``expanded`` reports and messages that are
not reports are ignored (counted). The recipient is found through the original
message's Message-ID in the send log (which also names the campaign), else by
address among the customers. Each bounce is recorded once (idempotent on the
report's Message-ID and recipient): a row in ``email_bounces``, an
``email_bounced`` interaction for a known customer, and the address is
suppressed at once for hard bounces and complaints, and after
``soft_bounce_limit`` soft bounces.
"""

from __future__ import annotations

import email
import hashlib
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from patron.errors import InputError
from patron.models import Customer, utcnow
from patron_email.models import EmailBounce, EmailSend
from patron_email.suppression import Hasher, normalise, suppress

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron_email.config import EmailConfig

EMAIL_BOUNCED = "email_bounced"


@dataclass(frozen=True)
class Bounce:
    """One recipient of one report."""

    source_id: str
    address: str
    kind: str
    status: str | None
    diagnostic: str | None
    original_message_id: str | None
    occurred_at: datetime


@dataclass
class ImportSummary:
    """What ``patron email bounces import`` did."""

    messages: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    already_known: int = 0
    not_reports: int = 0
    unknown_recipients: int = 0
    suppressed: int = 0
    errors: list[str] = field(default_factory=list)


def open_mailbox(path: Path) -> mailbox.Mailbox[Any]:
    """An mbox file or a Maildir folder, read-only in spirit (nothing is written to it)."""
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise InputError(f"{path}: a folder must be a Maildir (with cur/ and new/)")
        return mailbox.Maildir(path, factory=None, create=False)
    if path.is_file():
        return mailbox.mbox(path, create=False)
    raise InputError(f"{path}: no such file or folder; give an mbox file or a Maildir folder")


def _headers_of(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` or ``message/feedback-report`` part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, str):
        return [
            HeaderParser().parsestr(block) for block in payload.replace("\r\n", "\n").split("\n\n") if block.strip()
        ]
    return []


def _original_message_id(report: Message) -> str | None:
    for part in report.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                mid = inner[0].get("Message-ID")
                return str(mid).strip() if mid else None
        if ctype == "text/rfc822-headers":
            headers = HeaderParser().parsestr(str(part.get_payload()))
            mid = headers.get("Message-ID")
            return str(mid).strip() if mid else None
    return None


def _when(report: Message) -> datetime:
    try:
        value = parsedate_to_datetime(str(report.get("Date", "")))
    except (TypeError, ValueError):
        return utcnow()
    return value if value.tzinfo is not None else value.replace(tzinfo=utcnow().tzinfo)


def parse_report(report: Message) -> list[Bounce]:
    """The bounces a DSN or ARF message reports (empty for anything else)."""
    if report.get_content_type() != "multipart/report":
        return []
    kind = (report.get_param("report-type") or "").lower()  # type: ignore[union-attr]
    report_id = str(report.get("Message-ID", "")).strip()
    original = _original_message_id(report)
    when = _when(report)
    found: list[Bounce] = []
    for part in report.walk():
        ctype = part.get_content_type()
        if kind == "delivery-status" and ctype == "message/delivery-status":
            for block in _headers_of(part)[1:] or _headers_of(part):
                recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
                action = str(block.get("Action", "")).strip().lower()
                if not recipient or action not in ("failed", "delayed"):
                    continue
                address = parseaddr(str(recipient).split(";", 1)[-1].strip())[1]
                status = str(block.get("Status", "")).strip() or None
                hard = action == "failed" and (status or "5").startswith("5")
                diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())[:500] or None
                found.append(
                    Bounce(
                        _source(report_id, address, report),
                        address,
                        "hard" if hard else "soft",
                        status,
                        diagnostic,
                        original,
                        when,
                    )
                )
        elif kind == "feedback-report" and ctype == "message/feedback-report":
            for block in _headers_of(part)[:1]:
                recipient = block.get("Original-Rcpt-To") or block.get("Removal-Recipient")
                address = parseaddr(str(recipient or ""))[1]
                if not address:
                    address = _original_to(report)
                if address:
                    feedback = str(block.get("Feedback-Type", "abuse")).strip()
                    found.append(
                        Bounce(
                            _source(report_id, address, report), address, "complaint", None, feedback, original, when
                        )
                    )
    return found


def _original_to(report: Message) -> str:
    for part in report.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return parseaddr(str(inner[0].get("To", "")))[1]
    return ""


def _source(report_id: str, address: str, report: Message) -> str:
    basis = report_id or hashlib.sha256(report.as_bytes()).hexdigest()
    return hashlib.sha256(f"{basis}\x00{normalise(address)}".encode()).hexdigest()


def iter_reports(path: Path) -> Iterator[Message]:
    """Every message of the mailbox at ``path``."""
    box = open_mailbox(path)
    try:
        for key in box.iterkeys():
            with box.get_file(key) as fh:
                yield email.message_from_bytes(fh.read())
    finally:
        box.close()


def import_bounces(app: App, config: EmailConfig, path: Path) -> ImportSummary:
    """Read every report at ``path`` and record its bounces (idempotent); one transaction."""
    summary = ImportSummary()
    bounces: list[Bounce] = []
    for report in iter_reports(path):
        summary.messages += 1
        found = parse_report(report)
        if not found:
            summary.not_reports += 1
        bounces.extend(found)
    with app.transaction(immediate=True) as session:
        record(app, config, session, bounces, summary)
    return summary


def record(app: App, config: EmailConfig, session: Session, bounces: list[Bounce], summary: ImportSummary) -> None:
    """Store new bounces, their interactions and the suppressions they cause."""
    from patron.ingest import record_interactions

    hasher = Hasher(session)
    known = set(
        session.scalars(select(EmailBounce.source_id).where(EmailBounce.source_id.in_([b.source_id for b in bounces])))
    )
    by_mid: dict[str | None, int] = {
        mid: send_id
        for mid, send_id in session.execute(
            select(EmailSend.message_id, EmailSend.id).where(
                EmailSend.message_id.in_([b.original_message_id for b in bounces if b.original_message_id])
            )
        )
    }
    sends = {row.id: row for row in session.scalars(select(EmailSend).where(EmailSend.id.in_(by_mid.values())))}
    addresses = {normalise(b.address) for b in bounces}
    by_address: dict[str, int] = {}
    for cid, mail in session.execute(
        select(Customer.id, func.lower(Customer.email)).where(func.lower(Customer.email).in_(addresses))
    ):
        by_address.setdefault(mail, cid)
    interactions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for b in bounces:
        if b.source_id in known or b.source_id in seen:
            summary.already_known += 1
            continue
        seen.add(b.source_id)
        send = sends.get(by_mid.get(b.original_message_id or "", -1))
        customer_id = send.customer_id if send is not None else by_address.get(normalise(b.address))
        campaign = send.campaign if send is not None else None
        if customer_id is None:
            summary.unknown_recipients += 1
        session.add(
            EmailBounce(
                source_id=b.source_id,
                customer_id=customer_id,
                address=normalise(b.address),
                address_hash=hasher(b.address),
                kind=b.kind,
                status=b.status,
                diagnostic=b.diagnostic,
                campaign=campaign,
                original_message_id=b.original_message_id,
                occurred_at=b.occurred_at,
                recorded_at=utcnow(),
            )
        )
        counter = {"hard": "hard", "soft": "soft", "complaint": "complaints"}[b.kind]
        setattr(summary, counter, getattr(summary, counter) + 1)
        if customer_id is not None:
            interactions.append(
                {
                    "external_id": f"email-bounce:{b.source_id[:40]}",
                    "customer_id": customer_id,
                    "kind": EMAIL_BOUNCED,
                    "channel": "email",
                    "occurred_at": b.occurred_at,
                    "payload": {"type": b.kind, "status": b.status, "campaign": campaign},
                }
            )
        session.flush()
        reason = {"hard": "hard_bounce", "complaint": "complaint"}.get(b.kind)
        if reason is None:
            softs = (
                session.scalar(
                    select(func.count()).where(
                        EmailBounce.address_hash == hasher(b.address), EmailBounce.kind == "soft"
                    )
                )
                or 0
            )
            reason = "soft_bounces" if softs >= config.soft_bounce_limit else None
        if reason and suppress(
            session,
            b.address,
            reason=reason,
            source=f"bounce report {b.source_id[:16]}",
            customer_id=customer_id,
            campaign=campaign,
        ):
            summary.suppressed += 1
    record_interactions(app, session, interactions)
