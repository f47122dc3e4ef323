"""patron.sql: each helper gives the same answer on SQLite and PostgreSQL (run on both)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, literal, select

from patron.models import Customer, Interaction
from patron.sql import (
    date_trunc,
    day_diff,
    dialect_insert,
    dialect_name,
    insert_ignore,
    is_retryable,
    lock_rows,
    month_bucket,
    month_start_after,
    run_transaction,
    unindexed,
)

WHEN = [
    datetime(2024, 1, 31, 23, 59, 59, 900_000, tzinfo=UTC),
    datetime(2024, 2, 29, 0, 0, tzinfo=UTC),
    datetime(2024, 12, 31, 12, 30, tzinfo=UTC),
]


@pytest.fixture
def stored(patron_app, patron_factory):
    make = patron_factory(patron_app)
    cid = make.customer(external_id="c1")
    for i, when in enumerate(WHEN):
        make.interaction(cid, external_id=f"i{i}", occurred_at=when)
    return patron_app


def _column(app, expr):
    with app.transaction() as session:
        return list(session.scalars(select(expr).select_from(Interaction).order_by(Interaction.occurred_at)))


def test_dialect_name_from_a_session_a_name_or_an_engine(stored):
    with stored.transaction() as session:
        assert dialect_name(session) == stored.engine.dialect.name == dialect_name(stored.engine)
    assert dialect_name("sqlite") == "sqlite"


def test_month_bucket_and_date_trunc(stored):
    with stored.transaction() as session:
        assert _column(stored, month_bucket(Interaction.occurred_at, session)) == ["2024-01", "2024-02", "2024-12"]
        starts = _column(stored, date_trunc("month", Interaction.occurred_at, session))
        days = _column(stored, date_trunc("day", Interaction.occurred_at, session))
        years = _column(stored, date_trunc("year", Interaction.occurred_at, session))
    naive = [d.replace(tzinfo=None) if d.tzinfo else d for d in (*starts, *days, *years)]
    assert naive == [
        datetime(2024, 1, 1),
        datetime(2024, 2, 1),
        datetime(2024, 12, 1),
        datetime(2024, 1, 31),
        datetime(2024, 2, 29),
        datetime(2024, 12, 31),
        datetime(2024, 1, 1),
        datetime(2024, 1, 1),
        datetime(2024, 1, 1),
    ]
    with pytest.raises(ValueError, match="unit must be day, month or year"):
        date_trunc("week", Interaction.occurred_at, "sqlite")  # type: ignore[arg-type]


def test_month_start_after_never_overflows_and_compares_with_stored_times(stored):
    with stored.transaction() as session:
        after = month_start_after(Interaction.occurred_at, 1, session)
        got = _column(stored, after)
        # The expression compares correctly with stored timestamps on both engines.
        later = session.scalar(select(func.count()).select_from(Interaction).where(Interaction.occurred_at < after))
    naive = [d.replace(tzinfo=None) if d.tzinfo else d for d in got]
    assert naive == [datetime(2024, 2, 1), datetime(2024, 3, 1), datetime(2025, 1, 1)]
    assert later == 3


def test_day_diff_floors_whole_days_both_ways(stored):
    end = datetime(2024, 3, 1, tzinfo=UTC)
    with stored.transaction() as session:
        forward = _column(stored, day_diff(end, Interaction.occurred_at, session))
        backward = _column(stored, day_diff(Interaction.occurred_at, end, session))
    # 31 Jan 23:59:59.9 → 1 Mar 00:00 is 29 days and 1 second (fractions of a second are cut first).
    assert forward == [29, 1, -306]  # -305.5 days floors to -306
    assert backward == [-30, -1, 305]


def test_unindexed_keeps_values_and_groups_and_leaves_the_index_out(stored):
    with stored.transaction() as session:
        kind = unindexed(Interaction.kind, session)
        ids = unindexed(Interaction.customer_id, session)
        assert _column(stored, kind) == _column(stored, Interaction.kind)
        grouped = session.execute(select(ids, func.count()).where(kind.in_(["purchase"])).group_by(ids)).all()
        assert (
            grouped
            == session.execute(
                select(Interaction.customer_id, func.count())
                .where(Interaction.kind.in_(["purchase"]))
                .group_by(Interaction.customer_id)
            ).all()
        )
        if dialect_name(session) != "sqlite":
            return

        # Without it SQLite answers a batch's rows from the kind index (every purchase); with it, by id range.
        def plan(term):
            stmt = select(Interaction.id).where(Interaction.id.between(1, 2), term == "purchase")
            compiled = stmt.compile(session.bind)
            raw = session.connection().connection.driver_connection
            values = [compiled.params[name] for name in compiled.positiontup or ()]
            return " ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + str(compiled), values))

        assert "kind" in plan(Interaction.kind)
        assert "kind" not in plan(kind) and "PRIMARY KEY" in plan(kind)


def test_insert_ignore_and_upsert(stored):
    with stored.transaction() as session:
        rows = [{"external_id": "c1", "name": "again"}, {"external_id": "c2", "name": "new"}]
        session.execute(insert_ignore(Customer, session, index_elements=["external_id"]).values(rows))
        names = dict(session.execute(select(Customer.external_id, Customer.name)).all())
        assert names["c2"] == "new" and names["c1"] != "again"
        stmt = dialect_insert(Customer.__table__, session).values([{"external_id": "c1", "name": "upserted"}])
        session.execute(stmt.on_conflict_do_update(index_elements=["external_id"], set_={"name": stmt.excluded.name}))
        assert session.scalar(select(Customer.name).where(Customer.external_id == "c1")) == "upserted"
        lock_rows(session, select(Customer.id).order_by(Customer.id))  # FOR UPDATE on PostgreSQL, nothing on SQLite
    with pytest.raises(TypeError, match="neither a Table nor a mapped class"):
        insert_ignore(object, "sqlite", index_elements=["id"])


def test_run_transaction_retries_a_busy_failure_then_gives_up(patron_app):
    busy = sa_exc.OperationalError("BEGIN", {}, Exception("database is locked"))
    assert is_retryable(busy) and not is_retryable(ValueError("no"))
    tries = []

    def flaky(session):
        tries.append(1)
        if len(tries) < 3:
            raise busy
        return session.scalar(select(literal(7)))

    assert run_transaction(patron_app, flaky, backoff=0) == 7
    assert len(tries) == 3

    def always(session):
        raise busy

    with pytest.raises(sa_exc.OperationalError):
        run_transaction(patron_app.sessions, always, attempts=2, backoff=0)
