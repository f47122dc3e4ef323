"""What the survey reports are (name, title, description, parameters), without the code that runs them.

``patron report list`` reads these without importing SQLAlchemy or the answer
models; ``patron_nps.reports`` holds the implementations, imported only when a
report runs, and takes its metadata from here (one source).
"""

from __future__ import annotations

from datetime import date

from patron.contracts import ReportParam, ReportSpec

AS_OF = ReportParam("as_of", date, None, "End of the window, exclusive (default: the day after the last answer).")
MONTHS = ReportParam("months", int, 12, "Calendar months in the window, ending with as_of.")


def _summary_params(kind: str) -> tuple[ReportParam, ...]:
    return (
        ReportParam("survey", str, None, f"A {kind.upper()} survey (default: the first configured)."),
        AS_OF,
        MONTHS,
    )


NPS_SUMMARY = ReportSpec(
    name="nps-summary",
    title="Net Promoter Score",
    description=(
        "NPS with its interval, the 0–10 distribution (detractors, passives, promoters) and the change "
        "from the previous window with its significance."
    ),
    implementation="patron_nps.reports:NPS_SUMMARY",
    params=_summary_params("nps"),
)
CSAT_SUMMARY = ReportSpec(
    name="csat-summary",
    title="Customer satisfaction (CSAT)",
    description=(
        "Share of 4–5 answers with its Wilson interval, the 1–5 distribution and the change from the previous window."
    ),
    implementation="patron_nps.reports:CSAT_SUMMARY",
    params=_summary_params("csat"),
)
CES_SUMMARY = ReportSpec(
    name="ces-summary",
    title="Customer effort score (CES)",
    description=(
        "Mean effort score with its t interval, the share of 5–7 (easy), the 1–7 distribution and the "
        "change from the previous window."
    ),
    implementation="patron_nps.reports:CES_SUMMARY",
    params=_summary_params("ces"),
)
TREND = ReportSpec(
    name="nps-trend",
    title="Survey score trend",
    description="NPS (or CSAT/CES) per month or quarter with its interval band, overall or within one audience.",
    implementation="patron_nps.reports:TrendReport",
    params=(
        ReportParam("survey", str, None, "Any survey (default: the first NPS survey)."),
        AS_OF,
        ReportParam("months", int, 24, "Calendar months in the window, ending with as_of."),
        ReportParam("interval", str, "month", "Bucket size.", choices=("month", "quarter")),
        ReportParam("audience", str, None, "Only customers in this audience (e.g. rfm:segment:champions)."),
    ),
)
BREAKDOWN = ReportSpec(
    name="nps-breakdown",
    title="Survey score by audience",
    description=(
        "NPS (or CSAT/CES) per group of each audience family (rfm:segment, loyalty:tier, …) and per touchpoint, "
        "sorted, with each group's difference from the whole and its significance."
    ),
    implementation="patron_nps.reports:BreakdownReport",
    params=(
        ReportParam("survey", str, None, "Any survey (default: the first NPS survey)."),
        AS_OF,
        MONTHS,
        ReportParam("by", str, None, "One audience family, e.g. rfm:segment, or 'touchpoint' (default: all)."),
    ),
)
FOLLOWUPS = ReportSpec(
    name="nps-followups",
    title="Survey follow-ups",
    description="Open and overdue follow-ups of low answers per survey, and how long closing them took.",
    implementation="patron_nps.reports:FollowupReport",
    params=(AS_OF,),
)

#: Every report this plugin offers, in the order ``patron report list`` shows them.
SPECS = (NPS_SUMMARY, CSAT_SUMMARY, CES_SUMMARY, TREND, BREAKDOWN, FOLLOWUPS)
