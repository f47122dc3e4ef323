"""``patron demo``: deterministic synthetic data, a fresh SQLite database, every report rendered."""

from __future__ import annotations

import typing
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from patron import hookimpl
from patron.cli import build_cli
from patron.demo.build import SHIPPED_DISTRIBUTIONS, shipped_plugins
from patron.demo.generate import EMAIL_DOMAINS, generate
from patron.models import Consent, Customer, Interaction
from patron.refresh import refresh as run_refresh


def run_demo(directory: Path, *args: str, env: dict[str, str] | None = None):
    argv = ["demo", str(directory), *args]
    return CliRunner().invoke(build_cli(argv), argv, catch_exceptions=False, env=env)


def test_generator_is_deterministic_and_seeded():
    a, b, other = generate(120, seed=7), generate(120, seed=7), generate(120, seed=8)
    assert a == b
    assert a.customers != other.customers


def test_generated_data_has_the_promised_shape():
    data = generate(600, seed=42)
    purchases = [r for r in data.interactions if r["kind"] == "purchase"]
    by_month = Counter(r["occurred_at"].month for r in purchases)
    # Seasonality: November and December each beat the average of January to October.
    assert min(by_month[11], by_month[12]) > sum(by_month[m] for m in range(1, 11)) / 10
    per_customer = sorted(Counter(r["customer_external_id"] for r in purchases).values(), reverse=True)
    assert per_customer[0] >= 10 * per_customer[len(per_customer) // 2]  # a long tail of frequent buyers
    refunds = [r for r in data.interactions if r["kind"] == "refund"]
    # The core refund convention (patron.kinds): positive amount, same currency, refund_of names the purchase.
    by_id = {r["external_id"]: r for r in purchases}
    assert refunds and all(r["amount_minor"] > 0 for r in refunds)
    for r in refunds:
        bought = by_id[r["payload"]["refund_of"]]
        assert (bought["customer_external_id"], bought["currency"]) == (r["customer_external_id"], r["currency"])
        assert bought["occurred_at"] < r["occurred_at"]
    assert {r["channel"] for r in data.interactions} == {"web", "store", "phone", "email"}
    assert all(c["email"].rsplit("@", 1)[1] in EMAIL_DOMAINS for c in data.customers)
    assert len({c["external_id"] for c in data.customers}) == 600
    assert len({r["external_id"] for r in data.interactions}) == len(data.interactions)


def test_emails_go_only_to_customers_who_consented_at_that_time():
    data = generate(300, seed=3)
    log: dict[str, list[tuple]] = {}
    for ext, channel, granted, at, _ in data.consents:
        if channel == "email":
            log.setdefault(ext, []).append((at, granted))
    for row in (r for r in data.interactions if r["kind"] == "email_sent"):
        state = [g for at, g in sorted(log[row["customer_external_id"]]) if at <= row["occurred_at"]]
        assert state and state[-1] is True


def test_shipped_plugins_are_only_the_repositorys_own():
    from importlib.metadata import entry_points

    found = shipped_plugins()
    assert "probe" not in found and not any(name.startswith("broken") for name in found)
    expected = {ep.name for ep in entry_points(group="patron") if ep.dist and ep.dist.name in SHIPPED_DISTRIBUTIONS}
    assert set(found) == expected


def test_demo_writes_database_reports_and_index(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "demo"
    result = run_demo(target, "--customers", "60")
    assert result.exit_code == 0, result.output
    assert "What to try next" in result.output and "patron report run overview" in result.output
    for name in ("patron.toml", "patron.db", "index.html", "reports/overview.html", "reports/overview.md"):
        assert (target / name).is_file(), name
        assert str(target / name) in result.output
    index = (target / "index.html").read_text(encoding="utf-8")
    for page in (target / "reports").glob("*.html"):
        assert f'href="reports/{page.name}"' in index
    toml = (target / "patron.toml").read_text(encoding="utf-8")
    assert "probe" not in toml
    engine = create_engine(f"sqlite:///{target / 'patron.db'}")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Customer)) == 60
        assert conn.scalar(select(func.count()).select_from(Interaction)) == len(generate(60).interactions)
        assert conn.scalar(select(func.count()).select_from(Consent)) == len(generate(60).consents)
        # Every demo refund claws back the points its purchase earned (issue 9: none did).
        refunds = [r for r in generate(60).interactions if r["kind"] == "refund"]
        clawbacks = conn.execute(text("SELECT count(*), sum(points) FROM loyalty_ledger WHERE kind = 'reverse'")).one()
        assert refunds and clawbacks[0] == len(refunds) and clawbacks[1] < 0
    engine.dispose()
    again = run_demo(target, "--customers", "60")
    assert again.exit_code == 6 and "already holds a Patron demo" in again.output and "--force" in again.output
    assert run_demo(target, "--customers", "30", "--force").exit_code == 0


def test_demo_never_replaces_a_users_own_setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "patron.toml").write_text("[patron]\n", encoding="utf-8")
    (tmp_path / "mine" / "patron.db").write_bytes(b"precious")
    refused = run_demo(tmp_path / "mine", "--force")
    assert refused.exit_code == 6 and "did not write" in refused.output
    assert (tmp_path / "mine" / "patron.db").read_bytes() == b"precious"


def test_demo_output_is_reproducible(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    assert run_demo(tmp_path / "a", "--customers", "40", env=env).exit_code == 0
    assert run_demo(tmp_path / "b", "--customers", "40", env=env).exit_code == 0
    for name in ("overview.html", "overview.md"):
        assert (tmp_path / "a/reports" / name).read_bytes() == (tmp_path / "b/reports" / name).read_bytes()


class Refreshing:
    """A plugin with a refresh job, found through the patron_refresh hook."""

    calls: typing.ClassVar[list[object]] = []

    @hookimpl
    def patron_refresh(self, app, as_of):
        Refreshing.calls.append(as_of)
        return "scored 0 customers"


@pytest.mark.sqlite_only
def test_plugin_refresh_jobs_run_through_the_hook(patron_app, patron_inline_plugin):
    from datetime import UTC, datetime

    patron_inline_plugin(patron_app, Refreshing(), name="refreshing")
    when = datetime(2025, 1, 1, tzinfo=UTC)
    assert run_refresh(patron_app, when) == ["refreshing: scored 0 customers"]
    assert Refreshing.calls == [when]
