"""What the core's reports are (name, title, description, parameters), without the code that runs them.

``patron report list`` reads these without importing SQLAlchemy; the
implementations (``patron.reports.overview``) are imported only when a report
runs, and take their metadata from here (one source).
"""

from __future__ import annotations

from datetime import date

from patron.contracts import ReportParam, ReportSpec

OVERVIEW = ReportSpec(
    name="overview",
    title="Customer base overview",
    description=(
        "How many customers there are, how many are active, revenue by month, new versus "
        "returning buyers, activity by channel and the top customers by revenue."
    ),
    implementation="patron.reports.overview:OverviewReport",
    params=(
        ReportParam(
            "as_of",
            date,
            None,
            "Only data before 00:00 UTC of this day counts (default: the day after the last interaction).",
        ),
        ReportParam(
            "months",
            int,
            12,
            "Months in the window, ending at as_of (the last month is partial, and labelled so, "
            "unless as_of is the 1st).",
        ),
        ReportParam("top", int, 10, "How many top customers to list."),
        ReportParam("active_days", int, 90, "A customer is active with a purchase in this many days before as_of."),
        ReportParam("currency", str, None, "Revenue currency (default: the one most purchases use)."),
    ),
)

#: The core's reports, in the order ``patron report list`` shows them.
SPECS = (OVERVIEW,)
