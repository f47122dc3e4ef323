"""The ingest API: set-based writes that fire batch events inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

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


def test_updates_that_change_different_columns_each_land_exactly(patron_app):
    # Changes are applied one executemany per set of changed columns: each customer gets exactly its own.
    day = datetime(2020, 5, 17, 8, 30, tzinfo=UTC)
    base = {"name": "N", "email": "n@example.com", "phone": "1", "created_at": day, "attributes": {"tier": "a"}}
    ids = [f"k{i}" for i in range(6)]
    with patron_app.transaction() as s:
        upsert_customers(patron_app, s, [{"external_id": e, **base} for e in ids])
    with patron_app.transaction() as s:
        before = {c.external_id: c.updated_at for c in s.scalars(select(Customer))}
    changed = {
        "k0": {"name": "Ann"},
        "k1": {"email": "b@example.com", "phone": "22"},
        "k2": {"created_at": datetime(2019, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)},
        "k3": {"attributes": {"tier": "gold", "city": "Lyon"}},
        "k4": {"name": "Dee", "attributes": None},  # None: no attributes, as on insert
    }
    # k5 is given again as it is, its creation time in another zone (the same instant): unchanged.
    same = {"k5": {"created_at": day.astimezone(timezone(timedelta(hours=2)))}}
    base = {**base, "created_at": None}  # no creation time given: the stored one stays (as on insert, "not given")
    with patron_app.transaction() as s:
        rows = [{"external_id": e, **base, **changed.get(e, {}), **same.get(e, {})} for e in ids]
        result = upsert_customers(patron_app, s, rows)
    assert len(result.updated_ids) == 5 and result.unchanged == 1
    with patron_app.transaction() as s:
        stored = {c.external_id: c for c in s.scalars(select(Customer))}
        for e in ids:
            c = stored[e]
            expected = {**base, **changed.get(e, {})}
            assert (c.name, c.email, c.phone, c.attributes) == (
                expected["name"],
                expected["email"],
                expected["phone"],
                expected["attributes"] or {},
            )
            assert c.created_at == changed.get(e, {}).get("created_at", day)
            assert (c.updated_at > before[e]) == (e in changed)


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
