"""Reports: nps-summary, csat-summary, ces-summary, nps-trend, nps-breakdown, nps-followups.

Every report reads ``nps_answers`` through ``patron_nps.scores`` (counted in
SQL, one answer per customer and period) and turns the histograms into scores
with ``patron_nps.stats``. A score below ``min_answers`` is shown as "not enough
answers", never as a bare number: its table cells are empty and the summary
says why.

Windows: ``as_of`` (default: the day after the survey's last answer) is the
exclusive end; ``months`` whole calendar months end with the month before it
(the current month up to ``as_of`` is included when ``as_of`` is not the 1st).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from patron.contracts import Figure, ReportResult, ReportSpec, Table, readable
from patron.errors import InputError
from patron_nps import report_specs, scores, stats
from patron_nps.answers import plugin_config
from patron_nps.config import NpsConfig, SurveyConfig
from patron_nps.metrics import METRICS, compare, headline, rounded
from patron_nps.models import NpsAnswer
from patron_nps.report_specs import BREAKDOWN, FOLLOWUPS, TREND

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import Audience

CATEGORY = {"nps": ((0, 6, "detractor"), (7, 8, "passive"), (9, 10, "promoter"))}


@dataclass(frozen=True)
class Window:
    """A report's survey and its time window ``[start, end)``."""

    name: str
    survey: SurveyConfig
    start: datetime
    end: datetime
    months: int

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        start = _shift_months(self.start, -self.months)
        return Window(self.name, self.survey, start, self.start, self.months)

    def label(self) -> str:
        """``2025-01-01 to 2025-12-31``."""
        return f"{self.start.date().isoformat()} to {(self.end - timedelta(days=1)).date().isoformat()}"


def _shift_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


def pick_survey(config: NpsConfig, name: str | None, kinds: Sequence[str]) -> tuple[str, SurveyConfig]:
    """The survey named ``name`` (which must be of one of ``kinds``), or the first configured of those kinds."""
    if name:
        survey = config.survey(name)
        if survey.type not in kinds:
            raise InputError(
                f"--param survey={name}: survey {name!r} is a {survey.type.upper()} survey; this report reads "
                f"{' or '.join(k.upper() for k in kinds)} surveys ({_of_kinds(config, kinds)})"
            )
        return name, survey
    for candidate in sorted(config.surveys):
        if config.surveys[candidate].type in kinds:
            return candidate, config.surveys[candidate]
    raise InputError(
        f"no {' or '.join(k.upper() for k in kinds)} survey is configured; add one under [plugins.nps.surveys.NAME]"
    )


def _of_kinds(config: NpsConfig, kinds: Sequence[str]) -> str:
    names = [n for n, s in sorted(config.surveys.items()) if s.type in kinds]
    return "configured: " + (", ".join(names) if names else "none")


def window(session: Session, config: NpsConfig, params: Mapping[str, Any], kinds: Sequence[str]) -> Window:
    """The survey and window a report's parameters name."""
    name, survey = pick_survey(config, params.get("survey"), kinds)
    months = params.get("months", 12)
    if not 1 <= months <= 120:
        raise InputError(f"--param months={months}: must be between 1 and 120")
    as_of: date | None = params.get("as_of")
    if as_of is None:
        last = session.scalar(select(func.max(NpsAnswer.occurred_at)).where(NpsAnswer.survey == name))
        as_of = (last.date() + timedelta(days=1)) if last is not None else datetime.now(UTC).date()
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    last_day = end - timedelta(days=1)
    start = _shift_months(datetime(last_day.year, last_day.month, 1, tzinfo=UTC), -(months - 1))
    return Window(name, survey, start, end, months)


def _hist(session: Session, w: Window) -> scores.Histogram:
    return scores.histogram(session, w.name, w.survey.period, w.start, w.end)


def _estimate_cells(e: stats.Estimate, digits: int) -> list[Any]:
    if not e.enough:
        return [e.n, None, None, None, f"not enough answers ({e.n} < {e.min_n})"]
    return [e.n, rounded(e.value, digits), rounded(e.low, digits), rounded(e.high, digits), ""]


def _summary_base(w: Window) -> dict[str, Any]:
    return {
        "survey": w.name,
        "type": w.survey.type,
        "question": w.survey.question,
        "window": w.label(),
    }


def _settings(config: NpsConfig) -> dict[str, Any]:
    """The settings a score depends on: last in a summary, after the numbers a reader came for."""
    return {"confidence": config.confidence, "min_answers": config.min_answers}


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------


class SummaryReport:
    """Headline score with interval, distribution by score, and the change from the previous window."""

    def __init__(self, kind: str, spec: ReportSpec) -> None:
        self.kind = kind
        self.spec = spec
        self.name, self.title, self.description, self.params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        config = plugin_config(app)
        w = window(session, config, params, (self.kind,))
        metric = METRICS[self.kind]
        hist, before = _hist(session, w), _hist(session, w.previous())
        estimate = headline(w.survey, hist, config)
        change = compare(w.survey, hist, before, config)
        summary = _summary_base(w) | {
            "answers": estimate.n,
            metric.name: rounded(estimate.value, metric.digits) if estimate.enough else None,
            "interval": _interval_text(estimate, metric.digits),
            "previous_window": w.previous().label(),
            "change": change.text(metric.unit),
        }
        if change.p_value is not None:
            summary["p_value"] = _p(change.p_value)
        rows: list[list[Any]] = []
        low, high = w.survey.scale
        n = stats.total(hist)
        tables: list[Table] = []
        figures: list[Figure] = []
        if self.kind == "ces":
            easy = stats.share(hist, 5, 7, "ces_easy", config.confidence, config.min_answers)
            summary["easy_share_pct"] = rounded(easy.value, 1) if easy.enough else None
            tables.append(
                Table(
                    "score",
                    "Scores",
                    ("metric", "answers", "value", "low", "high", "note"),
                    [
                        ["mean (t interval)", *_estimate_cells(estimate, 2)],
                        ["share of 5–7 % (Wilson)", *_estimate_cells(easy, 1)],
                    ],
                )
            )
        else:
            tables.append(
                Table(
                    "score",
                    "Score",
                    ("metric", "answers", "value", "low", "high", "note"),
                    [[metric.name, *_estimate_cells(estimate, metric.digits)]],
                )
            )
        for score in range(low, high + 1):
            count = hist.get(score, 0)
            rows.append([score, _category(self.kind, score), count, round(100 * count / n, 1) if n else 0.0])
        tables.append(Table("distribution", "Answers by score", ("score", "category", "answers", "share_pct"), rows))
        categories = [c for _, _, c in CATEGORY.get(self.kind, ())] or ["answers"]
        figures.append(
            Figure(
                "distribution",
                "Answers by score",
                "bar",
                [str(s) for s in range(low, high + 1)],
                {cat: [float(r[2]) if r[1] == cat or cat == "answers" else None for r in rows] for cat in categories},
                x_label="score",
                y_label="answers",
            )
        )
        if self.kind == "nps" and n:
            for lo, hi, cat in CATEGORY["nps"]:
                summary[f"{cat}s_pct"] = round(100 * stats.count_between(hist, lo, hi) / n, 1)
        return ReportResult(self.title, summary | _settings(config), tuple(tables), tuple(figures), as_of=w.end.date())


def _p(value: float) -> float:
    """A p-value with three significant digits (``0.000123``, not a misleading 0)."""
    return float(f"{value:.3g}")


def _short(app: App, group: str) -> str:
    """``rfm:segment:at_risk`` → ``At Risk`` (the audience's title): what people read (the table is titled
    with the family). A touchpoint is shown as recorded."""
    if group in app.audiences:
        return app.audiences[group].title
    return readable(group.rsplit(":", 1)[-1]) if ":" in group else group


def _category(kind: str, score: int) -> str:
    for lo, hi, cat in CATEGORY.get(kind, ()):
        if lo <= score <= hi:
            return cat
    if kind == "csat":
        return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"
    return "easy" if score >= 5 else "neutral" if score == 4 else "difficult"


def _interval_text(e: stats.Estimate, digits: int) -> str:
    if not e.enough:
        return f"not enough answers ({e.n} < {e.min_n})"
    return f"{e.low:.{digits}f} to {e.high:.{digits}f}"


# ---------------------------------------------------------------------------
# Trend
# ---------------------------------------------------------------------------


class TrendReport:
    """The score per month or quarter with its interval, for a survey and optionally one audience."""

    spec = TREND
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        config = plugin_config(app)
        w = window(session, config, params, _any_kind(config, params))
        metric = METRICS[w.survey.type]
        audience = _audience(app, params.get("audience"))
        interval = params.get("interval") or "month"
        found = scores.trend(session, w.name, w.survey.period, w.start, w.end, interval, audience)
        keys = _buckets(w, interval)
        rows = []
        for key in keys:
            e = headline(w.survey, found.get(key, {}), config)
            rows.append([scores.period_label(key, interval), *_estimate_cells(e, metric.digits)])
        x = [r[0] for r in rows]
        figure = Figure(
            "trend",
            f"{metric.name} per {interval} with its interval",
            "line",
            x,
            {metric.name: [r[2] for r in rows], "low": [r[3] for r in rows], "high": [r[4] for r in rows]},
            x_label=interval,
            y_label=metric.name,
        )
        summary = _summary_base(w) | {
            "interval": interval,
            "audience": audience.name if audience else "everyone",
            "periods_with_enough_answers": sum(1 for r in rows if r[2] is not None),
        }
        table = Table(
            "trend", f"{metric.name} per {interval}", (interval, "answers", metric.name, "low", "high", "note"), rows
        )
        return ReportResult(self.title, summary | _settings(config), (table,), (figure,), as_of=w.end.date())


def _any_kind(config: NpsConfig, params: Mapping[str, Any]) -> tuple[str, ...]:
    """Survey types a trend or breakdown accepts: any named survey; unnamed, the first NPS survey if any."""
    every = ("nps", "csat", "ces")
    if params.get("survey") or not any(s.type == "nps" for s in config.surveys.values()):
        return every
    return ("nps",)


def _buckets(w: Window, interval: str) -> list[int]:
    first = w.start.year * 12 + w.start.month - 1
    last_moment = w.end - timedelta(microseconds=1)
    last = last_moment.year * 12 + last_moment.month - 1
    if interval == "month":
        return list(range(first, last + 1))
    return list(range(first // 3, last // 3 + 1))


def _audience(app: App, name: str | None) -> Audience | None:
    if not name:
        return None
    if name not in app.audiences:
        available = ", ".join(sorted(app.audiences)) or "none (enable rfm or loyalty)"
        raise InputError(f"--param audience={name}: no such audience; available: {available}")
    return app.audiences[name]


# ---------------------------------------------------------------------------
# Breakdown
# ---------------------------------------------------------------------------

TOUCHPOINT = "touchpoint"


def family_of(audience_name: str) -> str:
    """``rfm:segment:champions`` → ``rfm:segment``; a name without a colon is its own family."""
    return audience_name.rsplit(":", 1)[0] if ":" in audience_name else audience_name


def families(app: App) -> dict[str, list[Audience]]:
    """Every audience family the enabled plugins offer, with its audiences, by name."""
    found: dict[str, list[Audience]] = {}
    for name in app.audiences:
        found.setdefault(family_of(name), []).append(app.audiences[name])
    return dict(sorted(found.items()))


class BreakdownReport:
    """The score per group of an audience family, each group tested against everyone else."""

    spec = BREAKDOWN
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        config = plugin_config(app)
        w = window(session, config, params, _any_kind(config, params))
        metric = METRICS[w.survey.type]
        available = families(app)
        by = params.get("by")
        if by and by != TOUCHPOINT and by not in available:
            names = ", ".join([*available, TOUCHPOINT])
            raise InputError(f"--param by={by}: no such audience family; available: {names}")
        chosen = [by] if by else [*available, TOUCHPOINT]
        tables = []
        figures = []
        whole: scores.Histogram | None = None
        for family in chosen:
            if family == TOUCHPOINT:
                groups = scores.by_touchpoint(session, w.name, w.survey.period, w.start, w.end)
                if whole is None:
                    whole = _hist(session, w)
            else:
                overall, groups = scores.breakdown(session, w.name, w.survey.period, w.start, w.end, available[family])
                whole = overall
            rows = self._rows(app, w, config, whole, groups)
            tables.append(
                Table(
                    family,
                    f"{metric.name} by {family}",
                    ("group", "answers", metric.name, "low", "high", "difference", "p_value", "significant", "note"),
                    rows,
                )
            )
            figures.append(
                Figure(
                    family,
                    f"{metric.name} by {family}",
                    "bar",
                    [r[0] for r in rows],
                    {metric.name: [r[2] for r in rows]},
                    x_label=family,
                    y_label=metric.name,
                )
            )
        if whole is None:
            whole = _hist(session, w)
        overall_estimate = headline(w.survey, whole, config)
        summary = _summary_base(w) | {
            "answers": overall_estimate.n,
            metric.name: rounded(overall_estimate.value, metric.digits) if overall_estimate.enough else None,
            "interval": _interval_text(overall_estimate, metric.digits),
            "families": ", ".join(chosen),
        }
        return ReportResult(self.title, summary | _settings(config), tuple(tables), tuple(figures), as_of=w.end.date())

    def _rows(
        self,
        app: App,
        w: Window,
        config: NpsConfig,
        whole: scores.Histogram,
        groups: Mapping[str, scores.Histogram],
    ) -> list[list[Any]]:
        metric = METRICS[w.survey.type]
        whole_estimate = headline(w.survey, whole, config)
        rows = []
        for group, hist in groups.items():
            e = headline(w.survey, hist, config)
            cells = _estimate_cells(e, metric.digits)
            # A group is part of the whole: test it against the answers outside it.
            test = compare(w.survey, hist, scores.minus(whole, hist), config)
            diff = None
            if e.enough and whole_estimate.enough and e.value is not None and whole_estimate.value is not None:
                diff = rounded(e.value - whole_estimate.value, metric.digits)
            p = None if test.p_value is None else _p(test.p_value)
            label = _short(app, group)
            rows.append([label, cells[0], cells[1], cells[2], cells[3], diff, p, test.significant, cells[4]])
        # Best first; groups without enough answers last, then by name.
        rows.sort(key=lambda r: (r[2] is None, -(r[2] or 0), r[0]))
        return rows


# ---------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------


class FollowupReport:
    """The follow-up queue: open, overdue, closed, and time to close."""

    spec = FOLLOWUPS
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        from patron_nps.followups import queue_stats

        config = plugin_config(app)
        as_of: date | None = params.get("as_of")
        moment = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) if as_of is not None else datetime.now(UTC)
        per_survey = queue_stats(session, moment, config.followup_sla_days)
        rows = [
            [s.survey, s.opened, s.open, s.overdue, s.closed, s.median_days_to_close, s.mean_days_to_close]
            for s in per_survey
        ]
        summary = {
            "as_of": moment.date().isoformat(),
            "sla_days": config.followup_sla_days,
            "open": sum(s.open for s in per_survey),
            "overdue": sum(s.overdue for s in per_survey),
            "closed": sum(s.closed for s in per_survey),
        }
        table = Table(
            "followups",
            "Follow-ups per survey",
            ("survey", "opened", "open", "overdue", "closed", "median_days_to_close", "mean_days_to_close"),
            rows,
        )
        return ReportResult(self.title, summary, (table,), as_of=moment.date() if as_of else None)


NPS_SUMMARY = SummaryReport("nps", report_specs.NPS_SUMMARY)
CSAT_SUMMARY = SummaryReport("csat", report_specs.CSAT_SUMMARY)
CES_SUMMARY = SummaryReport("ces", report_specs.CES_SUMMARY)


def reports() -> list[Any]:
    """Every report this plugin offers, as implementations (the plugin registers ``report_specs.SPECS``)."""
    return [NPS_SUMMARY, CSAT_SUMMARY, CES_SUMMARY, TrendReport(), BreakdownReport(), FollowupReport()]
