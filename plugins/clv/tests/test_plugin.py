"""The plugin end to end: discovery, CLI, scoring models, audiences, reports, panel, export, erase, refresh."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from patron import hookimpl
from patron.contracts import Audience
from patron.errors import ConfigError, InputError, NotFoundError
from patron.money import Money

END = date(2025, 1, 1)


@pytest.fixture
def shop(make_patron_app, clv):
    app = make_patron_app(plugins=["clv"])
    clv.simulated_shop(app)
    return app


def stored(app, calibration_end=END):
    """external id → ClvScore row of the fit for ``calibration_end``."""
    from patron.models import Customer
    from patron_clv.models import ClvFit, ClvScore

    with app.transaction() as s:
        rows = s.execute(
            select(Customer.external_id, ClvScore)
            .join(Customer, Customer.id == ClvScore.customer_id)
            .join(ClvFit, ClvFit.id == ClvScore.fit_id)
            .where(ClvFit.calibration_end == calibration_end)
        )
        return {ext: score for ext, score in rows}


def test_plugin_is_discovered_and_listed(shop, patron_cli):
    result = patron_cli(shop, "plugins", "list")
    assert result.exit_code == 0, result.output
    assert "clv" in result.output


def test_fit_cli_stores_a_fit_and_reports_replacement(shop, patron_cli):
    first = patron_cli(shop, "clv", "fit", "--calibration-end", "2025-01-01")
    assert first.exit_code == 0, first.output
    assert "CLV fit 2025-01-01 stored: 200 customers." in first.output
    assert "BG/NBD (n = 200, log-likelihood" in first.output and "95% [" in first.output
    assert "correlation of frequency and mean spend" in first.output
    again = json.loads(patron_cli(shop, "clv", "fit", "--calibration-end", "2025-01-01", "--json").output)
    assert again["replaced"] is True and again["customers"] == 200
    assert set(again["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    assert set(again["gamma_gamma"]["se"]) == {"p", "q", "gamma"}
    params = json.loads(patron_cli(shop, "clv", "params", "--json").output)
    assert params["calibration_end"] == "2025-01-01" and params["unit"] == "week" and params["currency"] == "USD"
    assert params["bgnbd"]["params"] == again["bgnbd"]["params"]
    assert params["bgnbd"]["log_likelihood"] < 0
    for name, (lo, hi) in params["bgnbd"]["ci95"].items():
        assert lo < params["bgnbd"]["params"][name] < hi
    text = patron_cli(shop, "clv", "params").output
    assert "CLV fit 2025-01-01: 200 customers, time unit week, currency USD, horizon 12 months at 1.00%/month." in text


def test_show_prints_the_customers_predictions(shop, patron_cli, clv):
    no_fit = patron_cli(shop, "clv", "show", "s001")
    assert no_fit.exit_code == NotFoundError.exit_code
    assert "no CLV fit yet; run 'patron clv fit' first" in no_fit.output
    clv.fit(shop, END)
    row = stored(shop)["s001"]
    data = json.loads(patron_cli(shop, "clv", "show", "s001", "--json").output)
    assert data["external_id"] == "s001" and data["calibration_end"] == "2025-01-01"
    assert data["p_alive"] == row.p_alive and data["clv_minor"] == row.clv_minor and data["T"] == row.tenure
    text = patron_cli(shop, "clv", "show", f"#{data['customer_id']}").output
    assert "Customer s001" in text and f"P(alive)                 {row.p_alive:.4f}" in text
    cents = Decimal(str(row.clv_minor)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    assert f"CLV                      ${cents / 100:,.2f}, rank {row.clv_rank} of 200" in text
    assert "minor units" not in text
    unknown = patron_cli(shop, "clv", "show", "nobody")
    assert unknown.exit_code == NotFoundError.exit_code and "no customer 'nobody'" in unknown.output


def test_bad_dates_get_one_line_errors(shop, patron_cli):
    bad = patron_cli(shop, "clv", "fit", "--calibration-end", "1st of July")
    assert bad.exit_code == InputError.exit_code
    assert "--calibration-end '1st of July' is not a date; use YYYY-MM-DD" in bad.output
    backwards = patron_cli(shop, "clv", "fit", "--calibration-end", "2024-10-01", "--holdout-end", "2024-09-01")
    assert backwards.exit_code == InputError.exit_code
    assert "--holdout-end 2024-09-01 must be after --calibration-end 2024-10-01" in backwards.output
    empty = patron_cli(shop, "clv", "fit", "--calibration-end", "2020-01-01")
    assert empty.exit_code == InputError.exit_code and "no purchases before 2020-01-01" in empty.output


def test_a_fit_that_cannot_work_says_what_to_try(make_patron_app, patron_cli, clv):
    app = make_patron_app(plugins=["clv"])
    clv.shop(app, [(f"c{i}", clv.utc(2024, 1 + i, 1), 1000) for i in range(5)])
    result = patron_cli(app, "clv", "fit", "--calibration-end", "2025-01-01")
    assert result.exit_code == InputError.exit_code
    assert "Traceback" not in result.output
    assert "no customer bought twice in the calibration period" in result.output
    assert "use a later --calibration-end" in result.output


def test_scoring_models_read_the_fit_in_effect_at_as_of(shop, clv):
    clv.fit(shop, date(2024, 7, 1))
    clv.fit(shop, END)
    rows = stored(shop)
    with shop.transaction() as s:
        from patron.models import Customer

        names = dict(s.execute(select(Customer.id, Customer.external_id)).all())
        value = dict(
            s.execute(shop.scoring_models["clv:value"].scores(s, as_of=datetime(2025, 3, 1, tzinfo=UTC))).all()
        )
        alive = dict(
            s.execute(shop.scoring_models["clv:p_alive"].scores(s, as_of=datetime(2025, 1, 1, tzinfo=UTC))).all()
        )
        earlier = dict(
            s.execute(shop.scoring_models["clv:value"].scores(s, as_of=datetime(2024, 12, 31, 23, tzinfo=UTC))).all()
        )
        none = list(s.execute(shop.scoring_models["clv:value"].scores(s, as_of=datetime(2024, 6, 30, tzinfo=UTC))))
    assert {names[c]: v for c, v in value.items()} == {ext: r.clv_minor for ext, r in rows.items()}
    assert {names[c]: v for c, v in alive.items()} == {ext: r.p_alive for ext, r in rows.items()}
    # Before 2025-01-01 the fit of 2024-07-01 is the one in effect; before that there is none.
    assert {names[c]: v for c, v in earlier.items()} == {
        ext: r.clv_minor for ext, r in stored(shop, date(2024, 7, 1)).items()
    }
    assert none == []


def test_audiences_follow_the_latest_fit(make_patron_app, clv):
    app = make_patron_app(plugins=["clv"], config={"clv": {"at_risk_p_alive": 0.6, "at_risk_value_share": 0.5}})
    clv.simulated_shop(app)
    assert {"clv:top-decile", "clv:at-risk"} <= set(app.audiences)
    clv.fit(app, END)
    rows = stored(app)
    by_clv = sorted(rows, key=lambda ext: (-rows[ext].clv_minor, rows[ext].customer_id))
    by_value = sorted(rows, key=lambda ext: (-rows[ext].total_value_minor, rows[ext].customer_id))
    expected_top = set(by_clv[: math.ceil(len(rows) / 10)])
    expected_risk = {ext for ext in by_value[: int(len(rows) * 0.5)] if rows[ext].p_alive < 0.6}
    with app.transaction() as s:
        from patron.models import Customer

        def members(name):
            ids = select(app.audiences[name].query(s).subquery().c[0])
            return set(s.scalars(select(Customer.external_id).where(Customer.id.in_(ids))))

        assert members("clv:top-decile") == expected_top and len(expected_top) == 20
        assert members("clv:at-risk") == expected_risk and expected_risk


def test_distribution_report(shop, clv):
    with shop.transaction() as s:
        assert (
            "run 'patron clv fit'"
            in shop.reports["clv-distribution"].run(shop, s, {"calibration_end": None}).summary["note"]
        )
    clv.fit(shop, END)
    rows = stored(shop)
    with shop.transaction() as s:
        result = shop.reports["clv-distribution"].run(shop, s, {"calibration_end": None})
    deciles = result.tables[0].rows
    assert [r[0] for r in deciles] == list(range(1, 11)) and all(r[1] == 20 for r in deciles)
    assert sum(r[5] for r in deciles) == pytest.approx(100, abs=0.1)
    assert deciles[0][4].minor > deciles[-1][4].minor
    # Money as money: USD cells rounded half-even to the cent, never minor units as plain numbers.
    assert all(isinstance(r[i], Money) and r[i].currency == "USD" for r in deciles for i in (2, 3, 4))
    total = result.summary["total_clv"]
    assert result.summary["monthly_discount_pct"] == 1.0  # the default 1 % a month, shown as a percentage
    assert float(total.amount) == pytest.approx(sum(r.clv_minor for r in rows.values()) / 100, abs=0.01)
    assert sum(r[1] for r in result.tables[1].rows) == 200
    # Each customer in the bucket floor(10 * P(alive)), 1.0 in the last: on PostgreSQL a cast rounded
    # (0.96 went to an eleventh bucket the table never shows, and the customer was lost).
    buckets = [min(9, math.floor(r.p_alive * 10)) for r in rows.values()]
    assert [r[1] for r in result.tables[1].rows] == [buckets.count(b) for b in range(10)]


def test_by_segment_report_uses_any_audience_family(make_patron_app, clv, patron_cli):
    app = make_patron_app(plugins=["clv", "rfm"])
    clv.simulated_shop(app)
    clv.fit(app, END)
    assert patron_cli(app, "rfm", "score", "--as-of", "2025-01-01").exit_code == 0
    with app.transaction() as s:
        result = app.reports["clv-by-segment"].run(app, s, {"calibration_end": None, "family": "rfm:segment"})
        tiers = app.reports["clv-by-segment"].run(app, s, {"calibration_end": None, "family": "rfm:tier"})
        with pytest.raises(NotFoundError, match="no audience family 'loyalty:tier'; families: rfm:segment, rfm:tier"):
            app.reports["clv-by-segment"].run(app, s, {"calibration_end": None, "family": "loyalty:tier"})
    rows = result.tables[0].rows
    assert all(r[1].startswith("rfm:segment:") for r in rows) and len(rows) == 11
    assert {r[0] for r in rows} >= {"Champions", "Can't Lose Them"}  # the audiences' titles, not their slugs
    assert sum(r[2] for r in rows) == 200  # every fitted customer is in exactly one segment
    assert sum(r[5] for r in rows) == pytest.approx(100, abs=0.1)
    assert sum(r[2] for r in tiers.tables[0].rows) == 200
    # Every row equals a plain computation from each audience's members and the stored scores.
    scores = {v.customer_id: v for v in stored(app).values()}
    with app.transaction() as s:
        for _title, name, n, _total, mean, _share, _alive in rows:
            members = set(s.scalars(app.audiences[name].query(s))) & set(scores)
            assert n == len(members), name
            if members:
                expected = sum(scores[c].clv_minor for c in members) / len(members) / 100
                assert float(mean.amount) == pytest.approx(expected, abs=0.01), name
    champions = next(r for r in rows if r[1] == "rfm:segment:champions")
    lost = next(r for r in rows if r[1] == "rfm:segment:lost")
    assert champions[4].minor > lost[4].minor  # champions are worth more than lost customers


class EveryoneAudience:
    """An audience no family covers: ``clv-by-segment`` reads it through its own query."""

    @hookimpl
    def patron_audiences(self, register):
        from patron.models import Customer

        register(Audience("probe:all:customers", "Every customer.", lambda s: select(Customer.id)))


def test_by_segment_reads_families_in_one_query_and_other_audiences_one_by_one(
    make_patron_app, clv, patron_cli, patron_inline_plugin
):
    app = make_patron_app(plugins=["clv", "rfm"])
    clv.simulated_shop(app)
    clv.fit(app, END)
    assert patron_cli(app, "rfm", "score", "--as-of", "2025-01-01").exit_code == 0
    patron_inline_plugin(app, EveryoneAudience(), "probe")
    assert set(app.audience_families) == {"rfm:segment", "rfm:tier"}
    with app.transaction() as s:
        rows = app.reports["clv-by-segment"].run(app, s, {"calibration_end": None, "family": None}).tables[0].rows
    names = [r[1] for r in rows]
    assert names == [n for n in app.audiences if not n.startswith("clv:")]  # registration order, families or not
    assert {n.rsplit(":", 1)[0] for n in names} == {"rfm:segment", "rfm:tier", "probe:all"}
    scores = {v.customer_id: v for v in stored(app).values()}
    with app.transaction() as s:
        for _title, name, n, total, mean, _share, alive in rows:
            members = set(s.scalars(app.audiences[name].query(s))) & set(scores)
            assert n == len(members), name
            clv_sum = sum(scores[c].clv_minor for c in members)
            # Within a cent: SQL sums floats in another order than Python.
            assert total.currency == "USD" and total.minor == pytest.approx(clv_sum, abs=1), name
            assert (mean is None) == (not members), name
            if members:
                assert mean.currency == "USD" and mean.minor == pytest.approx(clv_sum / len(members), abs=1), name
                assert alive == pytest.approx(sum(scores[c].p_alive for c in members) / len(members), abs=1e-4)
    assert next(r for r in rows if r[1] == "probe:all:customers")[2] == 200
    assert any(r[2] == 0 and r[3] == Money(0, "USD") for r in rows)  # an empty segment still shows, with zeros


def test_panel_export_and_erase(shop, clv):
    clv.fit(shop, END)
    row = stored(shop)["s001"]
    panel = shop.customer_panels["clv"]
    with shop.transaction() as s:
        cid = row.customer_id
        shown = panel.render(shop, s, cid)
        exported = dict(shop.call_each("patron_customer_export", app=shop, session=s, customer_id=cid))["clv"]
    assert shown["p_alive"] == round(row.p_alive, 4) and shown["clv_rank"] == f"{row.clv_rank} of 200"
    assert shown["clv"] == Money(round(row.clv_minor), "USD")  # money as money, not minor units
    assert exported["fits"][0]["clv_minor"] == row.clv_minor and exported["fits"][0]["calibration_end"] == "2025-01-01"
    with shop.transaction() as s:
        from patron.models import Customer

        list(shop.call_each("patron_customer_erase", app=shop, session=s, customer_id=cid))
        list(shop.call_each("patron_customer_erase", app=shop, session=s, customer_id=cid))  # idempotent
        s.execute(Customer.__table__.update().where(Customer.id == cid).values(erased_at=datetime.now(UTC)))
    with shop.transaction() as s:
        assert panel.render(shop, s, cid) is None
        assert dict(shop.call_each("patron_customer_export", app=shop, session=s, customer_id=cid))["clv"] is None
    # An erased customer is not profiled again.
    clv.fit(shop, END)
    assert "s001" not in stored(shop) and len(stored(shop)) == 199


def refresh(app, as_of):
    """What 'patron refresh' prints for this plugin, through the app's one dispatch path."""
    return [f"{name}: {said}" for name, said in app.call_each("patron_refresh", app=app, as_of=as_of)]


def test_refresh_refits_idempotently(shop):
    as_of = datetime(2025, 1, 1, 6, tzinfo=UTC)
    first = refresh(shop, as_of)
    assert any(line.startswith("clv: CLV fit 2025-01-01: 200 customers") for line in first)
    before = stored(shop)
    assert refresh(shop, as_of) == first
    assert {k: v.clv_minor for k, v in stored(shop).items()} == {k: v.clv_minor for k, v in before.items()}


def test_refresh_explains_when_it_cannot_fit(make_patron_app):
    as_of = datetime(2025, 1, 1, 6, tzinfo=UTC)
    empty = make_patron_app(plugins=["clv"])
    (line,) = [x for x in refresh(empty, as_of) if x.startswith("clv:")]
    assert "CLV not refitted for 2025-01-01" in line and "no purchases before 2025-01-01" in line


def test_config_is_validated_with_the_key_named(make_patron_app):
    with pytest.raises(ConfigError, match=r"plugins\.clv\.unit"):
        make_patron_app(plugins=["clv"], config={"clv": {"unit": "month"}})


def test_readme_lists_every_config_key():
    from patron_clv.config import ClvConfig

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [key for key in ClvConfig.model_fields if f"| `{key}` | " not in readme]
    assert missing == []


def test_reports_render_through_the_cli_in_every_format(shop, patron_cli, tmp_path):
    fitted = patron_cli(shop, "clv", "fit", "--calibration-end", "2024-09-01", "--holdout-end", "2025-01-01")
    assert fitted.exit_code == 0, fitted.output
    assert "Holdout to 2025-01-01: predicted" in fitted.output
    for name in ("clv-distribution", "clv-by-segment", "clv-holdout"):
        for fmt in ("html", "md", "csv", "json"):
            out = tmp_path / f"{name}.{fmt}"
            result = patron_cli(shop, "report", "run", name, "--format", fmt, "-o", str(out))
            assert result.exit_code == 0, (name, fmt, result.output)
            assert out.exists() and out.stat().st_size > 0
    holdout = json.loads((tmp_path / "clv-holdout.json").read_text(encoding="utf-8"))
    assert "<svg" in (tmp_path / "clv-holdout.html").read_text(encoding="utf-8")
    assert json.dumps(holdout).count("2025-01-01") >= 1
