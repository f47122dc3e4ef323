"""What the CLV reports are (name, title, description, parameters), without the code that runs them.

``patron report list`` reads these without importing SQLAlchemy, scipy or the
fit models; ``patron_clv.reports`` holds the implementations, imported only
when a report runs, and takes its metadata from here (one source).
"""

from __future__ import annotations

from datetime import date

from patron.contracts import ReportParam, ReportSpec

CALIBRATION_END = ReportParam(
    "calibration_end", date, default=None, help="Calibration end of the fit (default: the latest)."
)

DISTRIBUTION = ReportSpec(
    name="clv-distribution",
    title="CLV distribution",
    description="Customers, CLV and P(alive) per CLV decile, and how P(alive) is spread, in a stored fit.",
    implementation="patron_clv.reports:DistributionReport",
    params=(CALIBRATION_END,),
)
BY_SEGMENT = ReportSpec(
    name="clv-by-segment",
    title="CLV by segment",
    description=(
        "Customers, total and mean CLV and mean P(alive) per audience of a family, e.g. rfm:segment or "
        "loyalty:tier (default: every audience of other plugins)."
    ),
    implementation="patron_clv.reports:BySegmentReport",
    params=(
        CALIBRATION_END,
        ReportParam("family", str, default="", help="Audience name prefix, e.g. 'rfm:segment' (default: all)."),
    ),
)
HOLDOUT = ReportSpec(
    name="clv-holdout",
    title="CLV holdout validation",
    description=(
        "Predicted vs actual repeat purchases per calibration frequency and cumulatively over time, with the "
        "errors (fits made with --holdout-end)."
    ),
    implementation="patron_clv.reports:HoldoutReport",
    params=(CALIBRATION_END,),
)

#: Every report this plugin offers, in the order ``patron report list`` shows them.
SPECS = (DISTRIBUTION, BY_SEGMENT, HOLDOUT)
