"""Reports over stored snapshots: segment summary, R×F heatmap, ABC Pareto curve, migration matrix.

Every report reads snapshots only (``patron rfm score`` writes them) and
aggregates in SQL; Python only formats a handful of result rows. Without a
snapshot a report returns an empty result whose summary says what to run.
Averages and shares are rounded in Python to two decimals, half-even as
``patron.money.ROUNDING`` says for every ratio, so SQLite (float) and
PostgreSQL (numeric) print the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from patron.contracts import Column, Figure, ReportResult, Table
from patron.errors import InputError, NotFoundError
from patron.money import Money, round_ratio
from patron_rfm.abc import TIERS
from patron_rfm.currency import money_cell, snapshot_currency
from patron_rfm.models import RfmScore, RfmSnapshot
from patron_rfm.report_specs import HEATMAP, MIGRATION, PARETO, SEGMENTS
from patron_rfm.segments import SegmentRule, segment_names
from patron_rfm.snapshots import find_snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

AS_OF_KEY = Column("as_of", "Snapshot as of")
NOTE_KEY = Column("note", "Note")
NO_SNAPSHOT = "no RFM snapshot yet; run 'patron rfm score' first"


def _num(value: Any) -> float:
    return float(round_ratio(value or 0))


def _share(part: Any, whole: Any) -> float:
    """``part`` as a percentage of ``whole``, computed exactly, then rounded half-even to 2 decimals."""
    if not whole:
        return 0.0
    return float(round_ratio(Decimal(str(part or 0)) * 100 / Decimal(str(whole))))


def _snapshot(session: Session, params: Mapping[str, Any]) -> RfmSnapshot | None:
    try:
        return find_snapshot(session, params.get("as_of"))
    except NotFoundError:
        if params.get("as_of"):
            raise
        return None


def _labels(snapshot: RfmSnapshot) -> dict[str, str]:
    rules = [SegmentRule.model_validate(r) for r in snapshot.params["segments"]]
    return dict(segment_names(rules))


def _empty_scores_note(cells: Mapping[tuple[int, int], Any], method: str) -> str:
    """Why a row or column of the R×F grid is empty ("" when none is), for the note under the heatmap."""
    if not cells:
        return ""
    empty_r = [r for r in range(1, 6) if not any((r, f) in cells for f in range(1, 6))]
    empty_f = [f for f in range(1, 6) if not any((r, f) in cells for r in range(1, 6))]
    if not empty_r and not empty_f:
        return ""
    names = [f"R = {r}" for r in empty_r] + [f"F = {f}" for f in empty_f]
    why = (
        "with the quantile method customers with the same value share one score (ties take the lowest), so when "
        "many customers tie (e.g. everyone with a single purchase) the scores just above them are skipped"
        if method == "quantile"
        else "no customer's value falls between those cut points of the configured thresholds"
    )
    return f"No customer has {' or '.join(names)}: {why}."


def _cut_label(tier: str, cut: Any, curve: list[tuple[int, float]]) -> str:
    """``"80% of revenue (A): best 23% of customers"``: where the Pareto curve crosses a tier's cut."""
    first = next((p for p, share in curve if share >= float(cut)), 100)
    return f"{float(cut):g}% of revenue ({tier}): best {first}% of customers"


class SegmentSummaryReport:
    """Customers, shares and mean metrics per segment."""

    spec = SEGMENTS
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        snapshot = _snapshot(session, params)
        if snapshot is None:
            return ReportResult(self.title, {NOTE_KEY: NO_SNAPSHOT})
        s = RfmScore
        rows = session.execute(
            select(
                s.segment,
                func.count(),
                func.sum(s.monetary_minor),
                func.avg(s.recency_days),
                func.avg(s.frequency),
                func.avg(s.monetary_minor),
            )
            .where(s.snapshot_id == snapshot.id)
            .group_by(s.segment)
        ).all()
        customers = sum(r[1] for r in rows)
        revenue = sum(int(r[2]) for r in rows)
        labels = _labels(snapshot)
        currency = snapshot_currency(session, snapshot)
        found = {r[0]: r for r in rows}
        table_rows: list[list[Any]] = []
        for slug, label in labels.items():
            r = found.get(slug)
            if r is None:
                table_rows.append([label, 0, 0.0, 0.0, None, None, None])
                continue
            table_rows.append(
                [
                    label,
                    r[1],
                    _share(r[1], customers),
                    _share(r[2], revenue),
                    _num(r[3]),
                    _num(r[4]),
                    money_cell(r[5], currency),
                ]
            )
        table = Table(
            "segments",
            "Segments",
            (
                Column("segment", "Segment"),
                Column("customers", "Customers", "count"),
                Column("share_pct", "Share of customers", "percent"),
                Column("revenue_share_pct", "Share of revenue", "percent"),
                Column("mean_recency_days", "Mean recency", "days"),
                Column("mean_frequency", "Mean purchases", "number", decimals=1),
                Column("mean_monetary", "Mean spend", "money"),
            ),
            table_rows,
        )
        figure = Figure(
            "segment_sizes",
            "Customers per segment",
            "bar",
            [r[0] for r in table_rows],
            {"Customers": [float(r[1]) for r in table_rows]},
            x_label="Segment",
            y_label="Customers",
        )
        return ReportResult(
            self.title,
            {
                AS_OF_KEY: snapshot.as_of.isoformat(),
                Column("method", "Method"): snapshot.method,
                Column("customers", "Customers", "count"): customers,
                Column("revenue", "Revenue", "money"): Money(revenue, currency),
            },
            (table,),
            (figure,),
            as_of=snapshot.as_of,
        )


class HeatmapReport:
    """Mean monetary value in each cell of the R×F grid."""

    spec = HEATMAP
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        snapshot = _snapshot(session, params)
        if snapshot is None:
            return ReportResult(self.title, {NOTE_KEY: NO_SNAPSHOT})
        s = RfmScore
        cells = {
            (int(r), int(f)): (n, mean)
            for r, f, n, mean in session.execute(
                select(s.r_score, s.f_score, func.count(), func.avg(s.monetary_minor))
                .where(s.snapshot_id == snapshot.id)
                .group_by(s.r_score, s.f_score)
            )
        }
        scores = range(1, 6)
        currency = snapshot_currency(session, snapshot)
        # The chart is in major units (what people read); the table keeps exact Money cells.
        series = {
            f"R{r}": [float(money_cell(cells[(r, f)][1], currency).amount) if (r, f) in cells else None for f in scores]
            for r in reversed(scores)
        }
        rows = [[r, f, *cells.get((r, f), (0, None))] for r in reversed(scores) for f in scores]
        note = _empty_scores_note(cells, snapshot.method)
        rows = [[r, f, n, None if mean is None else money_cell(mean, currency)] for r, f, n, mean in rows]
        return ReportResult(
            self.title,
            {
                AS_OF_KEY: snapshot.as_of.isoformat(),
                Column("customers", "Customers", "count"): sum(n for n, _ in cells.values()),
            },
            (
                Table(
                    "cells",
                    "R×F cells",
                    (
                        Column("r_score", "R score", "id"),
                        Column("f_score", "F score", "id"),
                        Column("customers", "Customers", "count"),
                        Column("mean_monetary", "Mean spend", "money"),
                    ),
                    rows,
                ),
            ),
            (
                Figure(
                    "heatmap",
                    f"Mean spend ({currency}) by R and F score",
                    "heatmap",
                    [f"F{f}" for f in scores],
                    series,
                    x_label="Frequency score",
                    y_label="Recency score",
                    value_format="money",
                    currency=currency,
                    note=note,
                ),
            ),
            as_of=snapshot.as_of,
        )


class ParetoReport:
    """The ABC Pareto curve: cumulative revenue share against cumulative customer share."""

    spec = PARETO
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        snapshot = _snapshot(session, params)
        if snapshot is None:
            return ReportResult(self.title, {NOTE_KEY: NO_SNAPSHOT})
        s = RfmScore
        tiers = {
            t: (n, int(rev))
            for t, n, rev in session.execute(
                select(s.tier, func.count(), func.sum(s.monetary_minor))
                .where(s.snapshot_id == snapshot.id)
                .group_by(s.tier)
            )
        }
        positive = s.monetary_minor > 0
        ranked = (
            select(
                func.row_number().over(order_by=(s.monetary_minor.desc(), s.customer_id)).label("pos"),
                func.sum(s.monetary_minor).over(order_by=(s.monetary_minor.desc(), s.customer_id)).label("cum"),
            )
            .where(s.snapshot_id == snapshot.id, positive)
            .subquery()
        )
        currency = snapshot_currency(session, snapshot)
        n = sum(tiers.get(t, (0, 0))[0] for t in "ABC")
        total = sum(tiers.get(t, (0, 0))[1] for t in "ABC")
        curve: list[tuple[int, float]] = []
        if n:
            # One point per customer percentile: the cumulative revenue at the last customer of each percentile.
            bucket = ((ranked.c.pos * 100 + n - 1) // n).label("pct")
            points = session.execute(select(bucket, func.max(ranked.c.cum)).group_by(bucket).order_by(bucket))
            curve = [(int(p), _share(cum, total)) for p, cum in points]
        table = Table(
            "tiers",
            "ABC tiers",
            (
                Column("tier", "Tier"),
                Column("customers", "Customers", "count"),
                Column("customer_share_pct", "Share of customers", "percent"),
                Column("revenue", "Revenue", "money"),
                Column("revenue_share_pct", "Share of revenue", "percent"),
            ),
            [
                [
                    t,
                    tiers.get(t, (0, 0))[0],
                    _share(tiers.get(t, (0, 0))[0], snapshot.customers),
                    Money(tiers.get(t, (0, 0))[1], currency),
                    _share(tiers.get(t, (0, 0))[1], total),
                ]
                for t in TIERS
            ],
        )
        figure = Figure(
            "pareto",
            "Cumulative revenue share by customer share",
            "line",
            [p for p, _ in curve],
            {"Share of revenue (%)": [v for _, v in curve]},
            x_label="Customers, best first (%)",
            y_label="Revenue (%)",
            value_format="percent",
            reference_lines=[
                (float(cut), _cut_label(tier, cut, curve))
                for tier, cut in (("A", snapshot.params["abc_a_percent"]), ("A+B", snapshot.params["abc_b_percent"]))
            ]
            if curve
            else (),
        )
        params_used = snapshot.params
        return ReportResult(
            self.title,
            {
                AS_OF_KEY: snapshot.as_of.isoformat(),
                Column("customers", "Customers", "count"): snapshot.customers,
                Column("revenue", "Revenue", "money"): Money(total, currency),
                Column("a_percent", "A tier: share of revenue", "percent", decimals=0): params_used["abc_a_percent"],
                Column("b_percent", "A+B tiers: share of revenue", "percent", decimals=0): params_used["abc_b_percent"],
            },
            (table,),
            (figure,),
            as_of=snapshot.as_of,
        )


class MigrationReport:
    """How customers moved between segments from one snapshot to another."""

    spec = MIGRATION
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        dates = list(session.scalars(select(RfmSnapshot.as_of).order_by(RfmSnapshot.as_of.desc()).limit(2)))
        to_date = params.get("to_date") or (dates[0] if dates else None)
        from_date = params.get("from_date") or (dates[1] if len(dates) > 1 else None)
        if to_date is None or from_date is None:
            return ReportResult(
                self.title, {NOTE_KEY: "needs two RFM snapshots; run 'patron rfm score --as-of DATE' for two dates"}
            )
        if from_date >= to_date:
            raise InputError(f"rfm-migration: from_date {from_date} must be before to_date {to_date}")
        before, after = find_snapshot(session, from_date), find_snapshot(session, to_date)
        a, b = RfmScore.__table__.alias("a"), RfmScore.__table__.alias("b")
        gone, new = "(not scored)", "(not scored)"
        stayed_or_left = (
            select(a.c.segment.label("seg_from"), func.coalesce(b.c.segment, gone).label("seg_to"))
            .select_from(a.outerjoin(b, (b.c.customer_id == a.c.customer_id) & (b.c.snapshot_id == after.id)))
            .where(a.c.snapshot_id == before.id)
        )
        arrived = (
            select(func.coalesce(a.c.segment, new).label("seg_from"), b.c.segment.label("seg_to"))
            .select_from(b.outerjoin(a, (a.c.customer_id == b.c.customer_id) & (a.c.snapshot_id == before.id)))
            .where(b.c.snapshot_id == after.id, a.c.customer_id.is_(None))
        )
        moves = stayed_or_left.union_all(arrived).subquery()
        counts = {
            (f, t): n
            for f, t, n in session.execute(
                select(moves.c.seg_from, moves.c.seg_to, func.count()).group_by(moves.c.seg_from, moves.c.seg_to)
            )
        }
        labels = {**_labels(before), **_labels(after), gone: gone}
        order = list(labels)
        rows = [[labels[f], *[counts.get((f, t), 0) for t in order]] for f in order]
        moved = sum(n for (f, t), n in counts.items() if f != t)
        return ReportResult(
            self.title,
            {
                Column("from", "From snapshot"): from_date.isoformat(),
                Column("to", "To snapshot"): to_date.isoformat(),
                Column("customers_moved", "Customers who moved", "count"): moved,
                Column("customers_stayed", "Customers who stayed", "count"): sum(
                    n for (f, t), n in counts.items() if f == t
                ),
            },
            (
                Table(
                    "matrix",
                    "Segment before (rows) → after (columns)",
                    (Column("from \\ to", "Before \\ after"), *[Column(labels[t], labels[t], "count") for t in order]),
                    rows,
                ),
            ),
            (
                Figure(
                    "matrix",
                    "Customers by segment before (rows) and after (columns)",
                    "heatmap",
                    [labels[t] for t in order],
                    {labels[f]: [float(counts.get((f, t), 0)) for t in order] for f in order},
                    x_label=f"Segment on {to_date.isoformat()}",
                    y_label=f"Segment on {from_date.isoformat()}",
                    value_format="count",
                    note="The diagonal holds the customers who stayed in their segment; "
                    "(not scored) means not in that snapshot (no purchase before its date).",
                ),
            ),
        )


def reports() -> list[Any]:
    """Every report this plugin offers, as implementations (the plugin registers ``report_specs.SPECS``)."""
    return [SegmentSummaryReport(), HeatmapReport(), ParetoReport(), MigrationReport()]
