"""Bounces and complaints from an mbox or Maildir of DSN (RFC 3464) and ARF (RFC 5965) reports."""

from __future__ import annotations

import mailbox
from email import message_from_bytes

from sqlalchemy import select

from patron.models import Interaction
from patron_email.bounces import parse_report
from patron_email.models import EmailBounce, EmailSuppression
from patron_email.testing import seed, send, states


def dsn(report_id: str, recipient: str, action: str, status: str, original_id: str) -> bytes:
    return f"""From: MAILER-DAEMON@mx.example.test
To: news@shop.test
Subject: Delivery Status Notification
Message-ID: <{report_id}@mx.example.test>
Date: Tue, 03 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status[0]}50 mailbox problem

--B
Content-Type: text/rfc822-headers

Message-ID: {original_id}
To: {recipient}
Subject: Hello

--B--
""".replace("\n", "\r\n").encode()


def arf(report_id: str, recipient: str, original_id: str) -> bytes:
    return f"""From: feedback@isp.example.test
To: abuse@shop.test
Subject: FW: complaint
Message-ID: <{report_id}@isp.example.test>
Date: Wed, 04 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: isp-fbl/1.0
Version: 1
Original-Rcpt-To: {recipient}

--F
Content-Type: message/rfc822

Message-ID: {original_id}
To: {recipient}
Subject: Hello

body
--F--
""".replace("\n", "\r\n").encode()


def test_parse_classifies_hard_soft_and_complaints():
    hard = parse_report(message_from_bytes(dsn("r1", "a@x.test", "failed", "5.1.1", "<m1@shop.test>")))
    soft = parse_report(message_from_bytes(dsn("r2", "a@x.test", "delayed", "4.2.2", "<m1@shop.test>")))
    full = parse_report(message_from_bytes(dsn("r3", "a@x.test", "failed", "4.2.2", "<m1@shop.test>")))
    fine = parse_report(message_from_bytes(dsn("r4", "a@x.test", "delivered", "2.0.0", "<m1@shop.test>")))
    spam = parse_report(message_from_bytes(arf("r5", "b@x.test", "<m2@shop.test>")))
    assert [(b.kind, b.status, b.original_message_id) for b in hard] == [("hard", "5.1.1", "<m1@shop.test>")]
    assert [b.kind for b in soft + full] == ["soft", "soft"] and fine == []
    assert [(b.kind, b.address, b.original_message_id) for b in spam] == [("complaint", "b@x.test", "<m2@shop.test>")]
    assert parse_report(message_from_bytes(b"Subject: hi\r\n\r\nnot a report\r\n")) == []


def test_import_records_suppresses_and_is_idempotent(email_app, smtp, patron_cli, tmp_path):
    app = email_app(soft_bounce_limit=2)
    ids = seed(app, 4)
    send(app)
    mids = {r.recipients[0]: str(r.message["Message-ID"]) for r in smtp.inbox}
    box_path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(box_path)
    box.add(dsn("h1", "c0@example.test", "failed", "5.1.1", mids["c0@example.test"]))
    box.add(dsn("s1", "c1@example.test", "delayed", "4.2.2", mids["c1@example.test"]))
    box.add(arf("a1", "c2@example.test", mids["c2@example.test"]))
    box.add(dsn("h2", "stranger@example.test", "failed", "5.1.1", "<other@elsewhere.test>"))
    box.add(b"From: someone@example.test\r\nSubject: out of office\r\n\r\nI am away.\r\n")
    box.flush()
    box.close()
    result = patron_cli(app, "email", "bounces", "import", str(box_path))
    assert result.exit_code == 0, result.output
    assert "5 messages: 2 hard, 1 soft, 1 complaints" in result.output
    assert "1 not reports, 1 for unknown recipients; 3 addresses suppressed" in result.output
    with app.transaction() as session:
        reasons = dict(session.execute(select(EmailSuppression.address, EmailSuppression.reason)).all())
        bounced = session.execute(
            select(Interaction.customer_id, Interaction.payload).where(Interaction.kind == "email_bounced")
        ).all()
        campaigns = set(session.scalars(select(EmailBounce.campaign)))
    assert reasons == {
        "c0@example.test": "hard_bounce",
        "c2@example.test": "complaint",
        "stranger@example.test": "hard_bounce",
    }
    assert sorted((cid, p["type"]) for cid, p in bounced) == [(ids[0], "hard"), (ids[1], "soft"), (ids[2], "complaint")]
    assert campaigns == {"spring", None}
    again = patron_cli(app, "email", "bounces", "import", str(box_path))
    assert "4 already imported" in again.output and "0 addresses suppressed" in again.output
    # A second soft bounce reaches soft_bounce_limit = 2: suppressed.
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(dsn("s2", "c1@example.test", "delayed", "4.2.2", mids["c1@example.test"]))
    maildir.close()
    later = patron_cli(app, "email", "bounces", "import", str(tmp_path / "Maildir"))
    assert "1 soft" in later.output and "1 addresses suppressed" in later.output
    # The next campaign skips every suppressed address.
    summary = send(app, "autumn")
    assert summary.sent == 1 and summary.skipped_by_reason == {"suppressed": 3}
    assert states(app, "autumn")[ids[3]] == ("sent", None)


def test_import_of_a_missing_path_says_what_to_give(email_app, patron_cli, tmp_path):
    app = email_app()
    result = patron_cli(app, "email", "bounces", "import", str(tmp_path / "nope"))
    assert result.exit_code == 6 and "give an mbox file or a Maildir folder" in result.output
    assert "Traceback" not in result.output
