"""Rules about contributed objects: scoring models, tier schemes, reports, audiences, panels, channels.

Each contract in ``core/patron/contracts.py`` says: well-formed unique name,
the declared attributes, a result of the declared shape, deterministic for the
same data, and read-only. Set-returning contracts are run against the seeded
data "as of" the start of 2026, after every seeded interaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from patron.contracts import CONTRIBUTION_KINDS, contract_members
from patron.money import Money
from patron_sdk.conformance.context import AS_OF, ConformanceContext, purchases_at_and_after_as_of
from patron_sdk.conformance.rules import rule

#: Values a report or panel may hand the renderers (``Money``: an amount with its currency).
PLAIN = (type(None), bool, int, float, str, date, datetime, Decimal, Money)
#: Per contribution kind: label, attributes, methods; derived from the contract's one table.
KINDS = {
    kind.attr: (kind.label, *contract_members(kind.type))
    for kind in CONTRIBUTION_KINDS
    if kind.attr != "web_routes"  # served by 'patron serve'; checked where the web surface is tested
}


def _rows(session: Any, query: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in session.execute(query)), key=repr)


# ---------------------------------------------------------------------------
# Registration and shape of every kind
# ---------------------------------------------------------------------------


@rule(
    "registration",
    requires="every contribution is registered under a unique, well-formed name (lower-case letters, "
    "digits and '_ - . :', starting with a letter) and collecting them raises nothing",
    fix="rename the object (e.g. '<plugin>-<thing>' or '<plugin>:<thing>') so its name matches "
    "patron.contracts.NAME_PATTERN and no other plugin uses it",
    needs_database=False,
)
def _registration(ctx: ConformanceContext) -> Iterator[str]:
    from patron.errors import PatronError

    for kind, (label, _, _) in KINDS.items():
        try:
            getattr(ctx.app, kind)
        except (PatronError, ValueError) as exc:
            yield f"registering its {label}s failed: {exc}"


@rule(
    "attributes",
    requires="every contribution has the attributes and methods its contract declares, with "
    "non-empty one-line texts (name, description/title)",
    fix="add the missing attributes (see the Protocol in core/patron/contracts.py for the kind)",
    needs_database=False,
)
def _attributes(ctx: ConformanceContext) -> Iterator[str]:
    for kind, (label, attrs, methods) in KINDS.items():
        for name, obj in ctx.contributions(kind):
            for attr in attrs:
                value = getattr(obj, attr, None)
                if value is None or (isinstance(value, str) and attr != "name" and not value.strip()):
                    yield f"{label} {name!r} has no {attr}"
            for method in methods:
                if not callable(getattr(obj, method, None)):
                    yield f"{label} {name!r} has no method {method}()"


@rule(
    "audience-names",
    requires="audience names are namespaced '<plugin>:<kind>:<value>' (e.g. rfm:segment:champions), "
    "audience families '<plugin>:<kind>' (e.g. rfm:segment)",
    fix="name the audience (or family) with the plugin's own name first",
    needs_database=False,
)
def _audience_names(ctx: ConformanceContext) -> Iterator[str]:
    for label, kind in (("audience", "audiences"), ("audience family", "audience_families")):
        for name, _ in ctx.contributions(kind):
            if not name.startswith(f"{ctx.plugin}:"):
                yield f"{label} {name!r} does not start with '{ctx.plugin}:'"


# ---------------------------------------------------------------------------
# Scoring models and tier schemes
# ---------------------------------------------------------------------------


def _check_set(label: str, name: str, rows: list[tuple[Any, ...]], customers: set[int]) -> Iterator[str]:
    bad_width = [r for r in rows if len(r) != 2]
    if bad_width:
        yield f"{label} {name!r} returned rows of {len(bad_width[0])} columns; the contract says 2"
        return
    ids = [r[0] for r in rows]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
        yield f"{label} {name!r} returned several rows for customer(s) {dupes}; one row per customer"
    unknown = sorted(i for i in set(ids) if i not in customers)[:5]
    if unknown:
        yield f"{label} {name!r} returned customer ids that do not exist: {unknown}"


def _customers(ctx: ConformanceContext) -> set[int]:
    from sqlalchemy import select

    from patron.models import Customer

    with ctx.app.sessions() as session:
        return set(session.scalars(select(Customer.id)))


@rule(
    "scoring-shape",
    requires="ScoringModel.scores(session, as_of=...) returns a SELECT of (customer_id, score) rows, "
    "one per scored customer, the score a number",
    fix="select exactly two columns, group by customer id, and make the score numeric",
)
def _scoring_shape(ctx: ConformanceContext) -> Iterator[str]:
    customers = _customers(ctx)
    for name, model in ctx.contributions("scoring_models"):
        with ctx.app.sessions() as session:
            rows = _rows(session, model.scores(session, as_of=AS_OF))
        yield from _check_set("scoring model", name, rows, customers)
        bad = [
            r for r in rows if len(r) == 2 and (isinstance(r[1], bool) or not isinstance(r[1], int | float | Decimal))
        ]
        if bad:
            yield f"scoring model {name!r} returned non-numeric score {bad[0][1]!r} for customer {bad[0][0]}"


@rule(
    "tier-shape",
    requires="TierScheme.tiers lists unique, well-formed names from lowest to highest; qualify(session, "
    "as_of=...) returns a SELECT of (customer_id, tier), one row per placed customer, tier one of tiers",
    fix="declare tiers as a tuple of distinct names and return only those names from qualify()",
)
def _tier_shape(ctx: ConformanceContext) -> Iterator[str]:
    from patron.contracts import check_name

    customers = _customers(ctx)
    for name, scheme in ctx.contributions("tier_schemes"):
        tiers = list(scheme.tiers)
        if not tiers:
            yield f"tier scheme {name!r} declares no tiers"
        if len(tiers) != len(set(tiers)):
            yield f"tier scheme {name!r} lists a tier twice: {tiers}"
        for tier in tiers:
            try:
                check_name("tier", tier)
            except ValueError as exc:
                yield f"tier scheme {name!r}: {exc}"
        with ctx.app.sessions() as session:
            rows = _rows(session, scheme.qualify(session, as_of=AS_OF))
        yield from _check_set("tier scheme", name, rows, customers)
        strays = sorted({r[1] for r in rows if len(r) == 2 and r[1] not in tiers}, key=repr)
        if strays:
            yield f"tier scheme {name!r} placed customers in undeclared tier(s) {strays}; tiers are {tiers}"


def _set_calls(ctx: ConformanceContext) -> Iterator[tuple[str, str, Any]]:
    """(label, name, call(session) -> rows) for every set-returning contribution."""
    for name, model in ctx.contributions("scoring_models"):
        yield "scoring model", name, lambda s, m=model: _rows(s, m.scores(s, as_of=AS_OF))
    for name, scheme in ctx.contributions("tier_schemes"):
        yield "tier scheme", name, lambda s, t=scheme: _rows(s, t.qualify(s, as_of=AS_OF))
    for name, audience in ctx.contributions("audiences"):
        yield "audience", name, lambda s, a=audience: _rows(s, a.query(s))
    for name, family in ctx.contributions("audience_families"):
        yield "audience family", name, lambda s, f=family: _rows(s, f.query(s))


def _read_calls(ctx: ConformanceContext) -> list[tuple[str, str, Any]]:
    """Every contribution that only reads: the set-returning ones, then reports and panels."""
    calls = list(_set_calls(ctx))
    for name, report in ctx.contributions("reports"):
        calls.append(("report", name, lambda s, r=report: r.run(ctx.app, s, _defaults(r))))
    for name, panel in ctx.contributions("customer_panels"):
        calls.append(("customer panel", name, lambda s, p=panel: [p.render(ctx.app, s, c) for c in ctx.customer_ids]))
    return calls


@rule(
    "deterministic",
    requires="scoring models, tier schemes, audiences, reports and panels return the same result "
    "for the same data and parameters (as_of included)",
    fix="do not depend on the clock (use as_of), on random numbers or on row order; break ties "
    "explicitly (e.g. ORDER BY value, customer_id)",
)
def _deterministic(ctx: ConformanceContext) -> Iterator[str]:
    calls = _read_calls(ctx)
    for label, name, call in calls:
        with ctx.app.sessions() as session:
            first = call(session)
        with ctx.app.sessions() as session:
            second = call(session)
        if not _same(first, second):
            yield f"{label} {name!r} gave different results on two runs over the same data"


def _same(a: Any, b: Any) -> bool:
    # NaN != NaN, so compare reprs: two runs of the same code produce the same repr.
    return bool(a == b) or repr(a) == repr(b)


@rule(
    "as-of",
    requires="scoring models and tier schemes compute 'as of' the given instant: data at or after "
    "as_of does not change their result (patron.contracts: only data strictly before as_of counts)",
    fix="filter every time-stamped row with occurred_at < as_of (and use as_of, not now(), for windows)",
)
def _as_of(ctx: ConformanceContext) -> Iterator[str]:
    calls = [(label, name, call) for label, name, call in _set_calls(ctx) if label != "audience"]
    yield from _unchanged_by_later_data(ctx, calls)


def _unchanged_by_later_data(ctx: ConformanceContext, calls: list[tuple[str, str, Any]]) -> Iterator[str]:
    from patron.ingest import record_interactions

    if not calls or not ctx.customer_ids:
        return
    with ctx.rolled_back() as session:
        before = {name: call(session) for _, name, call in calls}
        record_interactions(ctx.app, session, purchases_at_and_after_as_of(ctx.customer_ids[0]))
        for label, name, call in calls:
            if not _same(before[name], call(session)):
                yield f"{label} {name!r} changed when purchases dated at or after as_of were added"


@rule(
    "report-as-of",
    requires="a report with an 'as_of' date parameter honours it: run with as_of, its result does not "
    "change when purchases dated at or after 00:00 UTC of that day are added (patron.contracts)",
    fix="filter every time-stamped row with occurred_at < patron.contracts.as_of_instant(params['as_of']); "
    "derive defaults such as the currency from data before as_of too",
)
def _report_as_of(ctx: ConformanceContext) -> Iterator[str]:
    from patron.errors import PatronError

    def outcome(session: Any, report: Any) -> Any:
        try:
            return report.run(ctx.app, session, {**_defaults(report), "as_of": AS_OF.date()})
        except PatronError as exc:  # e.g. "no snapshot for that date": the same answer must come back
            return f"{type(exc).__name__}: {exc}"

    calls = [
        ("report", name, lambda s, r=report: outcome(s, r))
        for name, report in ctx.contributions("reports")
        if any(p.name == "as_of" and p.type is date for p in report.params)
    ]
    yield from _unchanged_by_later_data(ctx, calls)


@rule(
    "read-only",
    requires="scoring models, tier schemes, audiences, reports and customer panels only read: they "
    "write nothing, anywhere",
    fix="remove the writes; a plugin that must store results does so in an event hook or in its "
    "own command, not while being read",
)
def _read_only(ctx: ConformanceContext) -> Iterator[str]:
    calls = _read_calls(ctx)
    for label, name, call in calls:
        _, writes = ctx.read_only(call)
        for write in writes:
            yield f"{label} {name!r} {write}"


# ---------------------------------------------------------------------------
# Audiences and panels
# ---------------------------------------------------------------------------


@rule(
    "audience-shape",
    requires="Audience.query(session) returns a SELECT of one column, customer_id, without duplicates",
    fix="select only the customer id column and add .distinct() when a join can repeat customers",
)
def _audience_shape(ctx: ConformanceContext) -> Iterator[str]:
    customers = _customers(ctx)
    for name, audience in ctx.contributions("audiences"):
        with ctx.app.sessions() as session:
            rows = [tuple(r) for r in session.execute(audience.query(session))]
        if any(len(r) != 1 for r in rows):
            yield f"audience {name!r} returned rows of {len(rows[0])} columns; it must select customer_id only"
            continue
        ids = [r[0] for r in rows]
        if len(ids) != len(set(ids)):
            yield f"audience {name!r} returned duplicate customer ids"
        unknown = sorted(i for i in set(ids) if i not in customers)[:5]
        if unknown:
            yield f"audience {name!r} returned customer ids that do not exist: {unknown}"


@rule(
    "audience-family",
    requires="AudienceFamily.query(session) returns (customer_id, key), each customer once, and the customers "
    "with a key are exactly the members of the registered audience '<family>:<key>'",
    fix="name the family after its audiences' common prefix, select the customer id and the key that ends the "
    "audience's name, and keep only keys that name a registered audience",
)
def _audience_family(ctx: ConformanceContext) -> Iterator[str]:
    audiences = ctx.app.audiences
    for name, family in ctx.contributions("audience_families"):
        with ctx.app.sessions() as session:
            rows = [tuple(r) for r in session.execute(family.query(session))]
            if any(len(r) != 2 for r in rows):
                columns = len(rows[0])
                yield f"audience family {name!r} returned rows of {columns} columns; it must select customer_id, key"
                continue
            ids = [r[0] for r in rows]
            if len(ids) != len(set(ids)):
                yield f"audience family {name!r} placed a customer under two keys (or twice under one)"
            by_key: dict[str, set[Any]] = {}
            for customer, key in rows:
                by_key.setdefault(str(key), set()).add(customer)
            expected = {a[len(name) + 1 :] for a in audiences if a.startswith(name + ":")}
            for key in sorted(set(by_key) | expected):
                audience = f"{name}:{key}"
                if audience not in audiences:
                    yield f"audience family {name!r} put customers under key {key!r}; no audience {audience!r} exists"
                    continue
                members = {r[0] for r in session.execute(audiences[audience].query(session))}
                if members != by_key.get(key, set()):
                    extra = sorted(by_key.get(key, set()) - members, key=repr)[:5]
                    missed = sorted(members - by_key.get(key, set()), key=repr)[:5]
                    yield (
                        f"audience family {name!r}, key {key!r}: differs from audience {audience!r} "
                        f"(only in the family: {extra}; only in the audience: {missed})"
                    )


@rule(
    "panel-shape",
    requires="CustomerPanel.render returns a mapping of label -> plain value, a Table, or None",
    fix="return e.g. {'points': 120, 'tier': 'gold'} with str keys and plain values (str, numbers, "
    "bools, dates), a patron.contracts.Table, or None when there is nothing to show",
)
def _panel_shape(ctx: ConformanceContext) -> Iterator[str]:
    from patron.contracts import Table

    for name, panel in ctx.contributions("customer_panels"):
        with ctx.app.sessions() as session:
            for customer_id in ctx.customer_ids:
                content = panel.render(ctx.app, session, customer_id)
                if content is None:
                    continue
                if isinstance(content, Table):
                    yield from (f"customer panel {name!r}: {p}" for p in _table_problems(content))
                elif isinstance(content, Mapping):
                    bad = {k: v for k, v in content.items() if not isinstance(k, str) or not isinstance(v, PLAIN)}
                    if bad:
                        yield f"customer panel {name!r} returned non-plain entries {bad!r}"
                else:
                    yield f"customer panel {name!r} returned {type(content).__name__}, not a mapping, Table or None"
                    break


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


def _defaults(report: Any) -> dict[str, Any]:
    return {p.name: p.default for p in report.params}


@rule(
    "report-params",
    requires="Report.params are ReportParam objects with unique identifier names, a type among int, "
    "float, str, bool, date, and a default (or None) of that type that is among the choices",
    fix="declare params as ReportParam('name', int, default=12, help='...'); make the default fit "
    "the type and the choices",
    needs_database=False,
)
def _report_params(ctx: ConformanceContext) -> Iterator[str]:
    import re

    from patron.contracts import ReportParam

    for name, report in ctx.contributions("reports"):
        seen: set[str] = set()
        for param in report.params:
            if not isinstance(param, ReportParam):
                yield f"report {name!r} has a parameter {param!r} that is not a ReportParam"
                continue
            where = f"report {name!r} parameter {param.name!r}"
            if not re.fullmatch(r"[a-z][a-z0-9_]*", param.name or ""):
                yield f"{where}: the name must be a lower-case identifier"
            if param.name in seen:
                yield f"{where} is declared twice"
            seen.add(param.name)
            if param.type not in (int, float, str, bool, date):
                yield f"{where} has type {param.type!r}; use int, float, str, bool or datetime.date"
                continue
            if param.default is not None:
                ok = isinstance(param.default, param.type) and not (
                    param.type is int and isinstance(param.default, bool)
                )
                if param.type is float and isinstance(param.default, int) and not isinstance(param.default, bool):
                    ok = True
                if not ok:
                    yield f"{where} has default {param.default!r}, which is not a {param.type.__name__}"
            if param.choices is not None and param.default is not None and param.default not in param.choices:
                yield f"{where} has default {param.default!r}, which is not one of its choices {list(param.choices)}"


def _table_problems(table: Any) -> Iterator[str]:
    from patron.contracts import Table

    if not isinstance(table, Table):
        yield f"a table is {type(table).__name__}, not a patron.contracts.Table"
        return
    if not all(isinstance(c, str) for c in table.columns):
        yield f"table {table.name!r} has non-text column names"
    yield from _minor_problems(table)
    for i, row in enumerate(table.rows):
        if len(row) != len(table.columns):
            yield f"table {table.name!r} row {i} has {len(row)} values for {len(table.columns)} columns"
            return
        bad = [v for v in row if not isinstance(v, PLAIN)]
        if bad:
            yield f"table {table.name!r} row {i} holds a non-plain value {bad[0]!r}"
            return


MINOR_HINT = "return patron.money.Money(minor, currency) cells (or a Column with format='money'), not minor units"


def _is_minor_name(name: str) -> bool:
    return name.lower().replace(" ", "_").endswith(("_minor", "minor_units", "(minor_units)"))


def _minor_problems(table: Any) -> Iterator[str]:
    """A column named ``*_minor`` holding plain numbers shows minor units to people (``$2.5M`` as 250031563)."""
    for i, column in enumerate(table.columns):
        if not isinstance(column, str) or not _is_minor_name(column):
            continue
        values = [row[i] for row in table.rows if i < len(row)]
        if any(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            yield f"table {table.name!r} column {column!r} shows minor units as plain numbers; {MINOR_HINT}"


def summary_minor_problems(summary: Any) -> Iterator[str]:
    """A summary key named ``*_minor`` with a plain number value."""
    for key, value in dict(summary).items():
        if _is_minor_name(str(key)) and isinstance(value, int | float) and not isinstance(value, bool):
            yield f"summary value {key!r} shows minor units as a plain number; {MINOR_HINT}"


def _figure_problems(figure: Any) -> Iterator[str]:
    from patron.contracts import Figure

    if not isinstance(figure, Figure):
        yield f"a figure is {type(figure).__name__}, not a patron.contracts.Figure"
        return
    if figure.kind not in ("bar", "line", "heatmap"):
        yield f"figure {figure.name!r} has kind {figure.kind!r}; use bar, line or heatmap"
    for series, values in figure.series.items():
        if _is_minor_name(str(series)):
            yield f"figure {figure.name!r} series {series!r} charts minor units; chart major units (Money.amount)"
        if len(values) != len(figure.x):
            yield f"figure {figure.name!r} series {series!r} has {len(values)} values for {len(figure.x)} x values"
        if any(
            v is not None and (not isinstance(v, int | float | Decimal) or (isinstance(v, float) and math.isnan(v)))
            for v in values
        ):
            yield f"figure {figure.name!r} series {series!r} holds a value that is not a number or None"


@rule(
    "report-result",
    requires="Report.run with the default parameters succeeds and returns a ReportResult: a title, a "
    "summary of text keys to plain values, Tables whose rows match their columns, Figures whose "
    "series align with x; table names unique, figure names unique",
    fix="return patron.contracts.ReportResult(title=..., summary={...}, tables=(Table(...),), "
    "figures=(Figure(...),)) with plain values (convert Decimal/Row objects; no ORM objects)",
)
def _report_result(ctx: ConformanceContext) -> Iterator[str]:
    from patron.contracts import ReportResult

    for name, report in ctx.contributions("reports"):
        with ctx.app.sessions() as session:
            result = report.run(ctx.app, session, _defaults(report))
        if not isinstance(result, ReportResult):
            yield f"report {name!r} returned {type(result).__name__}, not a ReportResult"
            continue
        if not isinstance(result.title, str) or not result.title:
            yield f"report {name!r} returned an empty title"
        if not isinstance(result.summary, Mapping):
            yield f"report {name!r} summary is {type(result.summary).__name__}, not a mapping"
        else:
            bad = {k: v for k, v in result.summary.items() if not isinstance(k, str) or not isinstance(v, PLAIN)}
            if bad:
                yield f"report {name!r} summary holds non-plain entries {bad!r}"
            yield from (f"report {name!r}: {p}" for p in summary_minor_problems(result.summary))
        for table in result.tables:
            yield from (f"report {name!r}: {p}" for p in _table_problems(table))
        for figure in result.figures:
            yield from (f"report {name!r}: {p}" for p in _figure_problems(figure))
        # A figure may chart the table of the same name; within each kind names must differ
        # (CSV output writes one file per table, HTML anchors one id per figure).
        for kind, items in (("tables", result.tables), ("figures", result.figures)):
            names = [getattr(item, "name", None) for item in items]
            if len(names) != len(set(names)):
                yield f"report {name!r} has {kind} sharing a name: {names}"


# ---------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------


@rule(
    "channel-dry-run",
    requires="Channel.send(..., dry_run=True) writes and sends nothing, skips every recipient without "
    "consent, and returns a SendSummary for this channel whose counts add up to 'considered'",
    fix="check consent for (consent_channel, purpose) per recipient in one query, return early "
    "before any write when dry_run is set, and count sent + skipped + failed == considered",
)
def _channel_dry_run(ctx: ConformanceContext) -> Iterator[str]:
    from sqlalchemy import select

    from patron.contracts import Audience, SendSummary
    from patron.models import Customer

    ids = list(ctx.customer_ids)
    audience = Audience(
        f"{ctx.plugin}:conformance:seeded",
        "The customers seeded by the conformance suite.",
        lambda session: select(Customer.id).where(Customer.id.in_(ids)),
    )
    for name, channel in ctx.contributions("channels"):
        if not isinstance(getattr(channel, "consent_channel", None), str) or not channel.consent_channel:
            yield f"channel {name!r} has no consent_channel"

        def send(_session: Any, c: Any = channel) -> Any:
            return c.send(
                ctx.app,
                campaign="conformance",
                audience=audience,
                template=ctx.channel_template,
                purpose="marketing",
                dry_run=True,
            )

        summary, writes = ctx.read_only(send)
        yield from (f"channel {name!r} dry run {w}" for w in writes)
        if not isinstance(summary, SendSummary):
            yield f"channel {name!r} returned {type(summary).__name__}, not a SendSummary"
            continue
        if summary.channel != name or not summary.dry_run:
            yield f"channel {name!r} returned a summary for channel {summary.channel!r} with dry_run={summary.dry_run}"
        if summary.considered != len(ids):
            yield f"channel {name!r} considered {summary.considered} recipients; the audience has {len(ids)}"
        total = summary.sent + summary.failed + summary.skipped_no_consent + summary.skipped_already_sent
        total += sum(getattr(summary, "skipped_by_reason", {}).values())
        if total != summary.considered:
            yield f"channel {name!r} counts add up to {total}, not considered={summary.considered}"
        if summary.sent:
            yield f"channel {name!r} counted {summary.sent} sends although no recipient has consent"


__all__: Sequence[str] = ()
