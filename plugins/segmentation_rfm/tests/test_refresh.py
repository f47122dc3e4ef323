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
