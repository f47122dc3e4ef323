"""Discovery, config validation, CLI, reports, audiences, panel and GDPR export/erase."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from patron.errors import ConfigError
from patron.money import Money
from patron_loyalty.models import LedgerEntry
from patron_loyalty.testing import balance
from patron_sdk.data import T0, customers, purchase, refund


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["loyalty"])


def test_plugin_is_discovered_and_listed(app, patron_cli):
    result = patron_cli(app, "plugins", "list")
    assert result.exit_code == 0, result.output
    assert "loyalty" in result.output
    assert "loyalty" in app.plugin_names


def test_bad_config_names_the_key(make_patron_app):
    with pytest.raises(ConfigError, match=r"plugins\.loyalty\.classic_thresholds.*thresholds must increase"):
        make_patron_app(
            plugins=["loyalty"],
            config={"loyalty": {"classic_thresholds": {"silver": 10, "gold": 5, "diamond": 20}}},
            migrate=False,
        )
    with pytest.raises(ConfigError, match=r"plugins\.loyalty\.rounding"):
        make_patron_app(plugins=["loyalty"], config={"loyalty": {"rounding": "bankers"}}, migrate=False)
    with pytest.raises(ConfigError, match=r"plugins\.loyalty\.nonsense"):
        make_patron_app(plugins=["loyalty"], config={"loyalty": {"nonsense": 1}}, migrate=False)


def test_cli_round_trip(app, patron_cli):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 5000)
    out = patron_cli(app, "loyalty", "balance", "c0", "--json")
    assert json.loads(out.output) == {"customer": "c0", "points": 50, "tier": None}
    out = patron_cli(app, "loyalty", "redeem", "c0", "20", "--reason", "voucher", "--key", "k1")
    assert out.exit_code == 0 and "balance 30" in out.output
    out = patron_cli(app, "loyalty", "redeem", "c0", "31", "--reason", "voucher")
    assert out.exit_code == 8 and "insufficient points" in out.output
    out = patron_cli(app, "loyalty", "adjust", "c0", "+5", "--reason", "goodwill")
    assert out.exit_code == 0 and "balance 35" in out.output
    out = patron_cli(app, "loyalty", "history", "c0", "--json")
    assert [e["kind"] for e in json.loads(out.output)] == ["adjust", "redeem", "earn"]
    out = patron_cli(app, "loyalty", "balance", "nobody")
    assert out.exit_code == 7 and "no customer 'nobody'" in out.output
    out = patron_cli(app, "loyalty", "tiers", "recompute", "--as-of", "2025-02-01")
    assert out.exit_code == 0 and "1 customers reviewed, 1 changed" in out.output
    out = patron_cli(app, "loyalty", "tiers", "list")
    assert "* classic" in out.output and "regular" in out.output
    out = patron_cli(app, "loyalty", "expire", "--as-of", "2030-01-01")
    assert out.exit_code == 0 and "expired 2 lots" in out.output
    out = patron_cli(app, "loyalty", "check")
    assert out.exit_code == 0 and "ledger ok" in out.output


def test_check_reports_a_tampered_account(app, patron_cli):
    from sqlalchemy import update

    from patron_loyalty.models import LoyaltyAccount

    (c,) = customers(app, 1)
    purchase(app, c, "p1", 5000)
    with app.transaction() as session:
        session.execute(update(LoyaltyAccount).values(balance=999))
    out = patron_cli(app, "loyalty", "check")
    assert out.exit_code == 1
    assert "balance = sum of ledger" in out.output


def test_reports(app):
    from patron_loyalty.redemption import redeem

    a, b = customers(app, 2)
    purchase(app, a, "a1", 10000, when=datetime(2025, 1, 5, tzinfo=UTC))
    purchase(app, b, "b1", 2000, when=datetime(2025, 2, 5, tzinfo=UTC))
    refund(app, b, "b1r", "b1", 2000, when=datetime(2025, 2, 6, tzinfo=UTC))
    redeem(app, a, 30, "gift")
    from patron_loyalty.tiers import recompute

    with app.transaction() as session:
        recompute(app, session, datetime(2025, 3, 1, tzinfo=UTC))
    reports = app.reports
    with app.transaction() as session:
        liab = reports["loyalty-liability"].run(app, session, {"as_of": None})
        act = reports["loyalty-activity"].run(app, session, {"since": date(2025, 1, 1), "until": date(2025, 2, 28)})
        tiers = reports["loyalty-tiers"].run(app, session, {"since": None, "until": None})
    assert liab.summary["outstanding points"] == 70
    assert liab.summary["liability"] == Money(70, "EUR")
    assert [tuple(r) for r in act.tables[0].rows] == [("2025-01", 100, 0, 0, 0, 0), ("2025-02", 20, 0, 0, 0, -20)]
    assert tiers.summary == {"customers with a tier": 2, "tier changes": 2}
    assert sorted(tuple(r) for r in tiers.tables[1].rows) == [("classic", "(none)", "regular", "initial", 2)]


def test_audience_and_panel(app):
    from patron_loyalty.tiers import recompute

    a, _b = customers(app, 2)
    purchase(app, a, "a1", 60000, when=T0)
    with app.transaction() as session:
        recompute(app, session, datetime(2025, 2, 1, tzinfo=UTC))
        members = set(session.scalars(app.audiences["loyalty:tier:silver"].query(session)))
        panel = app.customer_panels["loyalty"].render(app, session, a)
        none = app.customer_panels["loyalty"].render(app, session, 10_000)
    assert members == {a}
    assert panel["points"] == 600 and panel["tier"] == "silver"
    assert none is None


def test_export_and_erase_pseudonymise_without_deleting(app):
    from patron_loyalty import privacy
    from patron_loyalty.redemption import redeem

    (c,) = customers(app, 1)
    purchase(app, c, "p1", 5000)
    redeem(app, c, 10, "for Jane Doe's birthday", key="jane-doe-1")
    with app.transaction() as session:
        data = privacy.export(session, c)
    assert data["balance"] == 40 and len(data["ledger"]) == 2
    with app.transaction() as session:
        privacy.erase(session, c)
        privacy.erase(session, c)
    with app.transaction() as session:
        reasons = session.scalars(select(LedgerEntry.reason).order_by(LedgerEntry.id)).all()
        keys = session.scalars(select(LedgerEntry.idempotency_key)).all()
        count = session.scalar(select(func.count()).select_from(LedgerEntry))
    assert count == 2 and reasons == [None, "[erased]"]
    assert not any("jane" in k for k in keys)
    assert balance(app, c) == 40


def test_readme_documents_every_config_key_with_its_default():
    from pathlib import Path

    from patron_loyalty.config import LoyaltyConfig

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [key for key in LoyaltyConfig.model_fields if f"| `{key}` | " not in readme]
    assert missing == []


def test_expiry_months_zero_means_points_never_expire(make_patron_app):
    from patron_loyalty.expiry import expire

    app = make_patron_app(plugins=["loyalty"], config={"loyalty": {"expiry_months": 0}})
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000, when=datetime(2000, 1, 1, tzinfo=UTC))
    assert expire(app, datetime(2100, 1, 1, tzinfo=UTC)) == 0
    assert balance(app, c) == 10


def test_liability_currency_comes_from_the_data_not_a_default(make_patron_app):
    # Issue 9, bug 7: on USD data the liability was stated in EUR (a hard-coded default).
    app = make_patron_app(plugins=["loyalty"])
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 5000, currency="USD")
    with app.transaction() as session:
        liab = app.reports["loyalty-liability"].run(app, session, {"as_of": None})
    assert liab.summary["liability"] == Money(50, "USD")
    purchase(app, c, "p2", 5000, currency="EUR")
    with app.transaction() as session, pytest.raises(ConfigError, match="point_value_currency"):
        app.reports["loyalty-liability"].run(app, session, {"as_of": None})
    configured = make_patron_app(plugins=["loyalty"], config={"loyalty": {"point_value_currency": "GBP"}})
    (d,) = customers(configured, 1, prefix="g")
    purchase(configured, d, "g-p1", 5000, currency="USD")
    with configured.transaction() as session:
        result = configured.reports["loyalty-liability"].run(configured, session, {"as_of": None})
    assert result.summary["liability"].currency == "GBP"  # the configured worth of a point wins


def test_liability_as_of_excludes_that_day(app):
    # Issue 9, bug 5: loyalty-liability counted the as_of day itself; every other report excludes it.
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 5000, when=datetime(2025, 3, 1, 9, tzinfo=UTC))
    with app.transaction() as session:
        run = app.reports["loyalty-liability"].run
        assert run(app, session, {"as_of": date(2025, 3, 1)}).summary["outstanding points"] == 0
        assert run(app, session, {"as_of": date(2025, 3, 2)}).summary["outstanding points"] == 50


def test_refund_is_not_an_earning_kind(make_patron_app):
    from pydantic import ValidationError

    from patron_loyalty.config import LoyaltyConfig

    with pytest.raises(ValidationError, match="earn_kinds lists 'refund'"):
        LoyaltyConfig(earn_kinds=["purchase", "refund"])
    with pytest.raises(ValidationError, match="refund_kind"):
        LoyaltyConfig.model_validate({"refund_kind": "refund"})
