"""patron_sdk.data: the one test-data loader (rows, helpers, synthetic histories, CDNOW)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from patron.models import Customer, Interaction
from patron_sdk.data import Row, customers, find_cdnow, load, purchase, read_cdnow, refund, synthetic


def test_synthetic_is_reproducible_and_refunds_name_an_earlier_purchase() -> None:
    rows = synthetic(200, seed=7)
    assert rows == synthetic(200, seed=7) and rows != synthetic(200, seed=8)
    purchases = {r.external_id: r for r in rows if r.kind == "purchase"}
    refunds = [r for r in rows if r.kind == "refund"]
    assert refunds and len({r.customer for r in rows}) == 200
    for r in refunds:
        bought = purchases[r.payload["refund_of"]]
        assert bought.customer == r.customer and bought.occurred_at < r.occurred_at
        assert 0 < r.amount_minor <= bought.amount_minor


def test_load_creates_customers_in_order_and_records_rows_in_batches(patron_app) -> None:
    rows = [*synthetic(30, seed=1), Row("c0", datetime(2024, 6, 1, tzinfo=UTC), "email_sent")]
    ids = load(patron_app, rows, batch_size=7)
    first_seen = list(dict.fromkeys(r.customer for r in rows))
    assert [ids[c] for c in first_seen] == sorted(ids.values())  # ids follow the order customers appear
    with patron_app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == len(rows)
        assert session.scalar(select(func.count()).select_from(Customer)) == 30
        email = session.scalars(select(Interaction).where(Interaction.kind == "email_sent")).one()
        assert email.amount_minor is None and email.currency is None


def test_helpers_write_one_customer_purchase_and_refund(patron_app) -> None:
    (cid,) = customers(patron_app, 1)
    assert purchase(patron_app, cid, "p1", 5000)
    assert purchase(patron_app, cid, "p1", 5000) == []  # recorded once
    assert refund(patron_app, cid, "r1", "p1", 1000)
    with patron_app.transaction() as session:
        back = session.scalars(select(Interaction).where(Interaction.kind == "refund")).one()
        assert back.amount_minor == 1000 and back.payload == {"refund_of": "p1"}


def test_read_cdnow_keeps_the_first_lines_and_names_a_bad_one(tmp_path, monkeypatch) -> None:
    log = tmp_path / "cdnow.txt"
    log.write_text("00001 19970101 1 11.77\n00002 19970112 2 89.00\n00002 19970112 1 7.50\n")
    monkeypatch.setenv("PATRON_CDNOW", str(log))
    assert find_cdnow() == log
    rows = read_cdnow(limit=2)
    assert [(r.customer, r.amount_minor, r.external_id) for r in rows] == [
        ("cdnow-1", 1177, "cdnow-1"),
        ("cdnow-2", 8900, "cdnow-2"),
    ]
    log.write_text("00001 19970101 1\n")
    try:
        read_cdnow(log)
    except ValueError as exc:
        assert "line 1" in str(exc)
    else:
        raise AssertionError("a malformed line must be refused")
