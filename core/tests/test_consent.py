"""Consent: the current state is the latest log entry; the log is append-only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from patron.consent import consenting_customers, current_states, record
from patron.models import AuditEvent


def test_latest_entry_wins_by_time_then_id(patron_app, patron_factory):
    f = patron_factory(patron_app)
    a, b, c = f.customer(), f.customer(), f.customer()
    t1, t2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    with patron_app.transaction() as s:
        # Recorded out of order: the later occurred_at wins, not the later insert.
        record(patron_app, s, a, channel="email", purpose="marketing", granted=False, source="t", occurred_at=t2)
        record(patron_app, s, a, channel="email", purpose="marketing", granted=True, source="t", occurred_at=t1)
        # Same instant: the later entry (higher id) wins.
        record(patron_app, s, b, channel="email", purpose="marketing", granted=False, source="t", occurred_at=t1)
        record(patron_app, s, b, channel="email", purpose="marketing", granted=True, source="t", occurred_at=t1)
        record(patron_app, s, c, channel="sms", purpose="marketing", granted=True, source="t", occurred_at=t1)
    with patron_app.transaction() as s:
        assert set(s.scalars(consenting_customers("email", "marketing"))) == {b}
        assert set(s.scalars(consenting_customers("sms", "marketing"))) == {c}
        states = current_states(s, [a])
    assert [(x.channel, x.granted, x.occurred_at) for x in states] == [("email", False, t2)]


def test_the_log_refuses_updates_and_deletes(patron_app, patron_factory):
    cid = patron_factory(patron_app).customer()
    with patron_app.transaction() as s:
        record(patron_app, s, cid, channel="email", purpose="marketing", granted=True, source="t")
    for statement in ("UPDATE consents SET granted = false", "DELETE FROM consents"):
        with pytest.raises(Exception, match=r"append-only|consent"), patron_app.transaction() as s:
            s.execute(text(statement))


def test_cli_grant_revoke_show_and_audit(patron_app, patron_factory, patron_cli):
    cid = patron_factory(patron_app).customer(external_id="c1", name="Ann")
    assert patron_cli(patron_app, "consent", "grant", "c1", "--channel", "sms").exit_code == 0
    assert patron_cli(patron_app, "consent", "revoke", "c1", "--channel", "sms").exit_code == 0
    assert patron_cli(patron_app, "consent", "grant", "#" + str(cid)).exit_code == 0
    shown = json.loads(patron_cli(patron_app, "consent", "show", "c1", "--json").stdout)
    assert [(r["channel"], r["purpose"], r["granted"]) for r in shown["consent"]] == [
        ("email", "marketing", True),
        ("sms", "marketing", False),
    ]
    with patron_app.transaction() as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["consent.grant", "consent.revoke", "consent.grant", "consent.view"]


def test_erased_customers_never_consent(patron_app, patron_factory, patron_cli):
    cid = patron_factory(patron_app).customer(external_id="c1")
    patron_cli(patron_app, "consent", "grant", "c1")
    patron_cli(patron_app, "customers", "erase", "c1", "--yes")
    with patron_app.transaction() as s:
        assert cid not in set(s.scalars(consenting_customers("email", "marketing")))
    result = patron_cli(patron_app, "consent", "grant", "c1")
    assert result.exit_code == 6 and "was erased" in result.stderr
