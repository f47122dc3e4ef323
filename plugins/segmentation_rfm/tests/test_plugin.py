"""The plugin end to end: discovery, CLI, explain, audiences, reports, panel, export and erase."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from patron.errors import InputError, NotFoundError
from patron.money import Money

AS_OF = date(2024, 7, 1)


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.fixture
def shop(make_patron_app, rfm):
    """Ten customers: c9 buys most often, most recently and most; c0 once, long ago, little."""
    app = make_patron_app(plugins=["rfm"])
    rows = [
        rfm.Row(f"c{i}", at(2024, 1 + (i % 6), 1 + k), "purchase", 1000 * (i + 1) ** 2)
        for i in range(10)
        for k in range(i + 1)
    ]
    rfm.load(app, rows)
    return app


def test_plugin_is_discovered_and_listed(shop, patron_cli):
    result = patron_cli(shop, "plugins", "list")
    assert result.exit_code == 0, result.output
    assert "rfm" in result.output


def test_score_cli_stores_a_snapshot_and_reports_replacement(shop, patron_cli):
    first = patron_cli(shop, "rfm", "score", "--as-of", "2024-07-01")
    assert first.exit_code == 0 and "RFM snapshot 2024-07-01 stored: 10 customers scored." in first.output
    again = patron_cli(shop, "rfm", "score", "--as-of", "2024-07-01", "--json")
    assert json.loads(again.output) | {"snapshot_id": 0} == {
        "snapshot_id": 0,
        "as_of": "2024-07-01",
        "customers": 10,
        "replaced": True,
    }
    listed = patron_cli(shop, "rfm", "snapshots")
    assert "2024-07-01  quantile          10 customers" in listed.output


def test_score_cli_refuses_a_bad_date_with_the_expected_format(shop, patron_cli):
    result = patron_cli(shop, "rfm", "score", "--as-of", "1st of July")
    assert result.exit_code == InputError.exit_code
    assert "--as-of '1st of July' is not a date; use YYYY-MM-DD" in result.output


def test_explain_shows_metrics_cutoffs_scores_and_the_rule(shop, patron_cli, rfm_score):
    rfm_score(shop, AS_OF)
    result = patron_cli(shop, "rfm", "explain", "c9")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Customer c9" in out and "RFM snapshot 2024-07-01 (quantile)" in out
    # c9: 10 purchases from 2024-04-01 to 04-10 → recency 82 days; 10 × 100,000 minor units.
    # Money as people read it, never minor units (10 purchases of $1,000.00).
    assert "frequency" in out and "→ F = 5" in out
    assert re.search(r"^  monetary +\$10,000\.00  → M = 5$", out, re.MULTILINE), out
    assert "1000000" not in out and "minor" not in out
    assert "cut-offs (score: range): 1: 1–2; 2: 3–4; 3: 5–6; 4: 7–8; 5: 9–10" in out
    assert "5: $7,290.00–$10,000.00" in out  # the M cut-offs, formatted too
    # Recency ranks 8th of 10 (two customers bought later) → R = 1 + floor(5 × 7 / 10) = 4.
    assert "82  → R = 4" in out
    assert "code 455 → Loyal, by rule 2: R 3-4, F 4-5, M 1-5 → Loyal" in out
    data = json.loads(patron_cli(shop, "rfm", "explain", "c9", "--json").output)
    assert data["code"] == f"{data['scores']['r']}{data['scores']['f']}{data['scores']['m']}"
    assert data["tier"] == "A" and data["metrics"]["frequency"] == 10
    # Machines keep the exact minor units and the currency beside the formatted amount.
    assert data["metrics"]["monetary_minor"] == 1_000_000 and data["currency"] == "USD"
    assert data["monetary"] == "$10,000.00"


def test_explain_says_what_to_do_when_something_is_missing(shop, patron_cli, rfm_score):
    no_snapshot = patron_cli(shop, "rfm", "explain", "c1")
    assert no_snapshot.exit_code == NotFoundError.exit_code
    assert "no RFM snapshot yet; run 'patron rfm score' first" in no_snapshot.output
    rfm_score(shop, AS_OF)
    unknown = patron_cli(shop, "rfm", "explain", "nobody")
    assert unknown.exit_code == NotFoundError.exit_code
    assert "no customer 'nobody': give its external id or #<internal id>" in unknown.output
    other_date = patron_cli(shop, "rfm", "explain", "c1", "--as-of", "2020-01-01")
    assert "run 'patron rfm score --as-of 2020-01-01' first" in other_date.output


def test_segments_cli_lists_the_rules_in_effect(shop, patron_cli):
    out = patron_cli(shop, "rfm", "segments").output
    assert "5-5   4-5   1-5      10  Champions (rfm:segment:champions)" in out
    assert len(json.loads(patron_cli(shop, "rfm", "segments", "--json").output)) == 11


def test_audiences_follow_the_latest_snapshot(shop, rfm, rfm_score):
    names = set(shop.audiences)
    assert {"rfm:segment:champions", "rfm:segment:cant_lose_them", "rfm:tier:a", "rfm:tier:d"} <= names
    rfm_score(shop, AS_OF)
    stored = rfm.stored(shop, AS_OF)
    with shop.transaction() as s:
        from patron.models import Customer

        for audience, pick in (("rfm:tier:a", lambda v: v[7] == "A"), ("rfm:segment:lost", lambda v: v[6] == "lost")):
            ids = set(s.scalars(shop.audiences[audience].query(s)))
            ext = set(s.scalars(select(Customer.external_id).where(Customer.id.in_(ids)))) if ids else set()
            assert ext == {c for c, v in stored.items() if pick(v)}
    assert any(v[7] == "A" for v in stored.values())


def test_reports_summarise_the_snapshot(shop, rfm, rfm_score):
    empty = shop.reports["rfm-segments"]
    with shop.transaction() as s:
        assert "run 'patron rfm score'" in empty.run(shop, s, {"as_of": None}).summary["note"]
    rfm_score(shop, AS_OF)
    stored = rfm.stored(shop, AS_OF)
    with shop.transaction() as s:
        summary = shop.reports["rfm-segments"].run(shop, s, {"as_of": None})
        heat = shop.reports["rfm-heatmap"].run(shop, s, {"as_of": AS_OF})
        pareto = shop.reports["rfm-pareto"].run(shop, s, {"as_of": None})
    rows = {r[0]: r for r in summary.tables[0].rows}
    assert len(rows) == 11 and sum(r[1] for r in rows.values()) == 10
    assert summary.summary["revenue"].minor == sum(v[2] for v in stored.values())
    champions = [v for v in stored.values() if v[6] == "champions"]
    assert rows["Champions"][1] == len(champions)
    assert sum(r[2] for r in rows.values()) == pytest.approx(100, abs=0.1)
    fig = heat.figures[0]
    assert fig.kind == "heatmap" and list(fig.x) == ["F1", "F2", "F3", "F4", "F5"] and next(iter(fig.series)) == "R5"
    cell = [v for v in stored.values() if v[3] == 5 and v[4] == 5]
    # Charted in major units (the mean rounded to the minor unit), as people read money.
    expected = round(sum(v[2] for v in cell) / len(cell)) / 100 if cell else None
    assert fig.series["R5"][4] == (pytest.approx(expected) if cell else None)
    tiers = {r[0]: r for r in pareto.tables[0].rows}
    assert {t: tiers[t][1] for t in "ABCD"} == {t: sum(v[7] == t for v in stored.values()) for t in "ABCD"}
    curve = pareto.figures[0].series["Share of revenue (%)"]
    assert curve[-1] == 100.0 and curve == sorted(curve)


def test_migration_report_counts_moves_between_two_snapshots(shop, rfm, rfm_score):
    rfm_score(shop, date(2024, 3, 1))
    rfm_score(shop, AS_OF)
    before, after = rfm.stored(shop, date(2024, 3, 1)), rfm.stored(shop, AS_OF)
    with shop.transaction() as s:
        result = shop.reports["rfm-migration"].run(shop, s, {"from_date": None, "to_date": None})
        with pytest.raises(InputError, match="from_date 2024-07-01 must be before to_date 2024-03-01"):
            shop.reports["rfm-migration"].run(shop, s, {"from_date": AS_OF, "to_date": date(2024, 3, 1)})
    assert result.summary["from"] == "2024-03-01" and result.summary["to"] == "2024-07-01"
    new_customers = set(after) - set(before)
    assert new_customers
    table = result.tables[0]
    not_scored_row = next(r for r in table.rows if r[0] == "(not scored)")
    assert sum(not_scored_row[1:]) == len(new_customers)
    total = sum(sum(r[1:]) for r in table.rows)
    assert total == len(set(before) | set(after))
    stayed = sum(1 for c in before if c in after and before[c][6] == after[c][6])
    assert result.summary["customers_stayed"] == stayed


def test_panel_export_and_erase(shop, rfm, rfm_score, patron_factory, patron_cli):
    rfm_score(shop, AS_OF)
    panel = shop.customer_panels["rfm"]
    with shop.transaction() as s:
        from patron.models import Customer

        cid = s.scalar(select(Customer.id).where(Customer.external_id == "c9"))
        shown = panel.render(shop, s, cid)
        exported = dict(shop.call_each("patron_customer_export", app=shop, session=s, customer_id=cid))["rfm"]
    assert shown["tier"] == "A" and shown["frequency"] == 10 and shown["as_of"] == "2024-07-01"
    assert shown["monetary"] == Money(1_000_000, "USD")  # shown as $10,000.00 by the customer view
    assert "  Monetary: $10,000.00" in patron_cli(shop, "customers", "show", "c9").output
    view = json.loads(patron_cli(shop, "customers", "show", "c9", "--json").output)
    panel_json = next(p["content"] for p in view["panels"] if p["name"] == "rfm")
    assert panel_json["monetary"] == {"amount": "10000.00", "currency": "USD"}  # exact for machines
    # The segment's label as the preset names it (not its machine name).
    from patron_rfm.segments import DEFAULT_PRESET

    assert shown["segment"] in {rule.segment for rule in DEFAULT_PRESET}
    assert exported["snapshots"][0]["monetary_minor"] == 1_000_000
    with shop.transaction() as s:
        list(shop.call_each("patron_customer_erase", app=shop, session=s, customer_id=cid))
        list(shop.call_each("patron_customer_erase", app=shop, session=s, customer_id=cid))  # idempotent
        s.execute(Customer.__table__.update().where(Customer.id == cid).values(erased_at=datetime.now(UTC)))
    with shop.transaction() as s:
        assert panel.render(shop, s, cid) is None
        assert dict(shop.call_each("patron_customer_export", app=shop, session=s, customer_id=cid))["rfm"] is None
    # An erased customer is not profiled again.
    rfm_score(shop, AS_OF)
    assert "c9" not in rfm.stored(shop, AS_OF) and len(rfm.stored(shop, AS_OF)) == 9


def test_explain_in_thresholds_mode_shows_the_configured_cut_points(make_patron_app, rfm, rfm_score, patron_cli):
    app = make_patron_app(plugins=["rfm"], config={"rfm": {"method": "thresholds"}})
    rfm.load(app, [rfm.Row("t", at(2024, 6, 1), "purchase", 7_500), rfm.Row("t", at(2024, 5, 1), "purchase", 100)])
    rfm_score(app, AS_OF)
    out = patron_cli(app, "rfm", "explain", "t").output
    assert "RFM snapshot 2024-07-01 (thresholds)" in out
    assert "30  → R = 4" in out and "5: < 30; 4: 30–89; 3: 90–179; 2: 180–364; 1: ≥ 365" in out
    assert "2  → F = 2" in out and "1: < 2; 2: 2–2; 3: 3–4; 4: 5–9; 5: ≥ 10" in out
    assert "$76.00  → M = 2" in out
    lines = out.splitlines()
    m_cuts = lines[next(i for i, line in enumerate(lines) if line.startswith("  monetary")) + 1]
    assert m_cuts.strip().startswith("cut-offs (score: range): 1: < $") and "minor" not in out, out
    assert "code 422 → Potential Loyalist, by rule 3: R 4-5, F 2-3, M 1-5 → Potential Loyalist" in out


def test_audiences_follow_a_configured_preset(make_patron_app, rfm, rfm_score):
    preset = [{"segment": "Everyone Else", "m": "1-4"}, {"segment": "Big Spenders", "m": "5"}]
    app = make_patron_app(plugins=["rfm"], config={"rfm": {"segments": preset}})
    assert {n for n in app.audiences if n.startswith("rfm:segment:")} == {
        "rfm:segment:everyone_else",
        "rfm:segment:big_spenders",
    }
    rfm.load(app, [rfm.Row(f"c{i}", at(2024, 6, 1), "purchase", 100 * (i + 1)) for i in range(5)])
    rfm_score(app, AS_OF)
    with app.transaction() as s:
        big = list(s.scalars(app.audiences["rfm:segment:big_spenders"].query(s)))
    assert len(big) == 1
