"""The ingest API: set-based writes that fire batch events inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from patron.errors import PluginError
from patron.ingest import record_interactions, upsert_customers
from patron.models import Customer, Interaction


def test_upsert_inserts_updates_and_reports_unchanged(patron_app):
    rows = [{"external_id": "a", "name": "Ann"}, {"external_id": "b", "name": "Bob"}]
    with patron_app.transaction() as s:
        first = upsert_customers(patron_app, s, rows)
    assert len(first.inserted_ids) == 2 and first.updated_ids == [] and first.unchanged == 0
    with patron_app.transaction() as s:
        rows = [{"external_id": "a", "name": "Ann"}, {"external_id": "b", "name": "Rob"}]
        again = upsert_customers(patron_app, s, rows)
    assert again.inserted_ids == [] and len(again.updated_ids) == 1 and again.unchanged == 1
    with patron_app.transaction() as s:
        assert s.scalar(select(Customer.name).where(Customer.external_id == "b")) == "Rob"


def test_recording_the_same_interaction_twice_inserts_once(patron_app, patron_factory):
    cid = patron_factory(patron_app).customer()
    row = {
        "external_id": "p1",
        "customer_id": cid,
        "kind": "purchase",
        "occurred_at": datetime(2024, 1, 1, tzinfo=UTC),
        "amount_minor": 1999,
        "currency": "EUR",
    }
    with patron_app.transaction() as s:
        assert len(record_interactions(patron_app, s, [row])) == 1
    with patron_app.transaction() as s:
        assert record_interactions(patron_app, s, [row]) == []
        assert s.scalar(select(func.count()).select_from(Interaction)) == 1
        stored = s.scalar(select(Interaction.occurred_at))
    assert stored == datetime(2024, 1, 1, tzinfo=UTC)


def test_event_hooks_see_the_batch_and_a_raising_plugin_rolls_it_back(make_patron_app, patron_factory):
    app = make_patron_app(plugins=["probe"], config={"probe": {"fail_on": ["interactions_recorded"]}})
    cid = patron_factory(app).customer()
    with app.transaction() as s:
        from patron_probe.models import ProbeNote

        assert s.scalar(select(func.count()).select_from(ProbeNote).where(ProbeNote.event == "customers_upserted")) == 1
    with pytest.raises(PluginError, match=r'plugin "probe" .*failed in patron_interactions_recorded'):
        patron_factory(app).interaction(cid)
    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0


def test_naive_datetimes_are_refused(patron_app, patron_factory):
    cid = patron_factory(patron_app).customer()
    with pytest.raises(Exception, match="naive datetime"):
        patron_factory(patron_app).interaction(cid, occurred_at=datetime(2024, 1, 1))
