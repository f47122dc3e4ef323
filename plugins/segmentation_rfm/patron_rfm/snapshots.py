"""Scoring runs stored as snapshots: compute, replace atomically, find, and describe cut-offs.

``score`` writes a snapshot with one INSERT … SELECT (the database computes and
stores every row; nothing passes through Python per customer) into a table
without foreign keys, so no key is checked per row (see migration ``rfm_0002``). Re-scoring an
as-of date that already has a snapshot deletes and rewrites it in the same
transaction, so readers see the old snapshot or the new one, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, literal, select, update

from patron.errors import NotFoundError
from patron.models import utcnow
from patron_rfm.config import RfmConfig
from patron_rfm.metrics import Window, default_as_of
from patron_rfm.models import RfmScore, RfmSnapshot
from patron_rfm.scoring import OUTPUT_COLUMNS, scores_query

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


@dataclass(frozen=True)
class ScoreRun:
    """What ``score`` did: the snapshot id, its as-of date, customers scored, whether one was replaced."""

    snapshot_id: int
    as_of: date
    customers: int
    replaced: bool


def plugin_config(app: App) -> RfmConfig:
    """The validated ``[plugins.rfm]`` settings; ConfigError when rfm is not enabled in ``app``."""
    return app.plugin_config("rfm", RfmConfig)


def window_for(session: Session, config: RfmConfig, as_of: date | None) -> Window:
    """The measurement window for ``as_of`` (default: the day after the last interaction)."""
    return Window(
        as_of=as_of or default_as_of(session),
        window_days=config.window_days,
        purchase_kinds=tuple(config.purchase_kinds),
    )


def parameters(config: RfmConfig, window: Window) -> dict[str, Any]:
    """The parameters stored with a snapshot, enough to reproduce it."""
    return {
        "method": config.method,
        "window_days": window.window_days,
        "purchase_kinds": list(window.purchase_kinds),
        "thresholds": config.thresholds.model_dump() if config.method == "thresholds" else None,
        "abc_a_percent": config.abc_a_percent,
        "abc_b_percent": config.abc_b_percent,
        "segments": [rule.model_dump() for rule in config.segments],
    }


def score(app: App, session: Session, as_of: date | None = None) -> ScoreRun:
    """Compute and store the snapshot for ``as_of`` inside the caller's transaction."""
    config = plugin_config(app)
    window = window_for(session, config, as_of)
    old = session.scalar(select(RfmSnapshot.id).where(RfmSnapshot.as_of == window.as_of))
    if old is not None:
        session.execute(delete(RfmScore).where(RfmScore.snapshot_id == old))
        session.execute(delete(RfmSnapshot).where(RfmSnapshot.id == old))
    snapshot_id = session.scalar(
        insert(RfmSnapshot)
        .values(
            as_of=window.as_of,
            computed_at=utcnow(),
            method=config.method,
            params=parameters(config, window),
            customers=0,
        )
        .returning(RfmSnapshot.id)
    )
    assert snapshot_id is not None
    rows = scores_query(window, config, session.get_bind().dialect.name).subquery("rows")
    written = session.execute(
        insert(RfmScore).from_select(
            ["snapshot_id", *OUTPUT_COLUMNS],
            select(
                literal(snapshot_id, RfmScore.snapshot_id.type).label("snapshot_id"),
                *(rows.c[name] for name in OUTPUT_COLUMNS),
            ),
        ),
        # SQLAlchemy keeps the driver's rowcount of an INSERT only when asked (else -1).
        execution_options={"preserve_rowcount": True},
    )
    count = written.rowcount  # type: ignore[attr-defined]
    assert count >= 0, "the driver did not report how many score rows were written"
    session.execute(update(RfmSnapshot).where(RfmSnapshot.id == snapshot_id).values(customers=count))
    return ScoreRun(snapshot_id, window.as_of, count, replaced=old is not None)


def find_snapshot(session: Session, as_of: date | None = None) -> RfmSnapshot:
    """The snapshot for ``as_of`` (default: the latest); NotFoundError saying what to run when missing."""
    query = select(RfmSnapshot)
    query = query.where(RfmSnapshot.as_of == as_of) if as_of else query.order_by(RfmSnapshot.as_of.desc()).limit(1)
    snapshot = session.scalar(query)
    if snapshot is None:
        if as_of:
            raise NotFoundError(
                f"no RFM snapshot for {as_of.isoformat()}; run 'patron rfm score --as-of {as_of.isoformat()}' first"
            )
        raise NotFoundError("no RFM snapshot yet; run 'patron rfm score' first")
    return snapshot


def latest_snapshot_id(session: Session) -> int | None:
    """The id of the snapshot with the latest as-of date, or None."""
    return session.scalar(select(RfmSnapshot.id).order_by(RfmSnapshot.as_of.desc()).limit(1))


def cutoffs(session: Session, snapshot_id: int) -> dict[str, list[tuple[int, int, int]]]:
    """Per metric, ``(score, lowest value, highest value)`` among the snapshot's customers: the cut-offs in effect."""
    result: dict[str, list[tuple[int, int, int]]] = {}
    for metric, score_col, value_col in (
        ("recency_days", RfmScore.r_score, RfmScore.recency_days),
        ("frequency", RfmScore.f_score, RfmScore.frequency),
        ("monetary_minor", RfmScore.m_score, RfmScore.monetary_minor),
    ):
        rows = session.execute(
            select(score_col, func.min(value_col), func.max(value_col))
            .where(RfmScore.snapshot_id == snapshot_id)
            .group_by(score_col)
            .order_by(score_col)
        )
        result[metric] = [(int(s), int(lo), int(hi)) for s, lo, hi in rows]
    return result
