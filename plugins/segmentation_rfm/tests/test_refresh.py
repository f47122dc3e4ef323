"""The rfm plugin's refresh job: ``patron refresh`` stores the snapshot of that day."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from patron_rfm.models import RfmSnapshot


def test_refresh_scores_as_of_the_day_and_is_idempotent(make_patron_app, patron_factory, patron_cli):
    app = make_patron_app(plugins=["rfm"])
    factory = patron_factory(app)
    for n in range(3):
        factory.interaction(factory.customer(), occurred_at=datetime(2024, 5, 1 + n, tzinfo=UTC))
    for _ in range(2):
        result = patron_cli(app, "refresh", "--as-of", "2024-06-01")
        assert result.exit_code == 0, result.output
        assert "rfm: RFM snapshot 2024-06-01: 3 customers scored" in result.output
    with app.transaction() as session:
        assert [s.isoformat() for s in session.scalars(select(RfmSnapshot.as_of))] == ["2024-06-01"]


def test_the_rfm_code_scoring_model_matches_the_stored_snapshot(make_patron_app, patron_factory):
    from patron_rfm.models import RfmScore

    app = make_patron_app(plugins=["rfm"])
    factory = patron_factory(app)
    for n in range(6):
        customer = factory.customer()
        for k in range(n + 1):
            factory.interaction(
                customer, occurred_at=datetime(2024, 1 + n, 1 + k, tzinfo=UTC), amount_minor=500 * (k + n)
            )
    as_of = datetime(2024, 8, 1, tzinfo=UTC)
    model = app.scoring_models["rfm:code"]
    with app.transaction() as session:
        live = dict(session.execute(model.scores(session, as_of=as_of)).all())
    from patron_rfm.snapshots import score

    with app.transaction() as session:
        score(app, session, as_of.date())
        stored = {
            c: r * 100 + f * 10 + m
            for c, r, f, m in session.execute(
                select(RfmScore.customer_id, RfmScore.r_score, RfmScore.f_score, RfmScore.m_score)
            )
        }
    assert live == stored and len(live) == 6
    assert all(111 <= v <= 555 for v in live.values())
