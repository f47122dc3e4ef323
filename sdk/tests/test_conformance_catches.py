"""The conformance suite catches broken plugins: one case per contract violation it reports.

``Good`` is an inline plugin that keeps every rule (the control test proves it);
each case breaks exactly one thing and asserts that the suite reports that rule,
with a message naming the rule, what it requires, how to fix it, and the detail.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Select, func, insert, literal, select

from patron import CONTRACT_VERSION, PluginManifest, hookimpl
from patron.contracts import Audience, AudienceFamily, ReportParam, ReportResult, SendSummary, Table
from patron.models import AuditEvent, Customer, Interaction
from patron_sdk.conformance import RULES, ConformanceContext, Violation, build_context, check_plugin

pytest_plugins = ["pytester"]

NAME = "broken"
MANIFEST = PluginManifest(name=NAME, contract=CONTRACT_VERSION, description="Inline plugin for conformance tests.")


# -- well-behaved contributions ------------------------------------------------


class SpendModel:
    name = "broken:spend"
    description = "Spend before as_of."

    def scores(self, session: Any, *, as_of: datetime) -> Select[Any]:
        return (
            select(Interaction.customer_id, func.sum(Interaction.amount_minor))
            .where(Interaction.kind == "purchase", Interaction.occurred_at < as_of)
            .group_by(Interaction.customer_id)
        )


class BuyerTiers:
    name = "broken:buyers"
    description = "Buyer or browser."
    tiers: tuple[str, ...] = ("browser", "buyer")

    def qualify(self, session: Any, *, as_of: datetime) -> Select[Any]:
        buyers = select(Interaction.customer_id).where(Interaction.occurred_at < as_of).distinct().subquery()
        return select(buyers.c.customer_id, literal("buyer"))


class CountReport:
    name = "broken-count"
    title = "Counts"
    description = "How many customers."
    params: tuple[ReportParam, ...] = (ReportParam("limit", int, default=10, help="At most."),)

    def run(self, app: Any, session: Any, params: Mapping[str, Any]) -> Any:
        n = session.scalar(select(func.count()).select_from(Customer))
        return ReportResult("Counts", {"customers": n}, (Table("t", "T", ("customers",), [(n,)]),))


class Panel:
    name = "broken-panel"
    title = "Broken"

    def render(self, app: Any, session: Any, customer_id: int) -> Any:
        return {"id": customer_id}


class Channel:
    name = "broken-sms"
    description = "Sends nothing."
    consent_channel = "sms"

    def send(
        self, app: Any, *, campaign: str, audience: Audience, template: str, purpose: str, dry_run: bool = False
    ) -> SendSummary:
        with app.transaction() as session:
            n = session.scalar(select(func.count()).select_from(audience.query(session).subquery())) or 0
        return SendSummary(self.name, audience.name, n, 0, n, 0, 0, dry_run)


def everyone() -> Audience:
    return Audience("broken:all:customers", "Everyone.", lambda session: select(Customer.id))


def family(key: str = "customers", buyers_only: bool = False) -> AudienceFamily:
    """The family ``broken:all`` of ``everyone()``: every customer under ``key``."""

    def query(session: Any) -> Select[Any]:
        chosen = select(Customer.id, literal(key).label("key"))
        if buyers_only:
            chosen = chosen.where(Customer.id.in_(select(Interaction.customer_id)))
        return chosen

    return AudienceFamily("broken:all", "Everyone, by one key.", query)


class Good:
    """Implements a bit of everything, correctly; cases replace one attribute."""

    MANIFEST = MANIFEST

    def __init__(self, **overrides: Any) -> None:
        self.model: Any = SpendModel()
        self.scheme: Any = BuyerTiers()
        self.report: Any = CountReport()
        self.panel: Any = Panel()
        self.channel: Any = Channel()
        self.audience: Any = everyone()
        self.family: Any = family()
        self.config: Any = None
        self.migrations: Any = None
        for key, value in overrides.items():
            setattr(self, key, value)

    @hookimpl
    def patron_config_model(self) -> Any:
        return self.config

    @hookimpl
    def patron_migrations(self) -> Any:
        return self.migrations

    @hookimpl
    def patron_scoring_models(self, register: Callable[[Any], None]) -> None:
        register(self.model)

    @hookimpl
    def patron_tier_schemes(self, register: Callable[[Any], None]) -> None:
        register(self.scheme)

    @hookimpl
    def patron_reports(self, register: Callable[[Any], None]) -> None:
        register(self.report)

    @hookimpl
    def patron_customer_panels(self, register: Callable[[Any], None]) -> None:
        register(self.panel)

    @hookimpl
    def patron_channels(self, register: Callable[[Any], None]) -> None:
        register(self.channel)

    @hookimpl
    def patron_audiences(self, register: Callable[[Any], None]) -> None:
        register(self.audience)

    @hookimpl
    def patron_audience_families(self, register: Callable[[Any], None]) -> None:
        register(self.family)


# -- one defect each -----------------------------------------------------------


class NoDescription(Good):
    MANIFEST = PluginManifest(name=NAME, contract=CONTRACT_VERSION)


class RequiredConfig(BaseModel):
    api_key: str
    retries: int = 3


class PersonalWithoutHooks(Good):
    MANIFEST = replace(MANIFEST, stores_personal_data=True)


class BadExport(Good):
    MANIFEST = replace(MANIFEST, stores_personal_data=True)

    @hookimpl
    def patron_customer_export(self, customer_id: int) -> dict[str, Any]:
        return {"seen": datetime(2025, 1, 1)}

    @hookimpl
    def patron_customer_erase(self, customer_id: int) -> None:
        return None


class CommitsInEvent(Good):
    @hookimpl
    def patron_customers_upserted(self, session: Any, customer_ids: Any) -> None:
        session.execute(insert(AuditEvent).values(actor="broken", action="noted", entity="customer"))
        session.commit()


class ThreeColumns(SpendModel):
    def scores(self, session: Any, *, as_of: datetime) -> Select[Any]:
        return select(Interaction.customer_id, Interaction.amount_minor, Interaction.kind)


class TextScore(SpendModel):
    def scores(self, session: Any, *, as_of: datetime) -> Select[Any]:
        return select(Customer.id, literal("high"))


class RandomScore(SpendModel):
    def scores(self, session: Any, *, as_of: datetime) -> Select[Any]:
        return select(Customer.id, literal(random.random()))


class SpendReport:
    """Spend as of a date: honours as_of (``inclusive=False``), ignores it (None) or counts that day (True)."""

    name = "broken-spend"
    title = "Spend"
    description = "Total spend as of a date."
    params = (ReportParam("as_of", date, default=None, help="As of."),)

    def __init__(self, inclusive: bool | None = False) -> None:
        self.inclusive = inclusive

    def run(self, app: Any, session: Any, params: Mapping[str, Any]) -> Any:
        from datetime import timedelta

        from patron.contracts import as_of_instant

        query = select(func.coalesce(func.sum(Interaction.amount_minor), 0))
        if params["as_of"] is not None and self.inclusive is not None:
            end = as_of_instant(params["as_of"]) + (timedelta(days=1) if self.inclusive else timedelta())
            query = query.where(Interaction.occurred_at < end)
        return ReportResult("Spend", {"spend": session.scalar(query)})


class IgnoresAsOf(SpendModel):
    def scores(self, session: Any, *, as_of: datetime) -> Select[Any]:
        return select(Interaction.customer_id, func.count()).group_by(Interaction.customer_id)


class UndeclaredTier(BuyerTiers):
    tiers = ("browser",)


class WritingReport(CountReport):
    def run(self, app: Any, session: Any, params: Mapping[str, Any]) -> Any:
        session.execute(insert(AuditEvent).values(actor="report", action="ran", entity="report"))
        return super().run(app, session, params)


class AddingPanel(Panel):
    def render(self, app: Any, session: Any, customer_id: int) -> Any:
        session.add(AuditEvent(actor="panel", action="viewed", entity="customer", details={}))
        return None


class ListPanel(Panel):
    def render(self, app: Any, session: Any, customer_id: int) -> Any:
        return [customer_id]


class BadParams(CountReport):
    params = (
        ReportParam("limit", int, default="ten"),
        ReportParam("order", str, default="size", choices=("spend", "recency")),
        ReportParam("since", datetime, default=None),
    )


class DictReport(CountReport):
    def run(self, app: Any, session: Any, params: Mapping[str, Any]) -> Any:
        return {"customers": 3}


class RaggedReport(CountReport):
    def run(self, app: Any, session: Any, params: Mapping[str, Any]) -> Any:
        return ReportResult("Ragged", {"day": date(2025, 1, 1)}, (Table("t", "T", ("a", "b"), [(1,)]),))


class TwoTablesOneName(CountReport):
    def run(self, app: Any, session: Any, params: Mapping[str, Any]) -> Any:
        table = Table("t", "T", ("n",), [(1,)])
        return ReportResult("Twice", {}, (table, table))


class SendsInDryRun(Channel):
    def send(
        self, app: Any, *, campaign: str, audience: Audience, template: str, purpose: str, dry_run: bool = False
    ) -> SendSummary:
        summary = super().send(
            app, campaign=campaign, audience=audience, template=template, purpose=purpose, dry_run=dry_run
        )
        return replace(summary, sent=summary.considered, skipped_no_consent=0)


def _migrations(tmp: Path, body: str, label: str = NAME) -> str:
    folder = tmp / f"migrations-{label}"
    folder.mkdir(exist_ok=True)
    (folder / "broken_0001.py").write_text(
        textwrap.dedent(f"""
        import sqlalchemy as sa
        from alembic import op
        revision = "broken_0001"
        down_revision = None
        branch_labels = ({label!r},)
        depends_on = None
        def upgrade():
            {body}
        def downgrade():
            pass
    """),
        encoding="utf-8",
    )
    return str(folder)


@dataclass(frozen=True)
class Case:
    rule: str
    plugin: Callable[[Path], object]
    detail: str


CASES = {
    "no-manifest-description": Case("manifest", lambda _: NoDescription(), "MANIFEST.description is empty"),
    "config-without-default": Case(
        "config-defaults", lambda _: Good(config=RequiredConfig), "without a default: api_key"
    ),
    "config-not-pydantic": Case("config-defaults", lambda _: Good(config=dict), "not a pydantic BaseModel"),
    "relative-migrations": Case("migrations-dir", lambda _: Good(migrations="migrations"), "relative path"),
    "missing-migrations": Case("migrations-dir", lambda t: Good(migrations=str(t / "nowhere")), "not a directory"),
    "migration-without-branch-label": Case(
        "migrations-dir",
        lambda t: Good(migrations=_migrations(t, "pass", label="misc")),
        "must include 'broken'",
    ),
    "failing-migration": Case(
        "migrations-upgrade",
        lambda t: Good(migrations=_migrations(t, "op.execute('SELECT * FROM no_such_table')")),
        "no_such_table",
    ),
    "personal-data-without-hooks": Case(
        "personal-data-hooks", lambda _: PersonalWithoutHooks(), "patron_customer_export is not implemented"
    ),
    "export-not-json": Case("export-erase", lambda _: BadExport(), "not JSON-serialisable"),
    "event-commits": Case("events-in-unit-of-work", lambda _: CommitsInEvent(), "changed table 'audit_events'"),
    "bad-name": Case(
        "registration",
        lambda _: Good(report=type("R", (CountReport,), {"name": "Bad Name"})()),
        "'Bad Name' is not valid",
    ),
    "missing-description": Case(
        "attributes", lambda _: Good(channel=type("C", (Channel,), {"description": ""})()), "has no description"
    ),
    "audience-not-namespaced": Case(
        "audience-names",
        lambda _: Good(audience=Audience("everyone", "All.", lambda s: select(Customer.id))),
        "does not start with 'broken:'",
    ),
    "audience-family-not-namespaced": Case(
        "audience-names",
        lambda _: Good(family=AudienceFamily("all", "Everyone.", family().query)),
        "audience family 'all' does not start with 'broken:'",
    ),
    "score-three-columns": Case("scoring-shape", lambda _: Good(model=ThreeColumns()), "rows of 3 columns"),
    "score-not-numeric": Case("scoring-shape", lambda _: Good(model=TextScore()), "non-numeric score 'high'"),
    "undeclared-tier": Case("tier-shape", lambda _: Good(scheme=UndeclaredTier()), "undeclared tier(s) ['buyer']"),
    "random-score": Case("deterministic", lambda _: Good(model=RandomScore()), "different results on two runs"),
    "ignores-as-of": Case("as-of", lambda _: Good(model=IgnoresAsOf()), "dated at or after as_of"),
    "report-ignores-as-of": Case(
        "report-as-of", lambda _: Good(report=SpendReport(inclusive=None)), "report 'broken-spend' changed"
    ),
    "report-includes-the-as-of-day": Case(
        "report-as-of", lambda _: Good(report=SpendReport(inclusive=True)), "dated at or after as_of"
    ),
    "report-writes": Case("read-only", lambda _: Good(report=WritingReport()), "changed table 'audit_events'"),
    "panel-adds-object": Case("read-only", lambda _: Good(panel=AddingPanel()), "ORM object(s) in the session"),
    "audience-duplicates": Case(
        "audience-shape",
        lambda _: Good(audience=Audience("broken:buyers:all", "Buyers.", lambda s: select(Interaction.customer_id))),
        "duplicate customer ids",
    ),
    "audience-two-columns": Case(
        "audience-shape",
        lambda _: Good(audience=Audience("broken:x:y", "Two.", lambda s: select(Customer.id, Customer.name))),
        "rows of 2 columns",
    ),
    "family-disagrees-with-its-audience": Case(
        "audience-family",
        lambda _: Good(family=family(buyers_only=True)),
        "key 'customers': differs from audience 'broken:all:customers' (only in the family: []; only in the audience:",
    ),
    "family-key-without-audience": Case(
        "audience-family", lambda _: Good(family=family("everybody")), "no audience 'broken:all:everybody' exists"
    ),
    "panel-returns-list": Case("panel-shape", lambda _: Good(panel=ListPanel()), "returned list"),
    "param-default-wrong-type": Case("report-params", lambda _: Good(report=BadParams()), "'ten', which is not a int"),
    "param-default-not-a-choice": Case("report-params", lambda _: Good(report=BadParams()), "not one of its choices"),
    "param-bad-type": Case("report-params", lambda _: Good(report=BadParams()), "use int, float, str, bool"),
    "report-returns-dict": Case(
        "report-result", lambda _: Good(report=DictReport()), "returned dict, not a ReportResult"
    ),
    "report-ragged-row": Case(
        "report-result", lambda _: Good(report=RaggedReport()), "row 0 has 1 values for 2 columns"
    ),
    "report-tables-share-a-name": Case(
        "report-result", lambda _: Good(report=TwoTablesOneName()), "has tables sharing a name: ['t', 't']"
    ),
    "channel-sends-without-consent": Case(
        "channel-dry-run", lambda _: Good(channel=SendsInDryRun()), "although no recipient has consent"
    ),
}


@pytest.fixture
def check(patron_db_url: str, tmp_path: Path) -> Iterator[Callable[..., list[Violation]]]:
    contexts: list[ConformanceContext] = []

    def run(plugin: object, rules: list[str] | None = None) -> list[Violation]:
        ctx = build_context(patron_db_url, tmp_path, NAME, inline=plugin)
        contexts.append(ctx)
        return check_plugin(ctx, rules)

    yield run
    for ctx in contexts:
        ctx.app.dispose()


def test_the_good_plugin_keeps_every_rule(check: Callable[..., list[Violation]]) -> None:
    assert check(Good()) == []


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_violation_is_reported_with_rule_and_fix(
    case: Case, check: Callable[..., list[Violation]], tmp_path: Path
) -> None:
    found = check(case.plugin(tmp_path), [case.rule])
    assert found, f"rule {case.rule} did not catch the defect"
    text = "\n".join(str(v) for v in found)
    rule = next(r for r in RULES if r.id == case.rule)
    assert f"[{case.rule}] plugin 'broken'" in text
    assert f"rule: {rule.requires}" in text
    assert f"fix:  {rule.fix}" in text
    assert case.detail in text


def test_every_rule_has_a_case_that_breaks_it() -> None:
    untested = {r.id for r in RULES} - {c.rule for c in CASES.values()} - {"cli-light-import"}
    assert not untested, f"add a broken-plugin case for: {sorted(untested)}"


def test_heavy_cli_import_is_reported(
    check: Callable[..., list[Violation]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "patron_heavycli.py").write_text(
        textwrap.dedent("""
        import click
        import jinja2  # heavy at module level: the defect
        from patron import CONTRACT_VERSION, PluginManifest, hookimpl
        MANIFEST = PluginManifest(name="broken", contract=CONTRACT_VERSION, description="Heavy CLI.")
        @hookimpl
        def patron_cli_commands(cli):
            cli.add_command(click.Command("heavy"))
    """),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("patron_heavycli")
    text = "\n".join(str(v) for v in check(module, ["cli-light-import"]))
    assert "[cli-light-import]" in text and "imports jinja2 at module level" in text
    assert "move imports of SQLAlchemy" in text


def test_the_one_line_hookup_fails_the_broken_rules_in_pytest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PATRON_TEST_POSTGRES_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(
        test_plugin=f"""
        import importlib.util
        import sys
        from patron_sdk.conformance import conformance_tests

        spec = importlib.util.spec_from_file_location("catches_helpers", {str(Path(__file__))!r})
        helpers = importlib.util.module_from_spec(spec)
        sys.modules["catches_helpers"] = helpers
        spec.loader.exec_module(helpers)
        Good, WritingReport = helpers.Good, helpers.WritingReport

        TestConformance = conformance_tests("broken", inline=Good(report=WritingReport()), backends=["sqlite"],
                                            skip={{"cli-light-import": "inline object"}})
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--import-mode=importlib")
    result.assert_outcomes(passed=len(RULES) - 2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*test_rule?sqlite-read-only?*",
            "*[[]read-only[]] plugin 'broken': report 'broken-count' changed table 'audit_events'*",
        ]
    )
    assert "fix:  remove the writes" in result.stdout.str()


def test_unknown_rule_in_skip_is_refused() -> None:
    from patron_sdk.conformance import conformance_tests

    with pytest.raises(ValueError, match="unknown rule"):
        conformance_tests("probe", skip={"no-such-rule": "why"})


def test_a_report_that_honours_as_of_keeps_the_report_as_of_rule(check: Callable[..., list[Violation]]) -> None:
    assert check(Good(report=SpendReport(inclusive=False)), ["report-as-of"]) == []
